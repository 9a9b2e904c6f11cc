"""Reads of accounts and contacts. Visibility lives here and nowhere else (STYLE rule 3)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncMonth
from django.http import Http404

from accounts.choices import InvoiceStatus, OrderStatus, ScoringRunStatus
from accounts.models import Account, Contact, Invoice, Order, ScoringRun
from accounts.scoring.inputs import INPUT_FIELDS
from kam.roles import ACCOUNT_MANAGER, KAM_DIRECTOR, sees_all_accounts

User = get_user_model()


def accounts_visible_to(user: Any) -> QuerySet[Account]:
    """Every account for directors and integration users; for anyone else the accounts they own or
    are on the team of. Anonymous and deactivated users see none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Account.objects.none()
    if sees_all_accounts(user):
        return Account.objects.all()
    # ``owner_id = me OR id = ANY(ARRAY(team ids))``: both arms are index conditions (the team's ids are read
    # once, before the scan), so PostgreSQL ORs two bitmap index scans. ``OR EXISTS (team …)`` or ``id IN (…)``
    # is a filter no index can serve: every account was read to keep a manager's few thousand.
    on_team = Account.team.through.objects.filter(user_id=user.pk).order_by().values("account_id")
    return Account.objects.filter(Q(owner_id=user.pk) | IdInArray(F("pk"), Subquery(on_team)))


class IdInArray(Func):
    """``id = ANY(ARRAY(subquery))``: an uncorrelated subquery's ids as an array PostgreSQL computes once; unlike
    ``id IN (subquery)``, an index condition even as one arm of an OR."""

    arg_joiner = " = ANY(ARRAY("
    template = "(%(expressions)s)))"
    output_field = BooleanField()


def _current_runs() -> QuerySet[ScoringRun]:
    # The current scoring run is the latest finished one by as_of (a back-dated run is history): accounts show
    # its scores. An index (scoringrun_current_idx) answers this in one probe.
    return ScoringRun.objects.filter(status=ScoringRunStatus.DONE).order_by("-as_of", "-finished_at", "-id")


def accounts_with_score(queryset: QuerySet[Account]) -> QuerySet[Account]:
    """``queryset`` with the derived ``kas``, ``kas_previous`` and ``last_scored_at``: the account's score in
    the current run (None when that run did not score it: inactive, or created since), in one LEFT JOIN.
    Filters and ordering on these names work like on columns."""
    current = _current_runs()
    return queryset.annotate(
        current_score=FilteredRelation("scores", condition=Q(scores__run_id=Subquery(current.values("id")[:1]))),
        kas=F("current_score__kas"),
        kas_previous=F("current_score__kas_previous"),
        last_scored_at=Case(
            When(current_score__kas__isnull=False, then=Subquery(current.values("finished_at")[:1])),
            output_field=DateTimeField(),
        ),
    )


def accounts_with_contact_cadence(queryset: QuerySet[Account]) -> QuerySet[Account]:
    """``queryset`` with ``last_contact_at`` and ``contact_overdue_since`` from the account's contact cadence
    (``relationships.cadence``; None before its first check). Correlated lookups by primary key, which
    PostgreSQL evaluates for the rows of the page only; filters go through the relation itself
    (``contact_cadence__overdue_since``), which joins the few overdue rows."""
    from relationships.models import ContactCadence

    cadence = ContactCadence.objects.filter(account_id=OuterRef("pk"))
    return queryset.annotate(
        last_contact_at=Subquery(cadence.values("last_contact_at")[:1]),
        contact_overdue_since=Subquery(cadence.values("overdue_since")[:1]),
    )


