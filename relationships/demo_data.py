"""The demo portfolio's relationship records: NPS answers, advocacy, contracts and interactions.

``accounts.demo_data`` decides, per account profile, a ``Leaning`` (how the account feels about us and how
close the relationship is); this module draws the records from it and writes them set-based. It knows
nothing about the profiles themselves, so the two halves do not import each other.

The plan is pure and refers to people by part — the account's owner, the colleague on its team, a director —
so that it needs no users; ``relationships_seed`` resolves the parts to users when it writes.
"""

from __future__ import annotations

import datetime
import enum
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.choices import ServiceLevel
from accounts.models import Account, Contact
from relationships.choices import (
    ActionStatus,
    AdvocacyKind,
    ContractKind,
    InteractionKind,
    InteractionStatus,
    ObjectiveStatus,
    PlanStatus,
    SwotKind,
)
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

BATCH_SIZE = 5000
DAY = datetime.timedelta(days=1)


class Sentiment(enum.StrEnum):
    """How the account's people answer the NPS survey."""

    PROMOTER = "promoter"
    PASSIVE = "passive"
    DETRACTOR = "detractor"


# Scores per sentiment; a promoter account answers 8 now and then, so not every one reaches a mean of 9.
NPS_SCORES: dict[Sentiment, dict[int, int]] = {
    Sentiment.PROMOTER: {8: 1, 9: 4, 10: 5},
    Sentiment.PASSIVE: {6: 1, 7: 4, 8: 4, 9: 1},
    Sentiment.DETRACTOR: {1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3, 7: 1},
}
NPS_COMMENTS: dict[Sentiment, tuple[str, ...]] = {
    Sentiment.PROMOTER: (
        "Reliable deliveries and a team that thinks ahead.",
        "Our account manager knows our business inside out.",
        "Best service level we get from any vendor.",
        "",
    ),
    Sentiment.PASSIVE: ("Good product, but the price is under review.", "Fine overall; support could be faster.", ""),
    Sentiment.DETRACTOR: (
        "Two late deliveries this quarter.",
        "Invoices keep arriving with errors.",
        "Hard to reach anyone when something goes wrong.",
        "We are evaluating other suppliers.",
    ),
}
# The survey goes out twice a year; answers arrive within a few weeks of each wave.
SURVEY_WAVES_DAYS_AGO = (20, 200, 385, 565)

ADVOCACY_WEIGHTS = {
    AdvocacyKind.REFERRAL: 3, AdvocacyKind.TESTIMONIAL: 3, AdvocacyKind.CASE_STUDY: 1,
    AdvocacyKind.REFERENCE_CALL: 3, AdvocacyKind.REVIEW: 2,
}  # fmt: skip
ADVOCACY_NOTES = {
    AdvocacyKind.REFERRAL: "Introduced us to a peer company.",
    AdvocacyKind.TESTIMONIAL: "Quote for the website and the sales deck.",
    AdvocacyKind.CASE_STUDY: "Joint case study published.",
    AdvocacyKind.REFERENCE_CALL: "Took a reference call with a prospect.",
    AdvocacyKind.REVIEW: "Public review on an industry platform.",
}

INTERACTION_WEIGHTS = {
    InteractionKind.MEETING: 4, InteractionKind.CALL: 6, InteractionKind.EMAIL: 3, InteractionKind.VISIT: 2,
    InteractionKind.VIDEO: 4, InteractionKind.BUSINESS_REVIEW: 1, InteractionKind.EVENT: 1,
}  # fmt: skip
INTERACTION_SUBJECTS = {
    InteractionKind.MEETING: ("Quarterly planning", "Pricing discussion", "Roadmap alignment"),
    InteractionKind.CALL: ("Delivery follow-up", "Open invoices", "Order forecast", "Escalation call"),
    InteractionKind.EMAIL: ("Offer sent", "Contract renewal terms", "Service report"),
    InteractionKind.VISIT: ("Site visit", "Plant tour", "Head office visit"),
    InteractionKind.VIDEO: ("Product demo", "Onboarding session", "Technical deep dive"),
    InteractionKind.BUSINESS_REVIEW: ("Annual business review", "Half-year business review"),
    InteractionKind.EVENT: ("Customer summit", "Trade fair meeting", "Partner dinner"),
}
NEXT_STEPS = (
    "Send revised offer",
    "Schedule technical workshop",
    "Prepare renewal proposal",
    "Clarify open invoices with finance",
    "Introduce new product line",
    "Agree on volume forecast",
)


