"""Reads of the KPI dashboard (DESIGN §11, the home page): whether key account management works, at a glance,
over the accounts the user sees (a manager: theirs), filtered by kind, industry and owner.

Where the numbers come from, so that every figure can be traced:

- **The current scoring run** (the latest finished one by as_of, whose scores accounts show): KAS, its fall since
  the run before, overdue invoices (``overdue_unpaid``) and revenue, from the inputs the run stored with every
  score (``accounts.scoring.inputs``). The dashboard never scans orders: a period's revenue is the sum of the
  run's complete calendar months ``M1…M12`` (the last 3, 6 or 12 of them), the year's revenue for retention is the
  run's ``R12`` (revenue in W(365)).
- **Retention** compares the key and strategic accounts of the *cohort run* — the latest finished run at least a
  year before the current one — with now: logo retention is the share still key or strategic (and scored by the
  current run), revenue retention their R12 now against their R12 in the cohort run (net: expansion counts,
  lost accounts count as nothing).
- **Live records**: the accounts themselves (kind, industry, owner, key status, stage), ladder moves, contact
  cadence, NPS answers, benefit grants and costs.

**One statement, two sources.** ``_base_sql`` is the dashboard's base relation: for a set of accounts, their
figures grouped by kind, industry and owner and by the part of the dashboard they feed (``part``: status, stage,
retention, moves, benefits), plus one row per key account at risk. ``_read`` aggregates it to what the page
shows (by owner and the part's own dimension) and picks the at-risk list, in one statement.

- A manager's dashboard (and anyone's who does not see every account) runs it live over the accounts they see:
  a few thousand at most, tens of milliseconds.
- A director's reads the same relation materialised in ``DashboardCell`` by ``dashboard_refresh`` — over every
  account, after each scoring run, each daily contact-cadence check and each daily benefit lifecycle — a few
  thousand rows instead of 100,000 accounts. The page says when it was refreshed. Until a refresh caught up with
  the current run (it runs right after it), a director's dashboard is computed live too, so it is never older
  than the scores.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import BooleanField, CharField, Count, F, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.choices import KeyStatus, LadderStage, ScoringRunStatus
from accounts.models import Account, AccountScore, ScoringRun
from accounts.scoring.inputs import INPUT_FIELDS
from accounts.selectors import IdInArray, accounts_visible_to
from benefits.choices import BenefitCategory
from benefits.models import BenefitCost, BenefitGrant
from benefits.page_selectors import ROI_STATUSES
from benefits.selectors import grants_with_roi
from kam.models import DashboardCell
from kam.roles import sees_all_accounts
from relationships.ladder.rules import DETRACTOR_MAX
from relationships.models import ContactCadence, Feedback, LadderTransition
from relationships.selectors import BOARD_MOVES_DAYS, ladder_funnel

User = get_user_model()

PERIODS = (12, 6, 3)  # months of revenue: the last N complete calendar months before the run's as_of
KEY_STATUSES = (KeyStatus.STRATEGIC, KeyStatus.KEY)
STATUS_ORDER = (KeyStatus.STRATEGIC, KeyStatus.KEY, KeyStatus.CANDIDATE, KeyStatus.STANDARD)
KAS_BUCKETS = 10  # 0–10, 10–20, … 90–100 (100 falls in the last)
RETENTION_DAYS = 365
DETRACTOR_DAYS = 180
AT_RISK_SHOWN = 25
SEEN = "seen"  # the summary row that fingerprints the accounts a manager saw
PERCENT = Decimal("0.1")
CENT = Decimal("0.01")

# 1-based positions in ``AccountScore.inputs`` (PostgreSQL arrays count from 1).
_POSITION = {name: index + 1 for index, name in enumerate(INPUT_FIELDS)}


def kas_drop_threshold() -> Decimal:
    """How far a key account's KAS must fall since the run before to be at risk (``KAM_DASHBOARD_KAS_DROP``)."""
    return Decimal(settings.KAM_DASHBOARD_KAS_DROP)


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part`` as a percentage of ``whole`` to one decimal; None when there is no whole to speak of."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, rounding=ROUND_HALF_UP)