def account_list(*, user: Any) -> QuerySet[Account]:
    """The portfolio: visible accounts with what every row shows, in a constant number of queries."""
    active_contacts = (
        Contact.objects.filter(account_id=OuterRef("pk"), is_active=True)
        .order_by()
        .values("account_id")
        .annotate(count=Count("*"))
        .values("count")
    )
    return (
        accounts_with_contact_cadence(accounts_with_score(accounts_visible_to(user)))
        .select_related("owner")
        # A correlated count rather than JOIN + GROUP BY: PostgreSQL evaluates it for the rows of the page only,
        # after the sort and LIMIT, where a GROUP BY would aggregate every visible account first.
        .annotate(
            contact_count=Coalesce(Subquery(active_contacts), 0),
            # Revenue of the 12 months before the current run's as-of day, as the run stored it (None: unscored).
            revenue_12m=F(f"current_score__inputs__{INPUT_FIELDS.index('revenue_w365')}"),
        )
        .order_by("name", "id")
    )


def account_get(*, user: Any, pk: Any) -> Account:
    """The account if ``user`` may see it; otherwise 404, so its existence is not confirmed."""
    try:
        return accounts_with_score(accounts_visible_to(user)).select_related("owner").get(pk=pk)
    except (Account.DoesNotExist, ValueError, TypeError):
        raise Http404("No such account.") from None


def account_team(*, account: Account) -> QuerySet:
    return account.team.order_by("first_name", "last_name", "username")


def contacts_visible_to(user: Any) -> QuerySet[Contact]:
    return Contact.objects.filter(account__in=accounts_visible_to(user))


def contact_list(*, user: Any) -> QuerySet[Contact]:
    return contacts_visible_to(user).select_related("account")


def contact_get(*, user: Any, pk: Any) -> Contact:
    try:
        return contacts_visible_to(user).select_related("account").get(pk=pk)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contact.") from None


def account_contacts(*, account: Account) -> QuerySet[Contact]:
    return account.contacts.order_by("-is_active", "name", "id")


def account_contact_get(*, account: Account, pk: Any) -> Contact:
    """A contact of ``account`` (already fetched through ``account_get``); 404 for any other contact, so a
    page under one account never reaches the contacts of another."""
    try:
        return account_contacts(account=account).get(pk=pk)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contact.") from None


def assignable_users() -> QuerySet:
    """Users who may own an account or be on its team: active managers and directors."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name__in=[ACCOUNT_MANAGER, KAM_DIRECTOR]))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


# --- evidence -------------------------------------------------------------------------------------------


def rows_on_visible_accounts(model: Any, user: Any) -> QuerySet:
    """Rows of ``model`` (which has an ``account``) on accounts ``user`` can see."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return model.objects.none()
    if sees_all_accounts(user):
        return model.objects.all()
    return model.objects.filter(account__in=accounts_visible_to(user))


def orders_visible_to(user: Any) -> QuerySet[Order]:
    return rows_on_visible_accounts(Order, user)


def invoices_visible_to(user: Any) -> QuerySet[Invoice]:
    return rows_on_visible_accounts(Invoice, user)


def order_list(*, user: Any) -> QuerySet[Order]:
    return orders_visible_to(user).select_related("account")


def invoice_list(*, user: Any) -> QuerySet[Invoice]:
    return invoices_visible_to(user).select_related("account")


# --- account page: the commercial summary and the relationship records -----------------------------------
# The relationship models live in the ``relationships`` app, which depends on ``accounts``; they are imported
# inside the functions so that importing this module never imports that app.

REVENUE_WINDOW_DAYS = 365
PAYMENT_WINDOW_DAYS = 365
WRITE_OFF_WINDOW_DAYS = 1095
WRITTEN_OFF_DAYS_LATE = 120  # DESIGN §5 C2: a write-off counts as 120 days late
REVENUE_MONTHS = 13  # the 12 complete calendar months before the current one, and the current one
LATEST_ROWS = 10