class Part(enum.StrEnum):
    """Who, relative to the account, did something; resolved to a user when the plan is written."""

    OWNER = "owner"
    COLLEAGUE = "colleague"
    DIRECTOR = "director"


@dataclass(frozen=True)
class Leaning:
    """What an account's relationship records are drawn from (set per profile by ``accounts.demo_data``)."""

    sentiment: Sentiment | None  # None: nobody answers the survey (prospects)
    response_rate: float  # share of contacts answering a survey wave
    advocacy: float  # expected advocacy events over two years
    framework: float  # chance of a framework agreement
    sla: float  # chance of a service level agreement
    partnership: str | None  # "active", "ended" or None
    contracts_end: datetime.date | None  # agreements that ended, e.g. with a churned account
    interactions: tuple[int, int]  # completed interactions in the last six months (min, max)
    service_level: str = ServiceLevel.STANDARD


@dataclass(frozen=True)
class FeedbackPlan:
    contact: int | None  # index into the account's contacts
    score: int
    responded_on: datetime.date
    comment: str


@dataclass(frozen=True)
class AdvocacyPlan:
    kind: str
    occurred_on: datetime.date
    note: str
    referred_account: int | None  # index into the portfolio
    verified_after: int | None  # days after the event that someone else verified it; None: not yet


@dataclass(frozen=True)
class ContractPlan:
    kind: str
    title: str
    service_level: str
    starts_on: datetime.date
    ends_on: datetime.date | None
    auto_renew: bool


@dataclass(frozen=True)
class InteractionPlan:
    kind: str
    status: str
    occurred_at: datetime.datetime  # naive; made aware in the current time zone when written
    by: Part
    contacts: tuple[int, ...]
    subject: str
    summary: str
    next_step: str
    next_step_due: datetime.date | None


@dataclass(frozen=True)
class ObjectiveDraft:
    title: str
    target: str
    target_value: Decimal | None
    target_unit: str
    due: datetime.date
    status: str


@dataclass(frozen=True)
class ActionDraft:
    title: str
    by: Part
    due: datetime.date
    status: str
    objective: int | None  # index into the plan's objectives


@dataclass(frozen=True)
class AccountPlanDraft:
    """One account plan of the demo (``Draft`` because "plan" already names what this module draws)."""

    title: str
    period_start: datetime.date
    period_end: datetime.date
    status: str
    summary: str
    objectives: tuple[ObjectiveDraft, ...]
    swot: tuple[tuple[str, str], ...]  # (kind, text)
    actions: tuple[ActionDraft, ...]


@dataclass(frozen=True)
class RelationshipPlan:
    feedback: tuple[FeedbackPlan, ...]
    advocacy: tuple[AdvocacyPlan, ...]
    contracts: tuple[ContractPlan, ...]
    interactions: tuple[InteractionPlan, ...]
    account_plans: tuple[AccountPlanDraft, ...] = ()


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()), k=1)[0]


def _feedback(
    rng: random.Random, leaning: Leaning, *, contacts: Sequence[bool], today: datetime.date
) -> tuple[FeedbackPlan, ...]:
    """Answers per survey wave from the active contacts; a promoter account's first contact (who signs)
    answers every wave, so a loyal account always has a recent voice."""
    if leaning.sentiment is None or not contacts:
        return ()
    answers = []
    for days_ago in SURVEY_WAVES_DAYS_AGO:
        for index, active in enumerate(contacts):
            sure = index == 0 and leaning.sentiment is Sentiment.PROMOTER
            if not active or not (sure or rng.random() < leaning.response_rate):
                continue
            sentiment = leaning.sentiment
            if sentiment is Sentiment.PASSIVE and rng.random() < 0.1:  # passives have good and bad days
                sentiment = rng.choice((Sentiment.PROMOTER, Sentiment.DETRACTOR))
            answers.append(
                FeedbackPlan(
                    contact=index if rng.random() < 0.95 else None,  # a few anonymous answers
                    score=_weighted(rng, NPS_SCORES[sentiment]),
                    responded_on=today - (days_ago - rng.randint(0, 18)) * DAY,
                    comment=rng.choice(NPS_COMMENTS[sentiment]),
                )
            )
    return tuple(answers)