# --- filters and windows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the dashboard is about: accounts of one kind, one industry, one owner (empty: all), and the number of
    months of revenue."""

    kind: str = ""
    industry: str = ""
    owner_id: int | None = None
    period: int = 12

    def accounts(self, user: Any) -> QuerySet[Account]:
        """The accounts ``user`` sees that match the filters, active or not (retention needs the lost ones)."""
        accounts = accounts_visible_to(user)
        if self.kind:
            accounts = accounts.filter(kind=self.kind)
        if self.industry:
            accounts = accounts.filter(industry=self.industry)
        if self.owner_id is not None:
            accounts = accounts.filter(owner_id=self.owner_id)
        return accounts


def filter_choices(*, user: Any) -> dict[str, list[tuple[Any, str]]]:
    """The industries and the owners of the accounts ``user`` sees, for the filter form: two queries. Over every
    account (directors) each distinct value is one probe of its index, not a read of 100,000 rows."""
    if sees_all_accounts(user):
        with connection.cursor() as cursor:
            cursor.execute(_distinct_by_index_sql("industry", "industry <> ''"))
            industries = [row[0] for row in cursor.fetchall()]
        owners = User.objects.filter(pk__in=RawSQL(_distinct_by_index_sql("owner_id"), []))  # noqa: S611
    else:
        visible = accounts_visible_to(user)
        industries = list(
            visible.exclude(industry="").order_by("industry").values_list("industry", flat=True).distinct("industry")
        )
        # the owners' ids as an array computed once (a semi-join would probe each user's accounts)
        owners = User.objects.filter(IdInArray(F("pk"), Subquery(visible.order_by().values("owner_id").distinct())))
    owners = owners.order_by("first_name", "last_name", "username")
    return {
        "industry": [(name, name) for name in industries],
        "owner": [(owner.pk, owner.get_full_name() or owner.get_username()) for owner in owners],
    }


def _distinct_by_index_sql(column: str, condition: str = "TRUE") -> str:
    """The distinct non-null values of an indexed column of the accounts meeting ``condition``, in order, by
    walking its index from one value to the next (a "loose index scan" as a recursive query)."""
    table = Account._meta.db_table
    return f"""
        WITH RECURSIVE walk(value) AS (
            (SELECT {column} FROM {table} WHERE {column} IS NOT NULL AND {condition} ORDER BY {column} LIMIT 1)
            UNION ALL
            SELECT (SELECT {column} FROM {table} WHERE {column} > walk.value AND {condition} ORDER BY {column} LIMIT 1)
              FROM walk WHERE walk.value IS NOT NULL
        )
        SELECT value FROM walk WHERE value IS NOT NULL
    """  # noqa: S608 (constants of this module only)


def period_window(as_of: datetime.date, months: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the ``months`` complete calendar months before the month of ``as_of`` (the
    run's ``M(13 − months)…M12``)."""
    first_of_month = as_of.replace(day=1)
    end = first_of_month - datetime.timedelta(days=1)
    year, month = divmod(first_of_month.year * 12 + first_of_month.month - 1 - months, 12)
    return datetime.date(year, month + 1, 1), end


def current_run() -> ScoringRun | None:
    return ScoringRun.objects.filter(status=ScoringRunStatus.DONE).order_by("-as_of", "-finished_at", "-id").first()


def cohort_run(current: ScoringRun) -> ScoringRun | None:
    """The latest finished run at least a year before ``current``: the key accounts retention starts from."""
    return (
        ScoringRun.objects.filter(
            status=ScoringRunStatus.DONE, as_of__lte=current.as_of - datetime.timedelta(days=RETENTION_DAYS)
        )
        .order_by("-as_of", "-finished_at", "-id")
        .first()
    )


@dataclass
class StatusRow:
    status: str
    label: str
    accounts: int = 0
    revenue: Decimal = Decimal(0)
    share: Decimal | None = None  # of the period's revenue


@dataclass
class Headline:
    accounts: int
    scored: int
    key: int
    strategic: int
    key_revenue: Decimal
    revenue: Decimal
    key_share: Decimal | None
    at_risk: int

    @property
    def key_and_strategic(self) -> int:
        return self.key + self.strategic


@dataclass
class Bucket:
    low: int
    high: int
    counts: dict[str, int]

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class ManagerLoad:
    owner_id: int | None
    name: str
    accounts: int = 0
    key: int = 0
    strategic: int = 0
    revenue: Decimal = Decimal(0)
    contact_overdue: int = 0
    at_risk: int = 0


@dataclass
class Retention:
    """Key and strategic accounts of the cohort run, followed to the current run."""

    cohort_as_of: datetime.date
    current_as_of: datetime.date
    cohort: int = 0
    retained: int = 0  # still key or strategic
    downgraded: int = 0  # scored now, but candidate or standard
    lost: int = 0  # not scored now (inactive)
    buying: int = 0  # with revenue in the 12 months before now
    gained: int = 0  # key or strategic now, not in the cohort
    revenue_before: Decimal = Decimal(0)  # the cohort's revenue in the 12 months before the cohort run
    revenue_now: Decimal = Decimal(0)  # the same accounts' revenue in the 12 months before now

    @property
    def logo_rate(self) -> Decimal | None:
        return percent(self.retained, self.cohort)

    @property
    def revenue_rate(self) -> Decimal | None:
        return percent(self.revenue_now, self.revenue_before)


@dataclass
class BenefitRow:
    category: str
    label: str
    grants: int = 0
    cost_in_period: Decimal = Decimal(0)
    revenue_during: Decimal = Decimal(0)
    revenue_before: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)  # over each grant's life to date (the ROI's cost)
    roi: Decimal = Decimal(0)

    @property
    def uplift(self) -> Decimal:
        return self.revenue_during - self.revenue_before

    @property
    def roi_rate(self) -> Decimal | None:
        return percent(self.roi, self.cost)