class DaysBetween(Func):
    """``later − earlier`` in whole days (PostgreSQL's ``date - date`` is an integer)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()


@dataclass(frozen=True)
class MonthRevenue:
    month: datetime.date  # the first day of the month
    amount: Decimal
    is_current: bool


@dataclass(frozen=True)
class OrderSummary:
    """What the account bought: revenue in W(365) as the scoring counts it (cancelled orders never count)."""

    revenue_12m: Decimal
    orders_12m: int
    order_count: int  # every order on record, cancelled ones included
    last_order_date: datetime.date | None
    months: list[MonthRevenue]


@dataclass(frozen=True)
class InvoiceSummary:
    """How the account pays. ``avg_days_late`` and ``paid_on_time_share`` follow DESIGN §5 C2: invoices not
    cancelled with due_date in W(365), amount-weighted, unpaid ones late until today, write-offs 120 days."""

    open_amount: Decimal
    open_count: int
    overdue_amount: Decimal
    overdue_count: int
    oldest_overdue_due: datetime.date | None
    avg_days_late: Decimal | None  # None: no invoice fell due in the window
    paid_on_time_share: Decimal | None  # 0…1 of the amount due in the window
    due_12m_amount: Decimal
    written_off_amount: Decimal  # due in W(1095): caps C2 and blocks key status
    written_off_count: int
    invoice_count: int


@dataclass(frozen=True)
class NpsSummary:
    """NPS answers in W(365): every answer counts once (the scoring's per-contact view is in the explanation)."""

    mean: Decimal | None
    count: int
    promoters: int
    passives: int
    detractors: int

    @property
    def nps(self) -> int | None:
        """The Net Promoter Score, % promoters − % detractors, −100…100."""
        if not self.count:
            return None
        return round(100 * (self.promoters - self.detractors) / self.count)

    def _share(self, part: int) -> float:
        return round(100 * part / self.count, 2) if self.count else 0.0

    @property
    def promoter_pct(self) -> float:
        return self._share(self.promoters)

    @property
    def passive_pct(self) -> float:
        return self._share(self.passives)

    @property
    def detractor_pct(self) -> float:
        return self._share(self.detractors)

    @property
    def detractor_start_pct(self) -> float:
        """Where the detractors' part of a stacked 0–100 bar starts."""
        return self._share(self.promoters + self.passives)


def month_starts(*, today: datetime.date, count: int = REVENUE_MONTHS) -> list[datetime.date]:
    """The first days of the ``count`` calendar months up to and including ``today``'s, oldest first."""
    starts = []
    year, month = today.year, today.month
    for _ in range(count):
        starts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _money(value: Decimal | None) -> Decimal:
    return value if value is not None else Decimal("0.00")


def account_order_summary(*, account: Account, today: datetime.date) -> OrderSummary:
    """Revenue figures of one account in two queries: the totals, and revenue per month (GROUP BY month)."""
    counted = ~Q(status=OrderStatus.CANCELLED) & Q(order_date__lte=today)
    in_window = counted & Q(order_date__gt=today - datetime.timedelta(days=REVENUE_WINDOW_DAYS))
    orders = Order.objects.filter(account=account).order_by()
    totals = orders.aggregate(
        revenue_12m=Sum("net_amount", filter=in_window),
        orders_12m=Count("id", filter=in_window),
        order_count=Count("id"),
        last_order_date=Max("order_date", filter=counted),
    )
    starts = month_starts(today=today)
    per_month = dict(
        orders.filter(counted, order_date__gte=starts[0])
        .annotate(month=TruncMonth("order_date"))
        .values("month")
        .annotate(amount=Sum("net_amount"))
        .values_list("month", "amount")
    )
    months = [
        MonthRevenue(month=start, amount=_money(per_month.get(start)), is_current=start == starts[-1])
        for start in starts
    ]
    return OrderSummary(
        revenue_12m=_money(totals["revenue_12m"]),
        orders_12m=totals["orders_12m"],
        order_count=totals["order_count"],
        last_order_date=totals["last_order_date"],
        months=months,
    )


def account_invoice_summary(*, account: Account, today: datetime.date) -> InvoiceSummary:
    """Open, overdue and payment behaviour of one account in a single aggregate query."""
    open_ = Q(status=InvoiceStatus.OPEN)
    overdue = open_ & Q(due_date__lt=today)
    due_in_window = (
        ~Q(status=InvoiceStatus.CANCELLED)
        & Q(issue_date__lte=today)
        & Q(due_date__gt=today - datetime.timedelta(days=PAYMENT_WINDOW_DAYS), due_date__lte=today)
    )
    paid_by_today = Q(status=InvoiceStatus.PAID, paid_date__lte=today)
    today_value = Value(today, output_field=DateField())
    days_late = Case(
        When(status=InvoiceStatus.WRITTEN_OFF, then=Value(WRITTEN_OFF_DAYS_LATE)),
        When(paid_by_today, then=Greatest(DaysBetween(F("paid_date"), F("due_date")), Value(0))),
        default=Greatest(DaysBetween(today_value, F("due_date")), Value(0)),
        output_field=IntegerField(),
    )
    written_off = Q(
        status=InvoiceStatus.WRITTEN_OFF,
        due_date__gt=today - datetime.timedelta(days=WRITE_OFF_WINDOW_DAYS),
        due_date__lte=today,
    )
    amount_times_late = ExpressionWrapper(F("amount") * days_late, output_field=DecimalField())
    totals = (
        Invoice.objects.filter(account=account)
        .order_by()
        .aggregate(
            open_amount=Sum("amount", filter=open_),
            open_count=Count("id", filter=open_),
            overdue_amount=Sum("amount", filter=overdue),
            overdue_count=Count("id", filter=overdue),
            oldest_overdue_due=Min("due_date", filter=overdue),
            late_weighted=Sum(amount_times_late, filter=due_in_window),
            due_amount=Sum("amount", filter=due_in_window),
            on_time_amount=Sum("amount", filter=due_in_window & paid_by_today & Q(paid_date__lte=F("due_date"))),
            written_off_amount=Sum("amount", filter=written_off),
            written_off_count=Count("id", filter=written_off),
            invoice_count=Count("id"),
        )
    )
    due_amount = _money(totals["due_amount"])
    return InvoiceSummary(
        open_amount=_money(totals["open_amount"]),
        open_count=totals["open_count"],
        overdue_amount=_money(totals["overdue_amount"]),
        overdue_count=totals["overdue_count"],
        oldest_overdue_due=totals["oldest_overdue_due"],
        avg_days_late=(_money(totals["late_weighted"]) / due_amount).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if due_amount
        else None,
        paid_on_time_share=(_money(totals["on_time_amount"]) / due_amount) if due_amount else None,
        due_12m_amount=due_amount,
        written_off_amount=_money(totals["written_off_amount"]),
        written_off_count=totals["written_off_count"],
        invoice_count=totals["invoice_count"],
    )


def account_latest_orders(*, account: Account, limit: int = LATEST_ROWS) -> QuerySet[Order]:
    return Order.objects.filter(account=account).order_by("-order_date", "-id")[:limit]


def account_latest_invoices(*, account: Account, limit: int = LATEST_ROWS) -> QuerySet[Invoice]:
    return Invoice.objects.filter(account=account).order_by("-issue_date", "-id")[:limit]


def account_interactions(*, account: Account, limit: int) -> list[Any]:
    """The timeline, latest first: who had each interaction and with which contacts, in two queries."""
    from relationships.models import Interaction

    return list(
        Interaction.objects.filter(account=account)
        .select_related("user")
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.order_by("name", "id")))
        .order_by("-occurred_at", "-id")[:limit]
    )