def _advocacy(
    rng: random.Random, leaning: Leaning, *, today: datetime.date, own: int, accounts: int
) -> tuple[AdvocacyPlan, ...]:
    count = int(leaning.advocacy) + (rng.random() < leaning.advocacy % 1)
    events = []
    for n in range(count):
        # The first event of a strong advocate is recent enough to count (within two years).
        days_ago = rng.randint(40, 700) if n == 0 and leaning.advocacy >= 1 else rng.randint(5, 1000)
        kind = _weighted(rng, ADVOCACY_WEIGHTS)
        referred = None
        if kind == AdvocacyKind.REFERRAL and accounts > 1 and rng.random() < 0.6:
            referred = (own + rng.randint(1, accounts - 1)) % accounts
        verified_after = None if days_ago < 30 or rng.random() < 0.15 else rng.randint(1, 25)
        events.append(
            AdvocacyPlan(
                kind=kind,
                occurred_on=today - days_ago * DAY,
                note=ADVOCACY_NOTES[kind],
                referred_account=referred,
                verified_after=verified_after,
            )
        )
    return tuple(events)


def _contracts(rng: random.Random, leaning: Leaning, *, today: datetime.date) -> tuple[ContractPlan, ...]:
    contracts = []
    ends = leaning.contracts_end
    if rng.random() < leaning.framework:
        starts = today - rng.randint(400, 1500) * DAY
        contracts.append(
            ContractPlan(
                kind=ContractKind.FRAMEWORK,
                title="Framework agreement",
                service_level=ServiceLevel.STANDARD,
                starts_on=starts,
                ends_on=ends if ends and ends >= starts else None,
                auto_renew=ends is None and rng.random() < 0.7,
            )
        )
    if rng.random() < leaning.sla:
        starts = today - rng.randint(120, 1000) * DAY
        contracts.append(
            ContractPlan(
                kind=ContractKind.SLA,
                title=f"{leaning.service_level.title()} service level agreement",
                service_level=leaning.service_level,
                starts_on=starts,
                ends_on=ends if ends and ends >= starts else starts + 365 * rng.randint(2, 3) * DAY,
                auto_renew=ends is None,
            )
        )
    if leaning.partnership == "active":
        kind = rng.choice((ContractKind.PARTNERSHIP, ContractKind.PARTNERSHIP, ContractKind.JOINT_DEVELOPMENT))
        starts = today - rng.randint(180, 900) * DAY
        contracts.append(
            ContractPlan(
                kind=kind,
                title="Strategic partnership" if kind == ContractKind.PARTNERSHIP else "Joint development programme",
                service_level=ServiceLevel.PREMIUM,
                starts_on=starts,
                ends_on=None if rng.random() < 0.5 else today + rng.randint(120, 720) * DAY,
                auto_renew=rng.random() < 0.6,
            )
        )
    elif leaning.partnership == "ended":
        ended = today - rng.randint(60, 500) * DAY
        contracts.append(
            ContractPlan(
                kind=ContractKind.JOINT_DEVELOPMENT,
                title="Pilot development project",
                service_level=ServiceLevel.ENHANCED,
                starts_on=ended - rng.randint(180, 540) * DAY,
                ends_on=ended,
                auto_renew=False,
            )
        )
    return tuple(contracts)


def _interaction(
    rng: random.Random, *, at: datetime.datetime, status: str, contacts: int, colleague: bool, today: datetime.date
) -> InteractionPlan:
    kind = _weighted(rng, INTERACTION_WEIGHTS)
    chosen = tuple(sorted(rng.sample(range(contacts), k=min(contacts, rng.randint(1, 2))))) if contacts else ()
    next_step, due = "", None
    if status == InteractionStatus.COMPLETED and rng.random() < 0.45:
        next_step = rng.choice(NEXT_STEPS)
        due = at.date() + rng.randint(7, 45) * DAY  # some of these are overdue by today
    elif status == InteractionStatus.PLANNED and rng.random() < 0.3:
        next_step = "Confirm agenda"
        due = min(at.date(), today + 60 * DAY)
    return InteractionPlan(
        kind=kind,
        status=status,
        occurred_at=at,
        by=Part.COLLEAGUE if colleague and rng.random() < 0.25 else Part.OWNER,
        contacts=chosen,
        subject=rng.choice(INTERACTION_SUBJECTS[kind]),
        summary="" if status == InteractionStatus.PLANNED else "Notes taken; see next step.",
        next_step=next_step,
        next_step_due=due,
    )