@dataclass
class Benefits:
    rows: list[BenefitRow]
    key_revenue: Decimal

    def total(self) -> BenefitRow:
        total = BenefitRow(category="", label="All")
        for row in self.rows:
            for name in ("grants", "cost_in_period", "revenue_during", "revenue_before", "cost", "roi"):
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return total

    @property
    def cost_share(self) -> Decimal | None:
        """The period's benefit cost as a percentage of the key and strategic accounts' revenue in the period."""
        return percent(self.total().cost_in_period, self.key_revenue)


@dataclass
class AtRisk:
    account: Account
    reasons: list[str]
    kas: Decimal | None
    kas_drop: Decimal | None


@dataclass
class Dashboard:
    filters: Filters
    today: datetime.date
    run: ScoringRun | None
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    headline: Headline | None = None
    by_status: list[StatusRow] = field(default_factory=list)
    kas: list[Bucket] = field(default_factory=list)
    unscored: int = 0
    managers: list[ManagerLoad] = field(default_factory=list)
    retention: Retention | None = None
    earliest_run: datetime.date | None = None
    ladder: dict[str, Any] = field(default_factory=dict)
    benefits: Benefits | None = None
    at_risk: list[AtRisk] = field(default_factory=list)
    refreshed_at: datetime.datetime | None = None  # when the summary it was read from was refreshed (directors)


# --- the base relation ------------------------------------------------------------------------------------------

# The columns of the base relation (and of ``DashboardCell``), in order: the dimensions, then the measures, then
# what an at-risk row carries.
DIMENSIONS = (
    "part", "kind", "industry", "owner_id", "key_status", "kas_bucket", "stage", "outcome", "from_stage",
    "to_stage", "category", "period",
)  # fmt: skip
MEASURES = (
    "accounts", "scored", "revenue_3", "revenue_6", "revenue_12", "r12", "cohort_r12", "buying", "contact_overdue",
    "at_risk", "moves", "grants", "cost_in_period", "revenue_during", "revenue_before", "cost", "roi",
)  # fmt: skip
RISK = (
    "account_id", "name", "kas", "kas_drop", "overdue_amount", "contact_overdue_since", "falling", "contact",
    "invoices", "detractor", "reasons",
)  # fmt: skip
COLUMNS = DIMENSIONS + MEASURES + RISK
# A UNION resolves the type of a column pair by pair: a part that does not set a column gives a typed NULL.
_NULL_TYPES = {
    "owner_id": "integer",
    "kas_bucket": "integer",
    "period": "integer",
    "account_id": "integer",
    "kas": "numeric",
    "kas_drop": "numeric",
    "overdue_amount": "numeric",
    "contact_overdue_since": "date",
    "falling": "boolean",
    "contact": "boolean",
    "invoices": "boolean",
    "detractor": "boolean",
    "reasons": "integer",
}
_PLACEHOLDER = re.compile(r"(?<!%)%s")


def _named(compiled: tuple[str, tuple[Any, ...]], prefix: str, params: dict[str, Any]) -> str:
    """A compiled queryset's SQL with its ``%s`` placeholders named ``prefix0…``, its values put in ``params``, so
    it can sit inside a statement with named parameters."""
    sql, values = compiled
    names = iter(range(len(values)))

    def name(_match: re.Match[str]) -> str:
        key = f"{prefix}{next(names)}"
        return f"%({key})s"

    named = _PLACEHOLDER.sub(name, sql)
    params.update({f"{prefix}{index}": value for index, value in enumerate(values)})
    return named


def _revenue_sql(alias: str, months: int) -> str:
    """The run's last ``months`` calendar months of revenue (``M(13 − months)…M12``) of the score row ``alias``."""
    positions = range(_POSITION["m12"] - months + 1, _POSITION["m12"] + 1)
    return "(" + " + ".join(f"COALESCE({alias}.inputs[{position}], 0)" for position in positions) + ")"


def _grants_sql(accounts: QuerySet[Account], today: datetime.date, since: datetime.date, params: dict) -> str:
    """Granted benefits of ``accounts`` running at some time from ``since`` to today, each with its ROI estimate to
    date (``benefits.selectors.grants_with_roi``) and whether it has recorded costs."""
    grants = BenefitGrant.objects.filter(
        account__in=accounts.values("id"), status__in=ROI_STATUSES, valid_from__lte=today, valid_to__gte=since
    )
    annotated: Any = grants_with_roi(grants, today)  # with the ROI annotations the type checker cannot see
    rows = annotated.order_by().values(
        "id",
        "account_id",
        "valid_from",
        "valid_to",
        "committed_cost",
        "cost_recorded",
        "revenue_during",
        "revenue_before",
        "cost",
        "roi",
        category=F("benefit_type__category"),
    )
    return _named(rows.query.sql_with_params(), "g", params)


