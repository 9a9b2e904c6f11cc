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
    can_delete_plan,
    can_edit_plan,
    can_log_advocacy,
    can_log_interaction,
    can_own_plan_action,
    can_verify_advocacy,
    can_write_commercial_records,
)
from accounts.services import check_assignable, record_save
from relationships.choices import ActionStatus
from relationships.models import (
    AccountPlan,
    ActionItem,
    AdvocacyEvent,
    Contract,
    Feedback,
    Interaction,
    PlanObjective,
    SwotItem,
)

FEEDBACK_FIELDS = frozenset({"external_id", "contact", "score", "responded_on", "comment"})
CONTRACT_FIELDS = frozenset({"external_id", "kind", "title", "service_level", "starts_on", "ends_on", "auto_renew"})
ADVOCACY_FIELDS = frozenset({"kind", "occurred_on", "note", "referred_account"})
INTERACTION_FIELDS = frozenset(
    {"kind", "status", "occurred_at", "user", "subject", "summary", "next_step", "next_step_due"}
)
PLAN_FIELDS = frozenset({"title", "period_start", "period_end", "summary", "status"})
OBJECTIVE_FIELDS = frozenset({"title", "target", "target_value", "target_unit", "due", "status", "position"})
SWOT_FIELDS = frozenset({"kind", "text", "position"})
ACTION_FIELDS = frozenset({"title", "owner", "due", "status", "objective", "notes"})


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
    """Log an interaction with the account; ``user`` defaults to the person logging it."""
    _may(can_log_interaction(actor, account), "Only the account's owner, its team or a director log interactions.")
    fields = {"user": actor, **values}
    if fields["user"] is not None:
        check_assignable("user", [fields["user"]])
    chosen = _contacts_of(account, contacts)
    interaction = record_save(record=Interaction(account=account), values=fields, allowed=INTERACTION_FIELDS)
    if chosen:
        interaction.contacts.set(chosen)
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
    _may(can_change_interaction(actor, interaction), "Only who had it, the owner or a director can change it.")
    _move(interaction, account, lambda target: _may(can_log_interaction(actor, target), "You cannot log there."))
    chosen = _contacts_of(interaction.account, contacts) if contacts is not None else None
    if values.get("user") is not None:
        check_assignable("user", [values["user"]])
    interaction = record_save(record=interaction, values=values, allowed=INTERACTION_FIELDS)
    if chosen is not None:
        interaction.contacts.set(chosen)
    return interaction


@transaction.atomic
def interaction_delete(*, actor: Any, interaction: Interaction) -> None:
    _may(can_change_interaction(actor, interaction), "Only who had it, the owner or a director can delete it.")
    interaction.delete()


# --- account plans ------------------------------------------------------------------------------------------
# The owner, the team and directors keep an account's plans; integrations read them. A plan's parts never move
# to another plan (nor a plan to another account): what belongs elsewhere is created there.

PLAN_EDITORS = "Only the account's owner, its team or a director change its plans."


def _stays(parent_id: int, parent: Any, field: str, message: str) -> None:
    if parent is not None and parent.pk != parent_id:
        raise ValidationError({field: [message]})


@transaction.atomic
def account_plan_create(*, actor: Any, account: Account, values: Mapping[str, Any]) -> AccountPlan:
    """Plan a period of the account (a draft unless ``status`` says otherwise); records who created it.
    At most one plan of an account is active on any day (400 on ``status`` otherwise)."""
    _may(can_edit_plan(actor, account), PLAN_EDITORS)
    plan = AccountPlan(account=account, created_by=actor)
    return record_save(record=plan, values=values, allowed=PLAN_FIELDS)


@transaction.atomic
def account_plan_update(
    *, actor: Any, plan: AccountPlan, values: Mapping[str, Any], account: Account | None = None
) -> AccountPlan:
    """Change a plan: its period, strategy, or status (draft → active → closed, or back)."""
    _may(can_edit_plan(actor, plan.account), PLAN_EDITORS)
    _stays(plan.account_id, account, "account", "A plan stays with its account: create one on the other account.")
    return record_save(record=plan, values=values, allowed=PLAN_FIELDS)