def _interactions(
    rng: random.Random, leaning: Leaning, *, contacts: int, colleague: bool, today: datetime.date
) -> tuple[InteractionPlan, ...]:
    def moment(days: int) -> datetime.datetime:
        return datetime.datetime.combine(today + days * DAY, datetime.time(rng.randint(8, 16), rng.choice((0, 30))))

    def one(days: int, status: str) -> InteractionPlan:
        return _interaction(rng, at=moment(days), status=status, contacts=contacts, colleague=colleague, today=today)

    done = [one(-rng.randint(1, 180), InteractionStatus.COMPLETED) for _ in range(rng.randint(*leaning.interactions))]
    if leaning.interactions[1] and rng.random() < 0.1:
        done.append(one(-rng.randint(1, 90), InteractionStatus.CANCELLED))
    planned = [
        one(rng.randint(1, 40), InteractionStatus.PLANNED)
        for _ in range(rng.choice((0, 0, 1, 1, 2)) if leaning.interactions[1] else 0)
    ]
    return tuple(sorted(done + planned, key=lambda plan: plan.occurred_at))


PLAN_SUMMARIES = (
    "Consolidate our position as preferred supplier and grow the premium service business.",
    "Protect the core volume through the renewal and open a second business unit.",
    "Turn a satisfied customer into a reference: a joint case study and a partnership track.",
)
PLAN_OBJECTIVES = (
    # title, target (with {value}), unit, value range in the unit
    ("Grow revenue", "Revenue {value} EUR", "EUR", (400_000, 2_500_000)),
    ("Expand premium service", "Premium share of orders {value} %", "%", (40, 70)),
    ("Raise satisfaction", "NPS mean {value} or more", "points", (8, 9)),
    ("Reach a second business unit", "First order from a second business unit", "", None),
    ("Secure the renewal", "Framework agreement renewed for 3 years", "", None),
)
PLAN_SWOT = {
    SwotKind.STRENGTH: ("Trusted by the technical decision makers", "Reliable deliveries for three years",
                        "Premium service level already in place"),
    SwotKind.WEAKNESS: ("Little access to the purchasing director", "Invoicing errors last year",
                        "No presence in their second business unit"),
    SwotKind.OPPORTUNITY: ("New plant opening next year", "Their sustainability programme needs a partner",
                           "Consolidating suppliers: we could take a rival's share"),
    SwotKind.THREAT: ("A low-cost competitor is courting purchasing", "Budget cuts announced for next year",
                      "Key champion may change roles"),
}  # fmt: skip
PLAN_ACTIONS = (
    "Quarterly business review with the buying committee",
    "Executive sponsor visit",
    "Prepare the renewal proposal",
    "Workshop on the service roadmap",
    "Introduce the premium service team",
    "Clarify open invoices with finance",
)