def _base_sql(
    *, accounts: QuerySet[Account], run: ScoringRun, cohort: ScoringRun | None, today: datetime.date, params: dict
) -> str:
    """The base relation over ``accounts`` (active or not; the lost ones count for retention) as SQL with named
    parameters (added to ``params``): ``COLUMNS`` in order, one row per (part, kind, industry, owner, the part's
    dimension) and one per key account at risk."""
    dims = ("id", "name", "kind", "industry", "owner_id", "is_active", "key_status", "stage")
    accounts_sql = _named(accounts.order_by().values(*dims).query.sql_with_params(), "a", params)
    windows = {months: period_window(run.as_of, months)[0] for months in PERIODS}
    grants_sql = _grants_sql(accounts, today, min(windows.values()), params)
    params.update(
        run=run.pk,
        cohort=cohort.pk if cohort is not None else None,
        today=today,
        kas_drop=kas_drop_threshold(),
        detractor_since=today - datetime.timedelta(days=DETRACTOR_DAYS),
        detractor_max=DETRACTOR_MAX,
        moves_since=today - datetime.timedelta(days=BOARD_MOVES_DAYS),
        **{f"start{months}": start for months, start in windows.items()},
    )
    key = ", ".join(f"'{status}'" for status in KEY_STATUSES)
    score, cadence, feedback = AccountScore._meta.db_table, ContactCadence._meta.db_table, Feedback._meta.db_table
    transitions, costs = LadderTransition._meta.db_table, BenefitCost._meta.db_table

    def select(part: str, **values: str) -> str:
        """One part's SELECT list: every column, those the part does not set as NULL (dimensions, at-risk
        columns) or 0 (measures)."""
        columns = []
        for column in COLUMNS:
            if column == "part":
                expression = f"'{part}'"
            elif column in values:
                expression = values[column]
            elif column in ("kind", "industry", "owner_id"):
                expression = f"a.{column}"
            elif column in MEASURES:
                expression = "0"
            elif column in ("falling", "contact", "invoices", "detractor"):
                expression = "false"
            else:
                expression = f"NULL::{_NULL_TYPES.get(column, 'text')}"
            columns.append(f"{expression} AS {column}")
        return "SELECT " + ", ".join(columns)

    group = "GROUP BY a.kind, a.industry, a.owner_id"
    return f"""
        WITH a AS MATERIALIZED ({accounts_sql}),
        -- Everything per account of ``a`` is read by index, in LATERAL subqueries that OFFSET 0 keeps nested
        -- loops: linear in the accounts whatever the planner believes of fresh tables (a refresh runs right after
        -- a scoring run wrote 100,000 scores), and a manager's few thousand accounts never hash a whole run.
        cur AS (
            SELECT a.*, s.kas, s.kas_previous - s.kas AS kas_drop, s.account_id IS NOT NULL AS scored,
                   CASE WHEN s.kas IS NOT NULL
                        THEN LEAST(width_bucket(s.kas, 0, 100, {KAS_BUCKETS}), {KAS_BUCKETS}) END AS kas_bucket,
                   {_revenue_sql("s", 3)} AS revenue_3, {_revenue_sql("s", 6)} AS revenue_6,
                   {_revenue_sql("s", 12)} AS revenue_12,
                   COALESCE(s.inputs[{_POSITION["revenue_w365"]}], 0) AS r12,
                   COALESCE(s.inputs[{_POSITION["overdue_unpaid"]}], 0) AS overdue_amount
            FROM a LEFT JOIN LATERAL (
                SELECT * FROM {score} WHERE run_id = %(run)s AND account_id = a.id OFFSET 0
            ) s ON TRUE
        ),
        acc AS (
            SELECT cur.*, c.overdue_since,
                   COALESCE(cur.key_status IN ({key}) AND cur.kas_drop >= %(kas_drop)s, false) AS falling,
                   cur.key_status IN ({key}) AND c.overdue_since IS NOT NULL AS contact,
                   cur.key_status IN ({key}) AND cur.overdue_amount > 0 AS invoices,
                   d.hit IS NOT NULL AS detractor
            FROM cur LEFT JOIN LATERAL (
                SELECT overdue_since FROM {cadence} WHERE account_id = cur.id OFFSET 0
            ) c ON TRUE
            LEFT JOIN LATERAL (
                SELECT 1 AS hit FROM {feedback} f
                WHERE cur.key_status IN ({key}) AND f.account_id = cur.id AND f.score <= %(detractor_max)s
                  AND f.responded_on > %(detractor_since)s AND f.responded_on <= %(today)s
                LIMIT 1
            ) d ON TRUE
            WHERE cur.is_active
        ),
        risky AS (
            SELECT acc.*, falling::int + contact::int + invoices::int + detractor::int AS reasons FROM acc
        ),
        g AS ({grants_sql})
        {
        select(
            "status",
            key_status="a.key_status",
            kas_bucket="a.kas_bucket",
            accounts="count(*)",
            scored="count(a.kas)",
            revenue_3="COALESCE(sum(a.revenue_3), 0)",
            revenue_6="COALESCE(sum(a.revenue_6), 0)",
            revenue_12="COALESCE(sum(a.revenue_12), 0)",
            contact_overdue="count(*) FILTER (WHERE a.overdue_since IS NOT NULL)",
            at_risk="count(*) FILTER (WHERE a.reasons > 0)",
        )
    }
        FROM risky a {group}, a.key_status, a.kas_bucket
        UNION ALL
        {select("stage", stage="a.stage", accounts="count(*)")}
        FROM a WHERE a.is_active {group}, a.stage
        UNION ALL
        {
        select(
            "retention",
            outcome=f"CASE WHEN NOT a.scored THEN 'lost' WHEN a.key_status IN ({key}) THEN 'retained'"
            " ELSE 'downgraded' END",
            accounts="count(*)",
            r12="COALESCE(sum(a.r12), 0)",
            cohort_r12=f"COALESCE(sum(COALESCE(b.inputs[{_POSITION['revenue_w365']}], 0)), 0)",
            buying="count(*) FILTER (WHERE a.r12 > 0)",
        )
    }
        FROM cur a CROSS JOIN LATERAL (
            SELECT inputs FROM {score}
            WHERE run_id = %(cohort)s AND account_id = a.id AND key_status IN ({key}) OFFSET 0
        ) b
        {group}, 8  -- 8: outcome
        UNION ALL
        {select("moves", from_stage="t.from_stage", to_stage="t.to_stage", moves="count(*)")}
        FROM a CROSS JOIN LATERAL (
            SELECT from_stage, to_stage FROM {transitions} WHERE account_id = a.id AND as_of > %(moves_since)s OFFSET 0
        ) t
        WHERE a.is_active {group}, t.from_stage, t.to_stage
        UNION ALL
        {
        select(
            "benefits",
            category="g.category",
            period="w.months",
            grants="count(*)",
            cost_in_period=f'''COALESCE(sum(CASE WHEN g.cost_recorded IS NOT NULL
                THEN (SELECT COALESCE(sum(bc.amount), 0) FROM {costs} bc
                      WHERE bc.grant_id = g.id AND bc.incurred_on BETWEEN w.start AND %(today)s)
                ELSE g.committed_cost * GREATEST(0, LEAST(g.valid_to, %(today)s) - GREATEST(g.valid_from, w.start) + 1)
                     / (g.valid_to - g.valid_from + 1) END), 0)''',
            revenue_during="COALESCE(sum(g.revenue_during), 0)",
            revenue_before="COALESCE(sum(g.revenue_before), 0)",
            cost="COALESCE(sum(g.cost), 0)",
            roi="COALESCE(sum(g.roi), 0)",
        )
    }
        FROM g JOIN {Account._meta.db_table} a ON a.id = g.account_id  -- g has only accounts of ``a``
        JOIN (VALUES (3, %(start3)s::date), (6, %(start6)s::date), (12, %(start12)s::date)) w (months, start)
          ON g.valid_to >= w.start
        {group}, g.category, w.months
        UNION ALL
        {
        select(
            "risk",
            key_status="a.key_status",
            account_id="a.id",
            name="a.name",
            kas="a.kas",
            kas_drop="a.kas_drop",
            overdue_amount="COALESCE(a.overdue_amount, 0)",
            contact_overdue_since="a.overdue_since",
            falling="a.falling",
            contact="a.contact",
            invoices="a.invoices",
            detractor="a.detractor",
            reasons="a.reasons",
        )
    }
        FROM risky a WHERE a.reasons > 0
    """  # noqa: S608 (constants and compiled querysets; values travel as named parameters)