@transaction.atomic
def account_plan_delete(*, actor: Any, plan: AccountPlan) -> None:
    """Delete a plan with its objectives, SWOT and actions: the owner's or a director's call (the team closes a
    plan instead, which keeps it as history)."""
    _may(can_delete_plan(actor, plan.account), "Only the account's owner or a director delete a plan; close it.")
    plan.delete()


@transaction.atomic
def plan_objective_create(*, actor: Any, plan: AccountPlan, values: Mapping[str, Any]) -> PlanObjective:
    _may(can_edit_plan(actor, plan.account), PLAN_EDITORS)
    return record_save(record=PlanObjective(plan=plan), values=values, allowed=OBJECTIVE_FIELDS)


@transaction.atomic
def plan_objective_update(
    *, actor: Any, objective: PlanObjective, values: Mapping[str, Any], plan: AccountPlan | None = None
) -> PlanObjective:
    _may(can_edit_plan(actor, objective.plan.account), PLAN_EDITORS)
    _stays(objective.plan_id, plan, "plan", "An objective stays in its plan.")
    return record_save(record=objective, values=values, allowed=OBJECTIVE_FIELDS)


@transaction.atomic
def plan_objective_delete(*, actor: Any, objective: PlanObjective) -> None:
    """Delete an objective; the actions that served it stay, without an objective."""
    _may(can_edit_plan(actor, objective.plan.account), PLAN_EDITORS)
    objective.delete()


@transaction.atomic
def swot_item_create(*, actor: Any, plan: AccountPlan, values: Mapping[str, Any]) -> SwotItem:
    _may(can_edit_plan(actor, plan.account), PLAN_EDITORS)
    return record_save(record=SwotItem(plan=plan), values=values, allowed=SWOT_FIELDS)


@transaction.atomic
def swot_item_update(
    *, actor: Any, item: SwotItem, values: Mapping[str, Any], plan: AccountPlan | None = None
) -> SwotItem:
    _may(can_edit_plan(actor, item.plan.account), PLAN_EDITORS)
    _stays(item.plan_id, plan, "plan", "A SWOT item stays in its plan.")
    return record_save(record=item, values=values, allowed=SWOT_FIELDS)


@transaction.atomic
def swot_item_delete(*, actor: Any, item: SwotItem) -> None:
    _may(can_edit_plan(actor, item.plan.account), PLAN_EDITORS)
    item.delete()


def _action_owner(account: Account, owner: Any) -> None:
    """An action is given to an active manager or director who works on the account (or directs)."""
    if owner is None:
        return
    check_assignable("owner", [owner])
    if not can_own_plan_action(owner, account):
        raise ValidationError({"owner": [f"{owner.get_username()} does not work on this account."]})


def _completed_at(action: ActionItem, values: Mapping[str, Any]) -> Any:
    """When the action was done: kept while it stays done, now when it becomes done, none otherwise."""
    if values.get("status", action.status) != ActionStatus.DONE:
        return None
    return action.completed_at or timezone.now()


@transaction.atomic
def action_item_create(*, actor: Any, plan: AccountPlan, values: Mapping[str, Any]) -> ActionItem:
    """Add an action to the plan. Its owner works on the account (or is a director); its objective, when
    given, is one of this plan's (400 on ``objective`` otherwise)."""
    _may(can_edit_plan(actor, plan.account), PLAN_EDITORS)
    _action_owner(plan.account, values.get("owner"))
    action = ActionItem(plan=plan)
    action.completed_at = _completed_at(action, values)
    return record_save(record=action, values=values, allowed=ACTION_FIELDS)


@transaction.atomic
def action_item_update(
    *, actor: Any, action: ActionItem, values: Mapping[str, Any], plan: AccountPlan | None = None
) -> ActionItem:
    """Change an action, e.g. mark it done (which records when). A new owner must work on the account; an
    owner who has left the team since keeps the actions already given to them."""
    _may(can_edit_plan(actor, action.plan.account), PLAN_EDITORS)
    _stays(action.plan_id, plan, "plan", "An action stays in its plan.")
    owner = values.get("owner")
    if owner is not None and owner.pk != action.owner_id:
        _action_owner(action.plan.account, owner)
    action.completed_at = _completed_at(action, values)
    return record_save(record=action, values=values, allowed=ACTION_FIELDS)


@transaction.atomic
def action_item_delete(*, actor: Any, action: ActionItem) -> None:
    _may(can_edit_plan(actor, action.plan.account), PLAN_EDITORS)
    action.delete()
