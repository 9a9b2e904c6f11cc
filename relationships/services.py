"""Writes of the relationship records and of the loyalty ladder. Each owns its transaction and validates with
``full_clean()``; every write of ladder evidence has the ladder re-evaluate that account once it commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.choices import LadderStage
from accounts.models import Account, Contact
from accounts.permissions import (
    can_change_advocacy,
    can_change_interaction,
    can_decide_ladder,
    can_delete_plan,
    can_edit_plan,
    can_log_advocacy,
    can_log_feedback,
    can_log_interaction,
    can_own_plan_action,
    can_request_ladder_override,
    can_verify_advocacy,
    can_write_commercial_records,
)
from accounts.scoring.metrics import metrics_gather
from accounts.scoring.runs import scoring_lock
from accounts.services import check_assignable, record_save
from relationships.cadence import contact_cadence_refresh
from relationships.choices import ActionStatus, OverrideStatus, ProposalStatus, TransitionMode
from relationships.ladder.evaluate import ladder_apply, ladder_compute
from relationships.ladder.notify import decision_announce, override_requested_announce
from relationships.models import (
    AccountPlan,
    ActionItem,
    AdvocacyEvent,
    Contract,
    Feedback,
    Interaction,
    LadderOverride,
    LadderState,
    LadderTransition,
    PartnerProposal,
    PlanObjective,
    SwotItem,
)
from relationships.tasks import ladder_evaluate_on_commit

# An override is a temporary exception: at most a year, then the rules decide again (or a new request).
OVERRIDE_MAX_DAYS = 366

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
    _may(can_log_feedback(actor, account), "Only those working on the account, directors and integrations log NPS.")
    _contact_of(account, values.get("contact"))
    ladder_evaluate_on_commit([account.pk])
    return record_save(record=Feedback(account=account), values=values, allowed=FEEDBACK_FIELDS)


@transaction.atomic
def feedback_update(
    *, actor: Any, feedback: Feedback, values: Mapping[str, Any], account: Account | None = None
) -> Feedback:
    _may(can_write_commercial_records(actor, feedback.account), COMMERCIAL)
    ladder_evaluate_on_commit([feedback.account_id])
    _move(feedback, account, lambda target: _may(can_write_commercial_records(actor, target), COMMERCIAL))
    ladder_evaluate_on_commit([feedback.account_id])
    _contact_of(feedback.account, values.get("contact", feedback.contact))
    return record_save(record=feedback, values=values, allowed=FEEDBACK_FIELDS)


@transaction.atomic
def feedback_delete(*, actor: Any, feedback: Feedback) -> None:
    _may(can_write_commercial_records(actor, feedback.account), COMMERCIAL)
    ladder_evaluate_on_commit([feedback.account_id])
    feedback.delete()


# --- contracts --------------------------------------------------------------------------------------------


@transaction.atomic
def contract_create(*, actor: Any, account: Account, values: Mapping[str, Any]) -> Contract:
    _may(can_write_commercial_records(actor, account), COMMERCIAL)
    ladder_evaluate_on_commit([account.pk])
    return record_save(record=Contract(account=account), values=values, allowed=CONTRACT_FIELDS)


@transaction.atomic
def contract_update(
    *, actor: Any, contract: Contract, values: Mapping[str, Any], account: Account | None = None
) -> Contract:
    _may(can_write_commercial_records(actor, contract.account), COMMERCIAL)
    ladder_evaluate_on_commit([contract.account_id])
    _move(contract, account, lambda target: _may(can_write_commercial_records(actor, target), COMMERCIAL))
    ladder_evaluate_on_commit([contract.account_id])
    return record_save(record=contract, values=values, allowed=CONTRACT_FIELDS)


@transaction.atomic
def contract_delete(*, actor: Any, contract: Contract) -> None:
    _may(can_write_commercial_records(actor, contract.account), COMMERCIAL)
    ladder_evaluate_on_commit([contract.account_id])
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
    ladder_evaluate_on_commit([account.pk])
    return record_save(record=event, values=values, allowed=ADVOCACY_FIELDS)


@transaction.atomic
def advocacy_event_update(
    *, actor: Any, event: AdvocacyEvent, values: Mapping[str, Any], account: Account | None = None
) -> AdvocacyEvent:
    """Correct an event. Changing a verified event's facts withdraws the verification: it must be vouched
    for again."""
    _may(can_change_advocacy(actor, event), "Only who logged this event, a director or an integration can change it.")
    ladder_evaluate_on_commit([event.account_id])
    _move(event, account, lambda target: _may(can_log_advocacy(actor, target), "You cannot log advocacy there."))
    ladder_evaluate_on_commit([event.account_id])
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
    ladder_evaluate_on_commit([event.account_id])
    return event


@transaction.atomic
def advocacy_event_delete(*, actor: Any, event: AdvocacyEvent) -> None:
    _may(can_change_advocacy(actor, event), "Only who logged this event, a director or an integration can delete it.")
    ladder_evaluate_on_commit([event.account_id])
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


# --- the loyalty ladder (DESIGN §6) ---------------------------------------------------------------------------


def ladder_evaluate(
    *, account_ids: Sequence[int] | None = None, as_of: date | None = None, actor: Any | None = None
) -> dict[str, Any]:
    """Evaluate the ladder as of ``as_of`` (default today) for these accounts (all when None) and write what
    moved, set-based, in one transaction that shares the scoring run's lock (so it never interleaves with a
    nightly run). ``actor`` is recorded on the transitions it causes (an approval, for instance)."""
    as_of = as_of or timezone.localdate()
    with transaction.atomic(), connection.cursor() as cursor:
        scoring_lock(cursor)
        gathered = metrics_gather(cursor, as_of=as_of, account_ids=account_ids)
        evaluated = ladder_compute(cursor, as_of=as_of)
        tallies = ladder_apply(cursor, as_of=as_of, actor_id=getattr(actor, "pk", None))
    return {"evaluated": evaluated, "population": gathered["scoring_population"], **tallies}


def _expiry_valid(expires_on: date) -> None:
    today = timezone.localdate()
    if expires_on <= today:
        raise ValidationError({"expires_on": ["The override must expire after today."]})
    if expires_on > today + timedelta(days=OVERRIDE_MAX_DAYS):
        raise ValidationError({"expires_on": [f"An override lasts at most {OVERRIDE_MAX_DAYS} days."]})


def ladder_override_request(
    *, actor: Any, account: Account, stage: str, reason: str, expires_on: date
) -> LadderOverride:
    """Ask to pin the account's stage until ``expires_on``, for a reason. A director's own request applies at
    once (and moves the stage now); a manager's waits for a director."""
    _may(
        can_request_ladder_override(actor, account),
        "Only those working on the account and directors ask for an override.",
    )
    _expiry_valid(expires_on)
    director = can_decide_ladder(actor)
    now = timezone.now()
    with transaction.atomic():
        override = LadderOverride(
            account=account,
            stage=stage,
            reason=reason.strip(),
            expires_on=expires_on,
            requested_by=actor,
            status=OverrideStatus.APPROVED if director else OverrideStatus.REQUESTED,
            decided_by=actor if director else None,
            decided_at=now if director else None,
            decision_note="A director's override applies at once." if director else "",
        )
        override.full_clean()
        override.save()
        if director:
            ladder_evaluate(account_ids=[account.pk], actor=actor)
        else:
            override_requested_announce(override=override)
    return override