# --- reading it -------------------------------------------------------------------------------------------------

# What the page shows: the base aggregated by owner and each part's own dimension (kind and industry are filters
# only), and the at-risk rows, most reasons first, the largest KAS fall next.
_GROUP = (
    "part",
    "owner_id",
    "key_status",
    "kas_bucket",
    "stage",
    "outcome",
    "from_stage",
    "to_stage",
    "category",
    "period",
)


def _read(base: str, params: dict[str, Any], filters: Filters, limit: int | None) -> list[dict[str, Any]]:
    where = ["TRUE"]
    for column, value in (("kind", filters.kind), ("industry", filters.industry), ("owner_id", filters.owner_id)):
        if value not in ("", None):
            where.append(f"base.{column} = %(filter_{column})s")
            params[f"filter_{column}"] = value
    conditions = " AND ".join(where)
    params["risk_limit"] = limit
    sums = ", ".join(f"sum(base.{measure}) AS {measure}" for measure in MEASURES)
    risk_nulls = ", ".join(f"NULL::{_NULL_TYPES.get(column, 'text')} AS {column}" for column in RISK)
    group = ", ".join(f"base.{column}" for column in _GROUP)
    measures_zero = ", ".join(f"0 AS {measure}" for measure in MEASURES)
    risk_columns = ", ".join(f"base.{column}" for column in RISK)
    sql = f"""
        WITH base AS ({base}),
        totals AS (
            SELECT {group}, {sums}, {risk_nulls} FROM base WHERE base.part NOT IN ('risk', '{SEEN}') AND {conditions}
            GROUP BY {group}
        ),
        risk AS (
            SELECT {group}, {measures_zero}, {risk_columns} FROM base WHERE base.part = 'risk' AND {conditions}
            ORDER BY base.reasons DESC, base.kas_drop DESC NULLS LAST, base.name, base.account_id
            LIMIT %(risk_limit)s
        )
        SELECT * FROM totals UNION ALL SELECT * FROM risk
    """  # noqa: S608 (constants; values travel as named parameters)
    columns = (*_GROUP, *MEASURES, *RISK)
    with transaction.atomic(), connection.cursor() as cursor:
        _index_probes_only(cursor)
        cursor.execute(sql, params)
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _index_probes_only(cursor: Any) -> None:
    """Keep the statement's per-account reads index probes whatever the statistics say: right after a scoring
    run PostgreSQL may still believe the new scores or ladder moves are a handful of rows and scan them whole for
    every account — minutes, where probing takes a second. For the current transaction only."""
    cursor.execute("SET LOCAL enable_seqscan = off")


