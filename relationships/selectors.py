"""Reads of the relationship records, scoped by the account visibility of ``accounts.selectors``, and the
account page's stakeholder map."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from accounts.choices import BuyingRole
from accounts.models import Account, Contact
from accounts.selectors import rows_on_visible_accounts
from relationships.cadence import cadence_allowed_days, cadence_tier
from relationships.choices import InteractionStatus
from relationships.models import AdvocacyEvent, ContactCadence, Contract, Feedback, Interaction


def feedback_visible_to(user: Any) -> QuerySet[Feedback]:
    return rows_on_visible_accounts(Feedback, user)


def advocacy_events_visible_to(user: Any) -> QuerySet[AdvocacyEvent]:
    return rows_on_visible_accounts(AdvocacyEvent, user)


def contracts_visible_to(user: Any) -> QuerySet[Contract]:
    return rows_on_visible_accounts(Contract, user)


def interactions_visible_to(user: Any) -> QuerySet[Interaction]:
    return rows_on_visible_accounts(Interaction, user)


def feedback_list(*, user: Any) -> QuerySet[Feedback]:
    return feedback_visible_to(user).select_related("account", "contact")


def advocacy_event_list(*, user: Any) -> QuerySet[AdvocacyEvent]:
    return advocacy_events_visible_to(user).select_related("account", "logged_by", "verified_by", "referred_account")


def contract_list(*, user: Any) -> QuerySet[Contract]:
    return contracts_visible_to(user).select_related("account")


def interaction_list(*, user: Any) -> QuerySet[Interaction]:
    return interactions_visible_to(user).select_related("account", "user").prefetch_related("contacts")


# --- the account page's stakeholder map -------------------------------------------------------------------

# "The last 12 months" and "the last 90 days" are W(365) and W(90) as the scoring defines them: days d with
# today − n < d ≤ today, in TIME_ZONE.
STAKEHOLDER_WINDOW_DAYS = 365
DECISION_MAKER_WINDOW_DAYS = 90
# One person is in this share of the account's completed interactions of the last 12 months or more…
CONCENTRATION_SHARE = 0.8
# …and there were at least this many (two meetings with the same person say nothing yet).
CONCENTRATION_MIN_INTERACTIONS = 3
# A blocker this influential (of 5) needs a champion to counter them.
BLOCKER_HIGH_INFLUENCE = 4
DECIDING_ROLES = (BuyingRole.ECONOMIC_BUYER, BuyingRole.DECISION_MAKER)


@dataclass(frozen=True)
class Stakeholder:
    """An active contact with when they were last in a completed interaction and how often in 12 months."""

    contact: Contact
    last_contacted_at: datetime.datetime | None
    interactions_12m: int
    days_since_contact: int | None  # None: never in a completed interaction


@dataclass(frozen=True)
class StakeholderRole:
    code: str
    label: str
    stakeholders: list[Stakeholder]


@dataclass(frozen=True)
class StakeholderWarning:
    code: str  # single_contact, no_contacts, concentrated, no_decision_maker, decision_maker_not_contacted,
    # blocker_without_champion
    message: str


@dataclass(frozen=True)
class StakeholderMap:
    """The account's buying centre: its active contacts by buying role (in the roles' order, most influential
    first), what is risky about it, and how its contact cadence stands."""

    roles: list[StakeholderRole]  # the roles somebody holds
    unmapped_roles: list[str]  # labels of the roles nobody active holds
    warnings: list[StakeholderWarning]
    active_contacts: int
    inactive_contacts: int
    interactions_12m: int  # completed interactions of the account in W(365), with or without contacts
    last_contact_at: datetime.datetime | None  # the account's latest completed interaction
    days_since_contact: int | None
    allowed_days: int  # the account's tier's contact cadence (KAM_CADENCE_DAYS)
    tier: str  # strategic, key or other
    overdue_since: datetime.date | None  # the stored flag (relationships.cadence), as the portfolio shows it


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _days_since(moment: datetime.datetime | None, today: datetime.date) -> int | None:
    return None if moment is None else (today - timezone.localtime(moment).date()).days


def stakeholder_warnings(
    *, stakeholders: list[Stakeholder], interactions_12m: int, account_name: str
) -> list[StakeholderWarning]:
    """What is risky about a buying centre (``stakeholders``: the active contacts), most serious first.

    (a) It hangs on one person: no active contact, or only one; or one contact took part in at least 80 % of
        the account's completed interactions of the last 12 months (out of at least three).
    (b) Nobody who decides was reached: no active economic buyer or decision maker, or none of them was in a
        completed interaction in the last 90 days.
    (c) An influential blocker (influence ≥ 4) and no active champion to counter them.
    """
    warnings: list[StakeholderWarning] = []
    if not stakeholders:
        warnings.append(
            StakeholderWarning("no_contacts", f"No active contacts: nobody at {account_name} is on record.")
        )
    elif len(stakeholders) == 1:
        only = stakeholders[0].contact
        warnings.append(
            StakeholderWarning(
                "single_contact",
                f"The relationship hangs on one person: {only.name} is the only active contact.",
            )
        )
    elif interactions_12m >= CONCENTRATION_MIN_INTERACTIONS:
        busiest = max(stakeholders, key=lambda s: (s.interactions_12m, -s.contact.pk))
        if busiest.interactions_12m >= CONCENTRATION_SHARE * interactions_12m:
            share = round(100 * busiest.interactions_12m / interactions_12m)
            warnings.append(
                StakeholderWarning(
                    "concentrated",
                    f"The relationship hangs on one person: {busiest.contact.name} took part in "
                    f"{busiest.interactions_12m} of the {interactions_12m} completed interactions of the last 12 "
                    f"months ({share} %).",
                )
            )
    if stakeholders:
        deciders = [s for s in stakeholders if s.contact.buying_role in DECIDING_ROLES]
        if not deciders:
            warnings.append(
                StakeholderWarning(
                    "no_decision_maker", "No economic buyer or decision maker is mapped among the active contacts."
                )
            )
        elif not any(
            s.days_since_contact is not None and s.days_since_contact < DECISION_MAKER_WINDOW_DAYS for s in deciders
        ):
            latest = max(
                deciders, key=lambda s: s.last_contacted_at or datetime.datetime.min.replace(tzinfo=datetime.UTC)
            )
            last = (
                f"last: {latest.contact.name}, {latest.days_since_contact} days ago"
                if latest.last_contacted_at is not None
                else "none of them was ever in a completed interaction"
            )
            warnings.append(
                StakeholderWarning(
                    "decision_maker_not_contacted",
                    f"No decision maker or economic buyer contacted in the last {DECISION_MAKER_WINDOW_DAYS} days "
                    f"({last}).",
                )
            )
    champions = [s for s in stakeholders if s.contact.buying_role == BuyingRole.CHAMPION]
    blockers = [
        s
        for s in stakeholders
        if s.contact.buying_role == BuyingRole.BLOCKER and s.contact.influence >= BLOCKER_HIGH_INFLUENCE
    ]
    if blockers and not champions:
        strongest = max(blockers, key=lambda s: (s.contact.influence, -s.contact.pk)).contact
        warnings.append(
            StakeholderWarning(
                "blocker_without_champion",
                f"{strongest.name} blocks with influence {strongest.influence} of 5, and no champion counters them.",
            )
        )
    return warnings


def account_stakeholder_map(*, account: Account, today: datetime.date) -> StakeholderMap:
    """The stakeholder map of ``account`` (already fetched through ``account_get``) as of ``today``, in three
    queries whatever the number of contacts and interactions: the contacts with their last completed
    interaction and their count in W(365); the account's own last completed interaction and count; its stored
    contact-cadence flag."""
    day_end = _day_start(today + datetime.timedelta(days=1))
    window_start = _day_start(today - datetime.timedelta(days=STAKEHOLDER_WINDOW_DAYS - 1))
    completed = Q(interactions__status=InteractionStatus.COMPLETED, interactions__occurred_at__lt=day_end)
    contacts = list(
        Contact.objects.filter(account=account)
        .annotate(
            last_contacted_at=Max("interactions__occurred_at", filter=completed),
            interactions_12m=Count(
                "interactions", filter=completed & Q(interactions__occurred_at__gte=window_start), distinct=True
            ),
        )
        .order_by("-influence", "name", "id")
    )
    totals = (
        Interaction.objects.filter(account=account, status=InteractionStatus.COMPLETED, occurred_at__lt=day_end)
        .order_by()
        .aggregate(last_at=Max("occurred_at"), in_window=Count("id", filter=Q(occurred_at__gte=window_start)))
    )
    cadence = ContactCadence.objects.filter(account=account).values_list("overdue_since", flat=True).first()

    stakeholders = [
        Stakeholder(
            contact=contact,
            last_contacted_at=contact.last_contacted_at,
            interactions_12m=contact.interactions_12m,
            days_since_contact=_days_since(contact.last_contacted_at, today),
        )
        for contact in contacts
        if contact.is_active
    ]
    by_role: dict[str, list[Stakeholder]] = {}
    for stakeholder in stakeholders:
        by_role.setdefault(stakeholder.contact.buying_role, []).append(stakeholder)
    return StakeholderMap(
        roles=[
            StakeholderRole(code, str(label), by_role[code]) for code, label in BuyingRole.choices if code in by_role
        ],
        unmapped_roles=[str(label) for code, label in BuyingRole.choices if code not in by_role],
        warnings=stakeholder_warnings(
            stakeholders=stakeholders, interactions_12m=totals["in_window"], account_name=account.name
        ),
        active_contacts=len(stakeholders),
        inactive_contacts=len(contacts) - len(stakeholders),
        interactions_12m=totals["in_window"],
        last_contact_at=totals["last_at"],
        days_since_contact=_days_since(totals["last_at"], today),
        allowed_days=cadence_allowed_days(account.key_status),
        tier=cadence_tier(account.key_status),
        overdue_since=cadence,
    )