def _plan_for_year(
    rng: random.Random, *, year: int, status: str, colleague: bool, today: datetime.date
) -> AccountPlanDraft:
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    past = status == PlanStatus.CLOSED
    objectives = []
    for title, target, unit, bounds in rng.sample(PLAN_OBJECTIVES, k=rng.randint(2, 3)):
        value = Decimal(rng.randint(*bounds)) if bounds else None
        shown = f"{value:,.0f}" if value is not None else ""
        due = min(end, start + rng.randint(150, 364) * DAY)
        if past or due < today:
            state = rng.choice((ObjectiveStatus.ACHIEVED, ObjectiveStatus.ACHIEVED, ObjectiveStatus.MISSED))
        else:
            state = rng.choice(
                (ObjectiveStatus.ON_TRACK, ObjectiveStatus.ON_TRACK, ObjectiveStatus.AT_RISK, ObjectiveStatus.OPEN)
            )
        objectives.append(
            ObjectiveDraft(
                title=title,
                target=target.format(value=shown),
                target_value=value,
                target_unit=unit if value is not None else "",
                due=due,
                status=state,
            )
        )
    swot = tuple((kind, text) for kind, texts in PLAN_SWOT.items() for text in rng.sample(texts, k=rng.randint(1, 2)))
    actions = []
    for title in rng.sample(PLAN_ACTIONS, k=rng.randint(3, 5)):
        due = start + rng.randint(20, 360) * DAY
        if past or due < today - 30 * DAY:
            state = ActionStatus.DONE if rng.random() < 0.85 else ActionStatus.CANCELLED
        elif due < today:
            state = ActionStatus.DONE if rng.random() < 0.5 else ActionStatus.IN_PROGRESS  # some overdue
        else:
            state = ActionStatus.OPEN if rng.random() < 0.7 else ActionStatus.IN_PROGRESS
        by = Part.COLLEAGUE if colleague and rng.random() < 0.4 else Part.OWNER
        towards = rng.choice([None, *range(len(objectives))])
        actions.append(ActionDraft(title=title, by=by, due=due, status=state, objective=towards))
    return AccountPlanDraft(
        title=f"Account plan {year}",
        period_start=start,
        period_end=end,
        status=status,
        summary=rng.choice(PLAN_SUMMARIES),
        objectives=tuple(objectives),
        swot=swot,
        actions=tuple(sorted(actions, key=lambda action: action.due)),
    )


def _account_plans(
    rng: random.Random, leaning: Leaning, *, colleague: bool, today: datetime.date
) -> tuple[AccountPlanDraft, ...]:
    """The strongest accounts (partners and premium buyers) have this year's plan, active; half of them also
    last year's, closed."""
    if leaning.service_level != ServiceLevel.PREMIUM:
        return ()
    plans = [_plan_for_year(rng, year=today.year, status=PlanStatus.ACTIVE, colleague=colleague, today=today)]
    if rng.random() < 0.5:
        plans.append(
            _plan_for_year(rng, year=today.year - 1, status=PlanStatus.CLOSED, colleague=colleague, today=today)
        )
    return tuple(plans)


def relationship_plan(
    rng: random.Random,
    leaning: Leaning,
    *,
    contacts: Sequence[bool],
    colleague: bool,
    today: datetime.date,
    own: int,
    accounts: int,
) -> RelationshipPlan:
    """Draw one account's relationship records. Pure. ``contacts`` is whether each contact is still active;
    ``own`` is the account's index in a portfolio of ``accounts`` (referrals point at another one)."""
    return RelationshipPlan(
        feedback=_feedback(rng, leaning, contacts=contacts, today=today),
        advocacy=_advocacy(rng, leaning, today=today, own=own, accounts=accounts),
        contracts=_contracts(rng, leaning, today=today),
        interactions=_interactions(rng, leaning, contacts=len(contacts), colleague=colleague, today=today),
        # Drawn last, so that adding plans to the demo did not change any other record of the portfolio.
        account_plans=_account_plans(rng, leaning, colleague=colleague, today=today),
    )


# --- writing (set-based) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    """The users one account's records are attributed to; any may be None."""

    owner: Any
    colleague: Any
    verifier: Any  # someone other than the owner: a director, else the colleague


@dataclass
class RelationshipCounts:
    feedback: int = 0
    advocacy: int = 0
    verified: int = 0
    contracts: int = 0
    interactions: int = 0
    account_plans: int = 0


def _verifier(people: People) -> Any:
    if people.verifier is not None and people.verifier != people.owner:
        return people.verifier
    return None