def _fingerprint(accounts: QuerySet[Account]) -> tuple[int, int]:
    """How many accounts, and a checksum of which: one query."""
    sql, values = accounts.order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), COALESCE(sum(hashint8(id)), 0) FROM ({sql}) seen", values)  # noqa: S608
        count, checksum = cursor.fetchone()
    return int(count), int(checksum)


def _snapshot(run: ScoringRun, user: Any) -> Any:
    """The summary ``user`` may read instead of computing live: a director's (every account), or a manager's own
    while they still see exactly the accounts they saw at the refresh; of ``run``, else None."""
    cells = DashboardCell.objects.order_by().filter(run_id=run.pk)
    if sees_all_accounts(user):
        return cells.filter(viewer__isnull=True).values("viewer_id", "refreshed_at", "refreshed_on").first()
    seen = (
        cells.filter(viewer_id=user.pk, part=SEEN)
        .values("viewer_id", "refreshed_at", "refreshed_on", "accounts", "checksum")
        .first()
    )
    if seen is None or _fingerprint(accounts_visible_to(user)) != (seen["accounts"], seen["checksum"]):
        return None
    return seen


def dashboard(
    *,
    user: Any,
    filters: Filters,
    today: datetime.date,
    at_risk_limit: int | None = AT_RISK_SHOWN,
    live: bool = False,
) -> Dashboard:
    """Every figure of the dashboard for ``user`` and ``filters`` (``at_risk_limit`` at-risk accounts, None: all;
    ``live`` computes it live even when the summary could answer); a bounded number of queries: the runs, the
    summary's date (directors), the one statement of ``_read``, the at-risk accounts and the owners' names."""
    run = current_run()
    board = Dashboard(filters=filters, today=today, run=run)
    accounts = filters.accounts(user)
    if run is None:
        per_stage = dict(
            accounts.filter(is_active=True)
            .order_by()
            .values_list("stage")
            .annotate(n=Count("id"))
            .values_list("stage", "n")
        )
        board.ladder = _ladder(per_stage, {})
        return board
    board.period_start, board.period_end = period_window(run.as_of, filters.period)
    cohort = cohort_run(run)
    params: dict[str, Any] = {}
    snapshot = None if live else _snapshot(run, user)
    if snapshot is not None:
        board.refreshed_at, board.today = snapshot["refreshed_at"], snapshot["refreshed_on"]
        params.update(snapshot_run=run.pk, snapshot_viewer=snapshot["viewer_id"])
        viewer = "viewer_id IS NULL" if snapshot["viewer_id"] is None else "viewer_id = %(snapshot_viewer)s"
        base = f"SELECT * FROM {DashboardCell._meta.db_table} WHERE run_id = %(snapshot_run)s AND {viewer}"  # noqa: S608
    else:
        base = _base_sql(accounts=accounts, run=run, cohort=cohort, today=today, params=params)
    rows = _read(base, params, filters, at_risk_limit)
    _assemble(board, rows, cohort)
    if cohort is None:
        earliest = ScoringRun.objects.filter(status=ScoringRunStatus.DONE).order_by("as_of").values("as_of").first()
        board.earliest_run = earliest["as_of"] if earliest else None
    return board


def _assemble(board: Dashboard, rows: list[dict[str, Any]], cohort: ScoringRun | None) -> None:
    by_part: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_part.setdefault(row["part"], []).append(row)
    _headline_and_histogram(board, by_part.get("status", []))
    _manager_load(board, by_part.get("status", []))
    assert board.headline is not None
    per_stage: dict[str, int] = {}
    for row in by_part.get("stage", []):
        per_stage[row["stage"]] = per_stage.get(row["stage"], 0) + row["accounts"]
    flows: dict[tuple[str, str], int] = {}
    for row in by_part.get("moves", []):
        pair = (row["from_stage"], row["to_stage"])
        flows[pair] = flows.get(pair, 0) + row["moves"]
    board.ladder = _ladder(per_stage, flows)
    if cohort is not None and board.run is not None:
        board.retention = _retention(by_part.get("retention", []), cohort, board.run, board.headline.key_and_strategic)
    board.benefits = _benefits(by_part.get("benefits", []), board)
    board.at_risk = _at_risk(by_part.get("risk", []))