def account_interaction_contacts(*, account: Account) -> QuerySet[Contact]:
    """The contacts an interaction of ``account`` may involve: its active ones."""
    return account.contacts.filter(is_active=True).order_by("name", "id")


def account_feedback(*, account: Account, limit: int = LATEST_ROWS) -> QuerySet[Any]:
    from relationships.models import Feedback

    return Feedback.objects.filter(account=account).select_related("contact").order_by("-responded_on", "-id")[:limit]


def account_nps(*, account: Account, today: datetime.date) -> NpsSummary:
    """Mean and spread of the NPS answers in W(365), in one aggregate query."""
    from relationships.models import Feedback

    totals = (
        Feedback.objects.filter(
            account=account,
            responded_on__gt=today - datetime.timedelta(days=365),
            responded_on__lte=today,
        )
        .order_by()
        .aggregate(
            mean=Avg("score"),
            count=Count("id"),
            promoters=Count("id", filter=Q(score__gte=9)),
            passives=Count("id", filter=Q(score__in=(7, 8))),
            detractors=Count("id", filter=Q(score__lte=6)),
        )
    )
    mean = totals["mean"]
    return NpsSummary(
        mean=Decimal(str(mean)).quantize(Decimal("0.1"), ROUND_HALF_UP) if mean is not None else None,
        count=totals["count"],
        promoters=totals["promoters"],
        passives=totals["passives"],
        detractors=totals["detractors"],
    )