def relationships_seed(
    *,
    accounts: Sequence[Account],
    contacts: Sequence[Sequence[Contact]],
    plans: Sequence[RelationshipPlan],
    people: Sequence[People],
) -> RelationshipCounts:
    """Write the plans of saved ``accounts`` (with their saved ``contacts``, in plan order): one insert per
    table, in batches."""
    tz = timezone.get_current_timezone()
    now = timezone.now()
    feedback, advocacy, contracts, interactions, links = [], [], [], [], []
    for account, own_contacts, plan, who in zip(accounts, contacts, plans, people, strict=True):
        for answer in plan.feedback:
            feedback.append(
                Feedback(
                    account=account,
                    contact=own_contacts[answer.contact] if answer.contact is not None else None,
                    score=answer.score,
                    responded_on=answer.responded_on,
                    comment=answer.comment,
                )
            )
        verifier = _verifier(who)
        for event in plan.advocacy:
            after = event.verified_after
            verified_at = None
            if after is not None and verifier is not None:
                moment = datetime.datetime.combine(event.occurred_on, datetime.time(10), tzinfo=tz)
                verified_at = min(now, moment + after * DAY)
            verified = verified_at is not None
            advocacy.append(
                AdvocacyEvent(
                    account=account,
                    kind=event.kind,
                    occurred_on=event.occurred_on,
                    note=event.note,
                    referred_account=accounts[event.referred_account] if event.referred_account is not None else None,
                    logged_by=who.owner,
                    verified=verified,
                    verified_by=verifier if verified else None,
                    verified_at=verified_at,
                )
            )
        contracts += [Contract(account=account, **vars(contract)) for contract in plan.contracts]
        for step in plan.interactions:
            user = who.colleague if step.by is Part.COLLEAGUE and who.colleague is not None else who.owner
            interactions.append(
                Interaction(
                    account=account,
                    kind=step.kind,
                    status=step.status,
                    occurred_at=step.occurred_at.replace(tzinfo=tz),
                    user=user if user is not None else who.verifier,
                    subject=step.subject,
                    summary=step.summary,
                    next_step=step.next_step,
                    next_step_due=step.next_step_due,
                )
            )
            links.append([own_contacts[index] for index in step.contacts])

    plans_written = _account_plans_seed(accounts=accounts, plans=plans, people=people)
    Feedback.objects.bulk_create(feedback, batch_size=BATCH_SIZE)
    AdvocacyEvent.objects.bulk_create(advocacy, batch_size=BATCH_SIZE)
    Contract.objects.bulk_create(contracts, batch_size=BATCH_SIZE)
    Interaction.objects.bulk_create(interactions, batch_size=BATCH_SIZE)
    Link = Interaction.contacts.through
    Link.objects.bulk_create(
        [
            Link(interaction_id=interaction.pk, contact_id=contact.pk)
            for interaction, chosen in zip(interactions, links, strict=True)
            for contact in chosen
        ],
        batch_size=BATCH_SIZE,
    )
    return RelationshipCounts(
        feedback=len(feedback),
        advocacy=len(advocacy),
        verified=sum(event.verified for event in advocacy),
        contracts=len(contracts),
        interactions=len(interactions),
        account_plans=plans_written,
    )


def _account_plans_seed(
    *, accounts: Sequence[Account], plans: Sequence[RelationshipPlan], people: Sequence[People]
) -> int:
    """Write the account plans with their objectives, SWOT items and actions: one insert per table."""
    now = timezone.now()
    rows: list[tuple[AccountPlan, AccountPlanDraft, People]] = []
    for account, plan, who in zip(accounts, plans, people, strict=True):
        for draft in plan.account_plans:
            row = AccountPlan(
                account=account,
                title=draft.title,
                period_start=draft.period_start,
                period_end=draft.period_end,
                status=draft.status,
                summary=draft.summary,
                created_by=who.owner,
            )
            rows.append((row, draft, who))
    AccountPlan.objects.bulk_create([row for row, _draft, _who in rows], batch_size=BATCH_SIZE)
    objectives: list[list[PlanObjective]] = [
        [PlanObjective(plan=row, position=n, **vars(objective)) for n, objective in enumerate(draft.objectives)]
        for row, draft, _who in rows
    ]
    PlanObjective.objects.bulk_create([one for own in objectives for one in own], batch_size=BATCH_SIZE)
    SwotItem.objects.bulk_create(
        [SwotItem(plan=row, kind=kind, text=text) for row, draft, _who in rows for kind, text in draft.swot],
        batch_size=BATCH_SIZE,
    )
    actions = []
    for (row, draft, who), own in zip(rows, objectives, strict=True):
        for action in draft.actions:
            owner = who.colleague if action.by is Part.COLLEAGUE and who.colleague is not None else who.owner
            done = action.status == ActionStatus.DONE
            actions.append(
                ActionItem(
                    plan=row,
                    title=action.title,
                    owner=owner,
                    due=action.due,
                    status=action.status,
                    objective=own[action.objective] if action.objective is not None else None,
                    completed_at=min(now, _noon(action.due)) if done else None,
                )
            )
    ActionItem.objects.bulk_create(actions, batch_size=BATCH_SIZE)
    return len(rows)


def _noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone())