def _ladder(per_stage: dict[str, int], flows: dict[tuple[str, str], int]) -> dict[str, Any]:
    up = sum(count for (old, new), count in flows.items() if _rung(new) > _rung(old))
    return {
        "funnel": ladder_funnel(per_stage),
        "total": sum(per_stage.values()),
        "moves_days": BOARD_MOVES_DAYS,
        "moves_up": up,
        "moves_down": sum(flows.values()) - up,
        "flows": sorted(flows.items(), key=lambda item: (-item[1], _rung(item[0][0]), _rung(item[0][1]))),
    }


def _rung(stage: str) -> int:
    return list(LadderStage.values).index(stage)


def _headline_and_histogram(board: Dashboard, rows: list[dict[str, Any]]) -> None:
    by_status = {status: StatusRow(status=status, label=KeyStatus(status).label) for status in STATUS_ORDER}
    counts: dict[int, dict[str, int]] = {b: {s.value: 0 for s in STATUS_ORDER} for b in range(1, KAS_BUCKETS + 1)}
    scored = at_risk = 0
    revenue = f"revenue_{board.filters.period}"
    for row in rows:
        status_row = by_status[row["key_status"]]
        status_row.accounts += row["accounts"]
        status_row.revenue += row[revenue]
        scored += row["scored"]
        at_risk += row["at_risk"]
        if row["kas_bucket"] is None:
            board.unscored += row["accounts"]
        else:
            counts[row["kas_bucket"]][row["key_status"]] += row["accounts"]
    total_revenue = sum((row.revenue for row in by_status.values()), Decimal(0))
    for status_row in by_status.values():
        status_row.share = percent(status_row.revenue, total_revenue)
    key_revenue = by_status[KeyStatus.KEY].revenue + by_status[KeyStatus.STRATEGIC].revenue
    board.by_status = list(by_status.values())
    board.headline = Headline(
        accounts=sum(row.accounts for row in by_status.values()),
        scored=scored,
        key=by_status[KeyStatus.KEY].accounts,
        strategic=by_status[KeyStatus.STRATEGIC].accounts,
        key_revenue=key_revenue,
        revenue=total_revenue,
        key_share=percent(key_revenue, total_revenue),
        at_risk=at_risk,
    )
    width = 100 // KAS_BUCKETS
    board.kas = [Bucket(low=(b - 1) * width, high=b * width, counts=counts[b]) for b in range(1, KAS_BUCKETS + 1)]


def _manager_load(board: Dashboard, rows: list[dict[str, Any]]) -> None:
    loads: dict[int | None, ManagerLoad] = {}
    revenue = f"revenue_{board.filters.period}"
    for row in rows:
        owner_id = row["owner_id"]
        load = loads.setdefault(owner_id, ManagerLoad(owner_id=owner_id, name="Unassigned"))
        load.accounts += row["accounts"]
        load.revenue += row[revenue]
        load.contact_overdue += row["contact_overdue"]
        load.at_risk += row["at_risk"]
        if row["key_status"] == KeyStatus.KEY:
            load.key += row["accounts"]
        elif row["key_status"] == KeyStatus.STRATEGIC:
            load.strategic += row["accounts"]
    names = {
        user.pk: user.get_full_name() or user.get_username()
        for user in User.objects.filter(pk__in=[pk for pk in loads if pk is not None])
    }
    for load in loads.values():
        if load.owner_id is not None:
            load.name = names.get(load.owner_id, f"User {load.owner_id}")
    board.managers = sorted(loads.values(), key=lambda load: (-load.accounts, load.name))


def _retention(rows: list[dict[str, Any]], cohort: ScoringRun, run: ScoringRun, key_now: int) -> Retention:
    retention = Retention(cohort_as_of=cohort.as_of, current_as_of=run.as_of)
    for row in rows:
        setattr(retention, row["outcome"], getattr(retention, row["outcome"]) + row["accounts"])
        retention.cohort += row["accounts"]
        retention.buying += row["buying"]
        retention.revenue_before += row["cohort_r12"]
        retention.revenue_now += row["r12"]
    retention.gained = max(0, key_now - retention.retained)
    return retention