def _override_locked(override: LadderOverride) -> LadderOverride:
    return LadderOverride.objects.select_for_update(of=("self",)).select_related("account").get(pk=override.pk)


def ladder_override_approve(*, actor: Any, override: LadderOverride, note: str = "") -> LadderOverride:
    """A director approves a requested override: it pins the stage from now until it expires."""
    _may(can_decide_ladder(actor), "Only a KAM director approves an override.")
    with transaction.atomic():
        override = _override_locked(override)
        _still(override.status, OverrideStatus.REQUESTED, "override", override.decided_by, override.decided_at)
        if override.expires_on <= timezone.localdate():
            raise ValidationError({"expires_on": ["This override has expired already; ask for a new one."]})
        override.status = OverrideStatus.APPROVED
        override.decided_by, override.decided_at, override.decision_note = actor, timezone.now(), note.strip()
        override.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        ladder_evaluate(account_ids=[override.account_id], actor=actor)
        decision_announce(
            recipient_id=override.requested_by_id,
            account=override.account,
            kind="ladder.override_approved",
            title=f"{override.account.name}: your override to {override.get_stage_display()} is approved",
            note=override.decision_note,
        )
    return override


def ladder_override_reject(*, actor: Any, override: LadderOverride, note: str = "") -> LadderOverride:
    _may(can_decide_ladder(actor), "Only a KAM director rejects an override.")
    with transaction.atomic():
        override = _override_locked(override)
        _still(override.status, OverrideStatus.REQUESTED, "override", override.decided_by, override.decided_at)
        override.status = OverrideStatus.REJECTED
        override.decided_by, override.decided_at, override.decision_note = actor, timezone.now(), note.strip()
        override.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        decision_announce(
            recipient_id=override.requested_by_id,
            account=override.account,
            kind="ladder.override_rejected",
            title=f"{override.account.name}: your override to {override.get_stage_display()} is rejected",
            note=override.decision_note,
        )
    return override


