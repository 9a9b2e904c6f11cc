"""Writes of the relationship records. Each owns its transaction and validates with ``full_clean()``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Contact
from accounts.permissions import (
    can_change_advocacy,
    can_change_interaction,
    can_log_advocacy,
    can_log_interaction,
    can_verify_advocacy,
    can_write_commercial_records,
)
from accounts.services import check_assignable, record_save
from relationships.cadence import contact_cadence_refresh
from relationships.models import AdvocacyEvent, Contract, Feedback, Interaction

FEEDBACK_FIELDS = frozenset({"external_id", "contact", "score", "responded_on", "comment"})
CONTRACT_FIELDS = frozenset({"external_id", "kind", "title", "service_level", "starts_on", "ends_on", "auto_renew"})
ADVOCACY_FIELDS = frozenset({"kind", "occurred_on", "note", "referred_account"})
INTERACTION_FIELDS = frozenset(
    {"kind", "status", "occurred_at", "user", "subject", "summary", "next_step", "next_step_due"}
)


def _may(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _contact_of(account: Account, contact: Contact | None, field: str = "contact") -> None:
    if contact is not None and contact.account_id != account.pk:
        raise ValidationError({field: ["This contact belongs to another account."]})


def _move(record: Any, account: Account | None, check: Any) -> None:
    if account is not None and account.pk != record.account_id:
        check(account)
        record.account = account


# --- feedback (NPS) ---------------------------------------------------------------------------------------

COMMERCIAL = "NPS answers and contracts are written by integrations and directors."


@transaction.atomic
def feedback_create(*, actor: Any, account: Account, values: Mapping[str, Any]) -> Feedback:
    _may(can_write_commercial_records(actor, account), COMMERCIAL)
    _contact_of(account, values.get("contact"))
    return record_save(record=Feedback(account=account), values=values, allowed=FEEDBACK_FIELDS)


@transaction.atomic
def feedback_update(
    *, actor: Any, feedback: Feedback, values: Mapping[str, Any], account: Account | None = None
) -> Feedback:
    _may(can_write_commercial_records(actor, feedback.account), COMMERCIAL)
    _move(feedback, account, lambda target: _may(can_write_commercial_records(actor, target), COMMERCIAL))
    _contact_of(feedback.account, values.get("contact", feedback.contact))
    return record_save(record=feedback, values=values, allowed=FEEDBACK_FIELDS)


@transaction.atomic
def feedback_delete(*, actor: Any, feedback: Feedback) -> None:
    _may(can_write_commercial_records(actor, feedback.account), COMMERCIAL)
    feedback.delete()


# --- contracts --------------------------------------------------------------------------------------------


@transaction.atomic
def contract_create(*, actor: Any, account: Account, values: Mapping[str, Any]) -> Contract:
    _may(can_write_commercial_records(actor, account), COMMERCIAL)
    return record_save(record=Contract(account=account), values=values, allowed=CONTRACT_FIELDS)


@transaction.atomic
def contract_update(
    *, actor: Any, contract: Contract, values: Mapping[str, Any], account: Account | None = None
) -> Contract:
    _may(can_write_commercial_records(actor, contract.account), COMMERCIAL)
    _move(contract, account, lambda target: _may(can_write_commercial_records(actor, target), COMMERCIAL))
    return record_save(record=contract, values=values, allowed=CONTRACT_FIELDS)


@transaction.atomic
def contract_delete(*, actor: Any, contract: Contract) -> None:
    _may(can_write_commercial_records(actor, contract.account), COMMERCIAL)
    contract.delete()


# --- advocacy events --------------------------------------------------------------------------------------


def _referral_elsewhere(account: Account, referred: Account | None) -> None:
    if referred is not None and referred.pk == account.pk:
        raise ValidationError({"referred_account": ["An account cannot refer itself."]})


@transaction.atomic
def advocacy_event_create(*, actor: Any, account: Account, values: Mapping[str, Any]) -> AdvocacyEvent:
    """Log an advocacy event. It counts for the ladder only once another person verified it."""
    _may(can_log_advocacy(actor, account), "You cannot log advocacy for this account.")
    _referral_elsewhere(account, values.get("referred_account"))
    event = AdvocacyEvent(account=account, logged_by=actor)
    return record_save(record=event, values=values, allowed=ADVOCACY_FIELDS)


@transaction.atomic
def advocacy_event_update(
    *, actor: Any, event: AdvocacyEvent, values: Mapping[str, Any], account: Account | None = None
) -> AdvocacyEvent:
    """Correct an event. Changing a verified event's facts withdraws the verification: it must be vouched
    for again."""
    _may(can_change_advocacy(actor, event), "Only who logged this event, a director or an integration can change it.")
    _move(event, account, lambda target: _may(can_log_advocacy(actor, target), "You cannot log advocacy there."))
    _referral_elsewhere(event.account, values.get("referred_account", event.referred_account))
    if event.verified and (values or account is not None):
        event.verified, event.verified_by, event.verified_at = False, None, None
    return record_save(record=event, values=values, allowed=ADVOCACY_FIELDS)


@transaction.atomic
def advocacy_event_verify(*, actor: Any, event: AdvocacyEvent) -> AdvocacyEvent:
    """Vouch for an event. Four eyes: the person who logged it cannot verify it (a 400 on ``verified``)."""
    _may(can_verify_advocacy(actor, event), "Only a director or someone working on the account can verify.")
    if event.logged_by_id is not None and event.logged_by_id == actor.pk:
        raise ValidationError({"verified": ["You logged this event: someone else must verify it."]})
    if event.verified:
        return event
    event.verified, event.verified_by, event.verified_at = True, actor, timezone.now()
    event.full_clean()
    event.save(update_fields=["verified", "verified_by", "verified_at"])
    return event


@transaction.atomic
def advocacy_event_delete(*, actor: Any, event: AdvocacyEvent) -> None:
    _may(can_change_advocacy(actor, event), "Only who logged this event, a director or an integration can delete it.")
    event.delete()


# --- interactions -----------------------------------------------------------------------------------------


def _contacts_of(account: Account, contacts: Iterable[Contact]) -> list[Contact]:
    chosen = list(contacts)
    for contact in chosen:
        _contact_of(account, contact, field="contacts")
    return chosen


@transaction.atomic
def interaction_create(
    *, actor: Any, account: Account, values: Mapping[str, Any], contacts: Iterable[Contact] = ()
) -> Interaction:
    """Log an interaction with the account; ``user`` defaults to the person logging it. A completed one clears
    the account's overdue contact-cadence flag in the same transaction."""
    _may(can_log_interaction(actor, account), "Only the account's owner, its team or a director log interactions.")
    fields = {"user": actor, **values}
    if fields["user"] is not None:
        check_assignable("user", [fields["user"]])
    chosen = _contacts_of(account, contacts)
    interaction = record_save(record=Interaction(account=account), values=fields, allowed=INTERACTION_FIELDS)
    if chosen:
        interaction.contacts.set(chosen)
    contact_cadence_refresh(account_ids=[account.pk])
    return interaction


@transaction.atomic
def interaction_update(
    *,
    actor: Any,
    interaction: Interaction,
    values: Mapping[str, Any],
    contacts: Iterable[Contact] | None = None,
    account: Account | None = None,
) -> Interaction:
    """Change an interaction; the contact cadence of its account (and of the one it left) follows at once."""
    _may(can_change_interaction(actor, interaction), "Only who had it, the owner or a director can change it.")
    previous_account_id = interaction.account_id
    _move(interaction, account, lambda target: _may(can_log_interaction(actor, target), "You cannot log there."))
    chosen = _contacts_of(interaction.account, contacts) if contacts is not None else None
    if values.get("user") is not None:
        check_assignable("user", [values["user"]])
    interaction = record_save(record=interaction, values=values, allowed=INTERACTION_FIELDS)
    if chosen is not None:
        interaction.contacts.set(chosen)
    contact_cadence_refresh(account_ids={previous_account_id, interaction.account_id})
    return interaction


@transaction.atomic
def interaction_delete(*, actor: Any, interaction: Interaction) -> None:
    _may(can_change_interaction(actor, interaction), "Only who had it, the owner or a director can delete it.")
    account_id = interaction.account_id
    interaction.delete()
    contact_cadence_refresh(account_ids=[account_id])