def account_advocacy_events(*, account: Account, user: Any) -> list[Any]:
    """The account's advocacy events with who logged and verified them, and the referred account; whether
    ``user`` may open the referred account is annotated (``referred_visible``), so nothing else is linked."""
    from relationships.models import AdvocacyEvent

    events = list(
        AdvocacyEvent.objects.filter(account=account)
        .select_related("logged_by", "verified_by", "referred_account")
        .annotate(
            referred_visible=Exists(accounts_visible_to(user).filter(pk=OuterRef("referred_account_id"))),
        )
        .order_by("-occurred_on", "-id")
    )
    for event in events:
        event.account = account  # the permission predicates read it; it is the page's account
    return events


def account_advocacy_event_get(*, account: Account, pk: Any) -> Any:
    """An advocacy event of ``account`` (already fetched through ``account_get``); 404 for any other."""
    from relationships.models import AdvocacyEvent

    try:
        event = AdvocacyEvent.objects.get(account=account, pk=pk)
    except (AdvocacyEvent.DoesNotExist, ValueError, TypeError):
        raise Http404("No such advocacy event.") from None
    event.account = account
    return event


def account_contracts(*, account: Account, today: datetime.date) -> QuerySet[Any]:
    """The account's contracts, newest first, each with ``is_active_now`` (started, not yet ended)."""
    from relationships.models import Contract

    active_now = Q(starts_on__lte=today) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    return (
        Contract.objects.filter(account=account)
        .annotate(is_active_now=ExpressionWrapper(active_now, output_field=BooleanField()))
        .order_by("-starts_on", "-id")
    )


def advocacy_referral_choices(*, user: Any, account: Account) -> QuerySet[Account]:
    """Accounts ``user`` may name as referred by ``account``: the ones they see, but not ``account`` itself."""
    return accounts_visible_to(user).exclude(pk=account.pk).order_by("name", "id")


REFERRAL_OPTIONS_SHOWN = 20


def advocacy_referral_options(*, user: Any, account: Account, text: str) -> list[Account]:
    """What the referred-account field suggests as ``user`` types: up to ``REFERRAL_OPTIONS_SHOWN`` accounts they
    may name whose name or external id holds ``text`` (a portfolio has thousands: the page never lists them all)."""
    text = text.strip()
    if not text:
        return []
    matching = Q(name__icontains=text) | Q(external_id__icontains=text)
    choices = advocacy_referral_choices(user=user, account=account).filter(matching)
    return list(choices.only("id", "name", "external_id")[:REFERRAL_OPTIONS_SHOWN])


def advocacy_referral_find(*, user: Any, account: Account, text: str) -> Account | None:
    """The account ``text`` names among those ``user`` may name as referred: by its external id, else by its whole
    name (any case) when only one has it; ``None`` for no text. Raises ``ValidationError`` saying what to type."""
    text = text.strip()
    if not text:
        return None
    choices = advocacy_referral_choices(user=user, account=account)
    found = choices.filter(external_id=text).first()
    if found is not None:
        return found
    named = list(choices.filter(name__iexact=text)[:2])
    if len(named) == 1:
        return named[0]
    if named:
        raise ValidationError("Several accounts have this name: type its external id.")
    raise ValidationError("No account you can name has this name or external id.")