def ladder_override_revoke(*, actor: Any, override: LadderOverride, note: str = "") -> LadderOverride:
    """End an override before its expiry (a director; or its requester while it is only requested). The rules
    decide the stage again at once."""
    requester = override.requested_by_id is not None and override.requested_by_id == getattr(actor, "pk", None)
    with transaction.atomic():
        override = _override_locked(override)
        if override.status not in (OverrideStatus.REQUESTED, OverrideStatus.APPROVED):
            raise ValidationError({"status": [f"This override is {override.get_status_display().lower()} already."]})
        _may(
            can_decide_ladder(actor) or (requester and override.status == OverrideStatus.REQUESTED),
            "Only a KAM director ends an override (its requester may withdraw it while it waits).",
        )
        was_active = override.status == OverrideStatus.APPROVED
        override.status = OverrideStatus.REVOKED
        override.decided_by, override.decided_at = actor, timezone.now()
        override.decision_note = note.strip() or override.decision_note
        override.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        if was_active:
            ladder_evaluate(account_ids=[override.account_id], actor=actor)
    return override


def _still(status: str, expected: str, what: str, decided_by: Any, decided_at: Any) -> None:
    """Refuse to decide twice: the second of two directors deciding at once gets a clear answer."""
    if status == expected:
        return
    who = (decided_by.get_full_name() or decided_by.get_username()) if decided_by else "the system"
    when = f" on {timezone.localtime(decided_at):%Y-%m-%d %H:%M}" if decided_at else ""
    raise ValidationError({"status": [f"This {what} was {status} already, by {who}{when}."]})


def _proposal_locked(proposal: PartnerProposal) -> PartnerProposal:
    return (
        # decided_by is read after the lock (lazily): joined in the locking query, it could be the row's
        # version from before the wait.
        PartnerProposal.objects.select_for_update(of=("self",)).select_related("account").get(pk=proposal.pk)
    )


def partner_proposal_approve(*, actor: Any, proposal: PartnerProposal, note: str = "") -> PartnerProposal:
    """A director approves: the account becomes Partner at once, with the proposal's evidence on the move.
    The row lock makes two approvals at once decide one after the other: the second is refused."""
    _may(can_decide_ladder(actor), "Only a KAM director approves a Partner proposal.")
    today = timezone.localdate()
    with transaction.atomic():
        proposal = _proposal_locked(proposal)
        _still(proposal.status, ProposalStatus.OPEN, "proposal", proposal.decided_by, proposal.decided_at)
        account = Account.objects.select_for_update().get(pk=proposal.account_id)
        if _active_override(account, today) is not None:
            raise ValidationError({"status": ["An override pins this account's stage: end it first."]})
        proposal.status = ProposalStatus.APPROVED
        proposal.decided_by, proposal.decided_at, proposal.decision_note = actor, timezone.now(), note.strip()
        proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        state = LadderState.objects.filter(account=account).first()
        rule = state.rule_stage if state else account.stage
        if account.stage != LadderStage.PARTNER:
            LadderTransition.objects.create(
                account=account,
                from_stage=account.stage,
                to_stage=LadderStage.PARTNER,
                rule_stage=rule,
                mode=TransitionMode.PROPOSAL_APPROVED,
                as_of=today,
                evidence={**proposal.evidence, "proposal_id": proposal.pk},
                actor=actor,
                note=proposal.decision_note or "Partner proposal approved.",
            )
            Account.objects.filter(pk=account.pk).update(stage=LadderStage.PARTNER)
            LadderState.objects.update_or_create(
                account=account, defaults={"stage": LadderStage.PARTNER, "rule_stage": rule, "since": today}
            )
        decision_announce(
            recipient_id=account.owner_id,
            account=account,
            kind="ladder.partner_approved",
            title=f"{account.name} is a Partner now",
            note=proposal.decision_note,
        )
    return proposal


def partner_proposal_reject(*, actor: Any, proposal: PartnerProposal, note: str = "") -> PartnerProposal:
    """A director rejects: the account stays where it is, and no new proposal opens during the cool-down."""
    _may(can_decide_ladder(actor), "Only a KAM director rejects a Partner proposal.")
    with transaction.atomic():
        proposal = _proposal_locked(proposal)
        _still(proposal.status, ProposalStatus.OPEN, "proposal", proposal.decided_by, proposal.decided_at)
        proposal.status = ProposalStatus.REJECTED
        proposal.decided_by, proposal.decided_at, proposal.decision_note = actor, timezone.now(), note.strip()
        proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        decision_announce(
            recipient_id=proposal.account.owner_id,
            account=proposal.account,
            kind="ladder.partner_rejected",
            title=f"{proposal.account.name}: the Partner proposal is rejected",
            note=proposal.decision_note,
        )
    return proposal


def _active_override(account: Account, today: date) -> LadderOverride | None:
    return LadderOverride.objects.filter(account=account, status=OverrideStatus.APPROVED, expires_on__gte=today).first()


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