def _benefits(rows: list[dict[str, Any]], board: Dashboard) -> Benefits:
    categories = {c: BenefitRow(category=c, label=BenefitCategory(c).label) for c in BenefitCategory}
    for row in rows:
        if row["period"] != board.filters.period:
            continue
        category = categories[row["category"]]
        category.grants += row["grants"]
        for name in ("cost_in_period", "revenue_during", "revenue_before", "cost", "roi"):
            setattr(category, name, getattr(category, name) + row[name])
    for category in categories.values():
        for name in ("cost_in_period", "revenue_during", "revenue_before", "cost", "roi"):
            setattr(category, name, getattr(category, name).quantize(CENT, rounding=ROUND_HALF_UP))
    assert board.headline is not None
    return Benefits(rows=list(categories.values()), key_revenue=board.headline.key_revenue)


def _at_risk(rows: list[dict[str, Any]]) -> list[AtRisk]:
    accounts = Account.objects.select_related("owner").in_bulk([row["account_id"] for row in rows])
    result = []
    for row in rows:
        account = accounts.get(row["account_id"])
        if account is None:  # deleted since the summary was refreshed
            continue
        said = []
        if row["falling"]:
            said.append(f"KAS down {row['kas_drop']} points since the run before")
        if row["contact"]:
            said.append(f"contact overdue since {row['contact_overdue_since']:%Y-%m-%d}")
        if row["invoices"]:
            said.append(f"{row['overdue_amount']:,.2f} {settings.KAM_CURRENCY} of invoices overdue")
        if row["detractor"]:
            said.append(f"a detractor (NPS {DETRACTOR_MAX} or less) in the last {DETRACTOR_DAYS} days")
        result.append(AtRisk(account=account, reasons=said, kas=row["kas"], kas_drop=row["kas_drop"]))
    return result


# --- the summary ------------------------------------------------------------------------------------------------


def _cell_values() -> str:
    """The base's columns as ``DashboardCell`` stores them: what a part leaves NULL is '' in a text column and
    0 or false in a number or flag that may not be NULL."""
    values = []
    for column in COLUMNS:
        model_field = DashboardCell._meta.get_field(column.removesuffix("_id"))
        if model_field.null:
            values.append(column)
        elif isinstance(model_field, CharField):
            values.append(f"COALESCE({column}, '')")
        elif isinstance(model_field, BooleanField):
            values.append(f"COALESCE({column}, false)")
        else:
            values.append(f"COALESCE({column}, 0)")
    return ", ".join(values)


@dataclass(frozen=True)
class RefreshResult:
    run_id: int | None
    cells: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "cells": self.cells, "seconds": round(self.seconds, 3)}


_ANALYZED = (
    AccountScore._meta.db_table,
    Account._meta.db_table,
    LadderTransition._meta.db_table,
    ContactCadence._meta.db_table,
)


def dashboard_viewers() -> list[Any]:
    """The active users who see some accounts but not all: owners and team members without a director's or an
    integration's view. Each gets a summary of their own."""
    team = Account.team.through.objects.values("user_id")
    candidates = User.objects.filter(is_active=True).filter(
        Q(pk__in=Account.objects.values("owner_id")) | Q(pk__in=team)
    )
    return [user for user in candidates.prefetch_related("groups").order_by("pk") if not sees_all_accounts(user)]


def dashboard_refresh(*, today: datetime.date) -> RefreshResult:
    """Rebuild the summary (``DashboardCell``) from the current run, set-based, in one transaction (readers see
    the old summary until it commits): once over every account, then once per manager over the accounts they see
    (``dashboard_viewers``) with a fingerprint of those; an empty summary without a run. Two refreshes at once
    queue on a transaction lock."""
    started = timezone.now()
    table = DashboardCell._meta.db_table
    cells = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('kam.dashboard_refresh'))")
        # Fresh statistics for the tables a run or a day just rewrote, then index probes only (see above).
        cursor.execute(f"ANALYZE {', '.join(_ANALYZED)}")
        _index_probes_only(cursor)
        run = current_run()
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (our table)
        if run is None:
            return RefreshResult(run_id=None, cells=0, seconds=0.0)
        cohort = cohort_run(run)
        columns = ", ".join(COLUMNS)
        for viewer in [None, *dashboard_viewers()]:
            accounts = Account.objects.all() if viewer is None else accounts_visible_to(viewer)
            params: dict[str, Any] = {"refreshed_at": started, "viewer": getattr(viewer, "pk", None)}
            base = _base_sql(accounts=accounts, run=run, cohort=cohort, today=today, params=params)
            cursor.execute(
                f"INSERT INTO {table} (run_id, viewer_id, refreshed_at, refreshed_on, {columns})"  # noqa: S608
                f" SELECT %(run)s, %(viewer)s, %(refreshed_at)s, %(today)s, {_cell_values()} FROM ({base}) base",
                params,
            )
            cells += cursor.rowcount
            if viewer is not None:
                count, checksum = _fingerprint(accounts)
                DashboardCell.objects.create(
                    run=run,
                    viewer=viewer,
                    refreshed_at=started,
                    refreshed_on=today,
                    part=SEEN,
                    accounts=count,
                    checksum=checksum,
                )
    return RefreshResult(run_id=run.pk, cells=cells, seconds=(timezone.now() - started).total_seconds())
