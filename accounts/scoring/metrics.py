"""The set-based half of a scoring run (DESIGN §5): a handful of SQL statements over the whole population.

``metrics_gather`` aggregates the orders, invoices, NPS answers and advocacy of every account in one pass each
into temporary tables; ``scores_write`` turns them into the five criteria, KAS, completeness, key status and
the array of stored inputs and writes them as the run's scores, in one statement (window ``percent_rank`` for
size), keeping what the rest of the run needs in the temporary table ``scoring_result``. Nothing here loops
over accounts in Python.

The arithmetic is the SQL image of ``accounts.scoring.formulas`` — that module is the reference and the tests
compare the two on generated portfolios. The criteria are evaluated in double precision and each is rounded
once to 0.01 half up; where a value lies so close to a half cent that the floating-point error could flip its
rounding, that criterion is computed again exactly in numeric (every division at 30 decimal places, ``_div``,
no sub-result rounded; ``round(numeric, 2)`` rounds half away from zero, the same for these non-negative
scores) — see ``HALF_CENT_MARGIN``. So the stored scores are the exact ones. KAS, completeness and key status
are numeric from the stored criteria. ``percent_rank`` is stored (and used exactly) through its shortest text
form, as the Python side takes a float's ``repr``.

The temporary tables are dropped at the end of the transaction that must wrap these calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.backends.utils import CursorWrapper

from accounts.choices import InvoiceStatus, KeyStatus, OrderStatus, ScoringRunStatus, ServiceLevel
from accounts.scoring.inputs import INPUT_FIELDS, MONTHS
from relationships.ladder.rules import DETRACTOR_MAX, PARTNER_CONTRACT_KINDS

TEMP_TABLES = (
    "scoring_population",
    "scoring_orders",
    "scoring_invoices",
    "scoring_feedback",
    "scoring_advocacy",
    "scoring_contracts",
)


@dataclass(frozen=True)
class Thresholds:
    """The policy values the SQL needs (a ScoringPolicy or formulas.Policy fits)."""

    weight_c1: Decimal
    weight_c2: Decimal
    weight_c3: Decimal
    weight_c4: Decimal
    weight_c5: Decimal
    key_threshold: Decimal
    retain_threshold: Decimal
    strategic_threshold: Decimal
    candidate_threshold: Decimal
    min_orders_w365: int

    @classmethod
    def of(cls, policy: object) -> Thresholds:
        return cls(**{name: getattr(policy, name) for name in cls.__dataclass_fields__})


def month_starts(as_of: date) -> list[date]:
    """First days of the month of T and of the 12 months before it, newest first: M_i = [starts[i], starts[i-1])."""
    year, month = as_of.year, as_of.month
    starts = []
    for _ in range(13):
        starts.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return starts


def quarter_starts(as_of: date) -> list[date]:
    """First days of the calendar quarters that W(365) can reach (five: T's and the four before), oldest first."""
    year, quarter = as_of.year, (as_of.month - 1) // 3
    starts = []
    for _ in range(5):
        starts.append(date(year, 3 * quarter + 1, 1))
        quarter -= 1
        if quarter < 0:
            year, quarter = year - 1, 3
    return list(reversed(starts))


# An order's net amount in cents: summing bigints (128-bit accumulators) is much cheaper than summing numerics,
# and exact; the sums go back to money with ``* 0.01`` (two decimals, as the column has).
CENTS = "(o.net_amount * 100)::bigint"
# The same for an invoice's amount (12 % faster than numeric sums in the parallel plan of the invoices pass).
INVOICE_CENTS = "(i.amount * 100)::bigint"


def _div(numerator: str, denominator: str) -> str:
    """A division carried to 30 decimal places (PostgreSQL keeps the larger operand scale)."""
    return f"(round(({numerator})::numeric, 20) / ({denominator}))"


def _clamp(x: str) -> str:
    return f"least(1, greatest(0, {x}))"


def _params(as_of: date) -> dict[str, Any]:
    starts = month_starts(as_of)
    params: dict[str, Any] = {
        "t": as_of,
        "t365": as_of - timedelta(days=365),
        "t730": as_of - timedelta(days=730),
        "t1095": as_of - timedelta(days=1095),
        "t545": as_of - timedelta(days=545),
        "t180": as_of - timedelta(days=180),
        "detractor": DETRACTOR_MAX,
        "partner_kinds": list(PARTNER_CONTRACT_KINDS),
        # First days of M1…M12 (oldest first) and of the calendar quarters W(365) can reach, for width_bucket
        "month_starts": list(reversed(month_starts(as_of)[1:])),
        "quarter_starts": quarter_starts(as_of),
        "tz": settings.TIME_ZONE,
        "cancelled": OrderStatus.CANCELLED.value,
        "premium": ServiceLevel.PREMIUM.value,
        "enhanced": ServiceLevel.ENHANCED.value,
        "inv_cancelled": InvoiceStatus.CANCELLED.value,
        "written_off": InvoiceStatus.WRITTEN_OFF.value,
    }
    for i, start in enumerate(starts):
        params[f"b{i}"] = start
    return params


def metrics_gather(cursor: CursorWrapper, *, as_of: date, account_ids: Sequence[int] | None = None) -> dict[str, int]:
    """Fill the temporary input tables for a run as of ``as_of`` (of the whole population, or only of
    ``account_ids``: the ladder's evaluation of one account); returns their row counts. The tables hold what
    both the ladder (DESIGN §6) and the scoring (§5) read, so one pass over each source serves both."""
    params = _params(as_of)
    params["ids"] = list(account_ids) if account_ids is not None else None

    def only(column: str) -> str:  # a constant clause: the ids travel as a parameter
        return f" AND {column} = ANY(%(ids)s)" if account_ids is not None else ""

    cursor.execute("SET LOCAL extra_float_digits = 1")  # shortest exact text for percent_rank's double
    cursor.execute("SET LOCAL work_mem = %s", [settings.KAM_SCORING_WORK_MEM])
    for table in TEMP_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    counts: dict[str, int] = {}
    # Active accounts that existed at T: created by then, or with an order dated by then (imported history).
    cursor.execute(
        f"""
        CREATE TEMP TABLE scoring_population ON COMMIT DROP AS
        SELECT a.id AS account_id, a.kind, a.annual_potential, a.key_status AS shown_key_status,
               a.stage AS shown_stage
          FROM accounts_account a
         WHERE a.is_active
           AND ((a.created_at AT TIME ZONE %(tz)s)::date <= %(t)s
                OR EXISTS (SELECT 1 FROM accounts_order o WHERE o.account_id = a.id AND o.order_date <= %(t)s))
               {only("a.id")}
        """,  # noqa: S608
        params,
    )
    counts["scoring_population"] = cursor.rowcount
    months = ",\n".join(
        f"coalesce(sum({CENTS}) FILTER (WHERE o.order_date >= %(b{13 - j})s AND o.order_date < %(b{12 - j})s)"
        f" * 0.01, 0) AS m{j}"
        for j in range(1, 13)
    )
    cursor.execute(  # the f-string only splices column expressions made from constants above
        f"""
        CREATE TEMP TABLE scoring_orders ON COMMIT DROP AS
        SELECT o.account_id,
               {months},
               coalesce(sum({CENTS}) FILTER (WHERE o.order_date > %(t365)s) * 0.01, 0) AS r12,
               coalesce(sum({CENTS}) FILTER (WHERE o.order_date > %(t730)s AND o.order_date <= %(t365)s) * 0.01, 0)
                   AS r12p,
               coalesce(sum({CENTS}) FILTER (WHERE o.order_date > %(t365)s AND o.service_level = %(premium)s)
                        * 0.01, 0) AS premium,
               coalesce(sum({CENTS}) FILTER (WHERE o.order_date > %(t365)s AND o.service_level = %(enhanced)s)
                        * 0.01, 0) AS enhanced,
               coalesce(sum({CENTS} * (o.discount_pct * 100)::bigint) FILTER (WHERE o.order_date > %(t365)s)
                        * 0.0001, 0)
                   AS discount_sum,
               count(*) FILTER (WHERE o.order_date > %(t365)s) AS orders_w365,
               min(o.order_date) AS first_order,
               -- the ladder's: orders ever and in W(730); the calendar quarters with an order in W(365) and the
               -- months of M1…M12 with an order, each as a bit mask (width_bucket: a binary search over the
               -- periods' first days, one call per row)
               count(*) AS orders_ever,
               count(*) FILTER (WHERE o.order_date > %(t730)s) AS orders_w730,
               coalesce(bit_or(1 << width_bucket(o.order_date, %(quarter_starts)s::date[]))
                        FILTER (WHERE o.order_date > %(t365)s), 0) AS quarter_mask,
               coalesce(bit_or(1 << width_bucket(o.order_date, %(month_starts)s::date[]))
                        FILTER (WHERE o.order_date >= %(b12)s AND o.order_date < %(b0)s), 0) AS month_mask
          FROM accounts_order o
         WHERE o.order_date <= %(t)s AND o.status <> %(cancelled)s{only("o.account_id")}
         GROUP BY o.account_id
        """,  # noqa: S608
        params,
    )
    counts["scoring_orders"] = cursor.rowcount
    # C2: D = not cancelled, due in W(365); late = min(paid, T) − due (T when unpaid at T), 120 when written off.
    cursor.execute(
        f"""
        CREATE TEMP TABLE scoring_invoices ON COMMIT DROP AS
        SELECT i.account_id,
               count(*) FILTER (WHERE i.due_date > %(t365)s AND i.due_date <= %(t)s) AS due_count,
               coalesce(sum({INVOICE_CENTS}) FILTER (WHERE i.due_date > %(t365)s AND i.due_date <= %(t)s) * 0.01, 0)
                   AS due_amount,
               coalesce(sum({INVOICE_CENTS} * CASE
                        WHEN i.status = %(written_off)s THEN 120
                        ELSE greatest(0, CASE WHEN i.paid_date <= %(t)s THEN i.paid_date ELSE %(t)s::date END
                                         - i.due_date)
                        END) FILTER (WHERE i.due_date > %(t365)s AND i.due_date <= %(t)s) * 0.01, 0)
                   AS late_amount_days,
               coalesce(sum({INVOICE_CENTS}) FILTER (
                   WHERE i.status <> %(written_off)s AND (i.paid_date IS NULL OR i.paid_date > %(t)s)
                     AND i.due_date < %(t)s) * 0.01, 0) AS overdue_unpaid,
               coalesce(bool_or(i.status = %(written_off)s AND i.due_date > %(t1095)s AND i.due_date <= %(t)s), false)
                   AS writeoff_w1095
          FROM accounts_invoice i
         WHERE i.issue_date <= %(t)s AND i.status <> %(inv_cancelled)s{only("i.account_id")}
         GROUP BY i.account_id
        """,  # noqa: S608
        params,
    )
    counts["scoring_invoices"] = cursor.rowcount
    # NPS: the latest answer per contact (ties broken by id), answers without a contact one by one. The latest
    # answer in W(545) is also the latest in W(365) whenever the contact answered in W(365), so one DISTINCT ON
    # over W(545) gives both means: C4's and the Supporter rule's over W(365), Supporter's retain over W(545).
    # A detractor is any answer ≤ 6 in W(180).
    cursor.execute(
        f"""
        CREATE TEMP TABLE scoring_feedback ON COMMIT DROP AS
        SELECT coalesce(latest.account_id, d.account_id) AS account_id,
               latest.nps_sum, coalesce(latest.nps_count, 0) AS nps_count,
               coalesce(latest.nps545_sum, 0) AS nps545_sum, coalesce(latest.nps545_count, 0) AS nps545_count,
               coalesce(d.detractor_w180, false) AS detractor_w180
          FROM (SELECT account_id,
                       sum(score) FILTER (WHERE responded_on > %(t365)s) AS nps_sum,
                       count(*) FILTER (WHERE responded_on > %(t365)s) AS nps_count,
                       sum(score) AS nps545_sum, count(*) AS nps545_count
                  FROM ((SELECT DISTINCT ON (f.account_id, f.contact_id) f.account_id, f.score, f.responded_on
                           FROM relationships_feedback f
                          WHERE f.contact_id IS NOT NULL AND f.responded_on > %(t545)s AND f.responded_on <= %(t)s
                                {only("f.account_id")}
                          ORDER BY f.account_id, f.contact_id, f.responded_on DESC, f.id DESC)
                        UNION ALL
                        SELECT f.account_id, f.score, f.responded_on
                          FROM relationships_feedback f
                         WHERE f.contact_id IS NULL AND f.responded_on > %(t545)s AND f.responded_on <= %(t)s
                               {only("f.account_id")}) answers
                 GROUP BY account_id) latest
          FULL JOIN (SELECT f.account_id, bool_or(f.score <= %(detractor)s) AS detractor_w180
                       FROM relationships_feedback f
                      WHERE f.responded_on > %(t180)s AND f.responded_on <= %(t)s{only("f.account_id")}
                      GROUP BY f.account_id) d USING (account_id)
        """,  # noqa: S608
        params,
    )
    counts["scoring_feedback"] = cursor.rowcount
    cursor.execute(
        f"""
        CREATE TEMP TABLE scoring_advocacy ON COMMIT DROP AS
        SELECT e.account_id, count(*) FILTER (WHERE e.occurred_on > %(t730)s) AS verified_w730,
               count(*) AS verified_w1095
          FROM relationships_advocacyevent e
         WHERE e.verified AND e.occurred_on > %(t1095)s AND e.occurred_on <= %(t)s{only("e.account_id")}
         GROUP BY e.account_id
        """,  # noqa: S608
        params,
    )
    counts["scoring_advocacy"] = cursor.rowcount
    # Partner: a partnership or joint-development contract active at T (started, not ended, or auto-renewing).
    cursor.execute(
        f"""
        CREATE TEMP TABLE scoring_contracts ON COMMIT DROP AS
        SELECT c.account_id, true AS partner_contract_active
          FROM relationships_contract c
         WHERE c.kind = ANY(%(partner_kinds)s) AND c.starts_on <= %(t)s
           AND (c.ends_on IS NULL OR c.ends_on >= %(t)s OR c.auto_renew){only("c.account_id")}
         GROUP BY c.account_id
        """,  # noqa: S608
        params,
    )
    counts["scoring_contracts"] = cursor.rowcount
    # The planner only needs row counts to pick hash joins; a temp table has no statistics until ANALYZE, and
    # the population is the one whose size matters.
    cursor.execute("ANALYZE scoring_population")
    return counts


def previous_run_id(cursor: CursorWrapper, *, as_of: date, exclude_run_id: int | None = None) -> int | None:
    """The run whose computed status the hysteresis reads: the latest finished run with an earlier as_of. Runs
    for the same day are not "before", so scoring a day twice gives the same answer twice."""
    cursor.execute(
        """
        SELECT id FROM accounts_scoringrun
         WHERE status = %s AND as_of < %s AND id IS DISTINCT FROM %s
         ORDER BY as_of DESC, finished_at DESC, id DESC
         LIMIT 1
        """,
        [ScoringRunStatus.DONE.value, as_of, exclude_run_id],
    )
    row = cursor.fetchone()
    return None if row is None else row[0]


def _inputs_array() -> str:
    """The ``AccountScore.inputs`` array, in the order of ``inputs.INPUT_FIELDS``."""
    sources = {
        **{month: month for month in MONTHS},
        "invoices_due_w365": "due_count",
        "amount_due_w365": "due_amount",
        "late_amount_days": "late_amount_days",
        "overdue_unpaid": "overdue_unpaid",
        "writeoff_w1095": "writeoff_w1095::int",
        "revenue_w365": "r12",
        "revenue_previous_w365": "r12p",
        "size_percent_rank": "size_rank",
        "annual_potential": "annual_potential",
        "days_since_first_order": "days_since_first_order",
        "orders_w365": "orders_w365",
        "nps_sum": "nps_sum",
        "nps_count": "nps_count",
        "verified_advocacy_w730": "verified_w730",
        "premium_revenue_w365": "premium",
        "enhanced_revenue_w365": "enhanced",
        "discount_weighted_sum": "discount_sum",
        "override_id": "override_id",
    }
    return "ARRAY[" + ", ".join(sources[name] for name in INPUT_FIELDS) + "]::numeric[]"


# The criteria are computed in double precision, which is cheap, and a value is kept only where its rounding to
# 0.01 half up cannot differ from the exact one: its distance from the nearest half cent is far larger than any
# error of the floating-point evaluation. Every input converts with a relative error below 2⁻⁵³, each of the
# few dozen operations adds one of the same size, and the clamps bound every term, so the error of a score
# (0–100) stays under 1e-12; a score within 1e-8 of a half cent (1e-6 of a cent) is recomputed exactly in
# numeric, as the reference would. So the stored scores are the exact ones, and the exact path runs only for the
# few accounts that sit on a half cent (an NPS mean of 6.5 puts C4 there, for one).
HALF_CENT_MARGIN = "1e-6"


def _near_half(score: str) -> str:
    """True when a double-precision score lies within the margin of a half cent."""
    return f"abs({score} * 100 - floor({score} * 100) - 0.5) < {HALF_CENT_MARGIN}"


def _cents(score: str) -> str:
    """A double-precision score away from any half cent, rounded to 0.01 as numeric (scale 2)."""
    return f"({score} * 100)::bigint * 0.01"


def _exact_criteria() -> dict[str, str]:
    """Each criterion in numeric, every division carried to 30 places, rounded once to 0.01: the exact path,
    over the columns of the scoring statement's inputs."""
    total = "(" + " + ".join(MONTHS) + ")"
    squares = "(" + " + ".join(f"{m} * {m}" for m in MONTHS) + ")"
    cv = _div(f"sqrt(round((12 * {squares} - {total} * {total})::numeric, 20))", total)
    add_days = _div("late_amount_days", "due_amount")
    overdue_ratio = f"least(1, {_div('overdue_unpaid', 'due_amount')})"
    size = "(100 * size_rank)"
    relative_growth = _div("r12 - r12p", "r12p")
    growth = (
        "(CASE WHEN r12p = 0 THEN CASE WHEN r12 > 0 THEN 100 ELSE 0 END"
        f" ELSE 100 * {_clamp(f'({relative_growth} + 0.2) / 0.4')} END)"
    )
    headroom = f"(100 * {_clamp(_div('annual_potential - r12', 'annual_potential'))})"
    tenure = f"(100 * least(1, {_div('days_since_first_order', '365')} / 5))"
    repeat = f"(100 * least(1, {_div('orders_w365', '12')}))"
    nps_mean = _div("nps_sum", "nps_count")
    nps = f"(100 * {_clamp(f'({nps_mean} - 6) / 4')})"
    advocacy = "(CASE WHEN verified_w730 = 0 THEN 0 WHEN verified_w730 = 1 THEN 60 ELSE 100 END)"
    service_share = _div("premium + 0.5 * enhanced", "r12")
    mean_discount = _div("discount_sum", "r12")
    return {
        "c1": f"round(0.5 * {_div('100 * active_months', '12')} + 0.5 * 100 * {_clamp(f'1 - {cv} / 1.5')}, 2)",
        "c2": (
            "round(least(CASE WHEN writeoff_w1095 THEN 20 ELSE 100 END,"
            f" 100 * {_clamp(f'1 - {add_days} / 60')} * (1 - {overdue_ratio})), 2)"
        ),
        "c3": f"round(0.5 * {size} + 0.3 * {growth} + 0.2 * {headroom}, 2)",
        "c3_without_headroom": f"round((0.5 * {size} + 0.3 * {growth}) / 0.8, 2)",
        "c4": f"round(0.30 * {tenure} + 0.30 * {repeat} + 0.25 * {nps} + 0.15 * {advocacy}, 2)",
        "c4_without_nps": f"round((0.30 * {tenure} + 0.30 * {repeat} + 0.15 * {advocacy}) / 0.75, 2)",
        "c5": (
            f"round(0.6 * 100 * least(1, {service_share} / 0.5) + 0.4 * 100 * {_clamp(f'1 - {mean_discount} / 20')}, 2)"
        ),
    }


def _score_sql() -> str:
    active = " + ".join(f"({m} > 0)::int" for m in MONTHS)
    deviations = " + ".join(f"(x_{m} - x_mean) * (x_{m} - x_mean)" for m in MONTHS)
    growth = (
        "CASE WHEN r12p = 0 THEN CASE WHEN r12 > 0 THEN 100 ELSE 0 END"
        f" ELSE 100 * {_clamp('((x_r12 - x_r12p) / x_r12p + 0.2) / 0.4')} END"
    )
    tenure_repeat = "30 * least(1, days_since_first_order::float8 / 365 / 5) + 30 * least(1, orders_w365::float8 / 12)"
    advocacy = "15 * (CASE WHEN verified_w730 = 0 THEN 0 WHEN verified_w730 = 1 THEN 60 ELSE 100 END)::float8 / 100"
    exact = _exact_criteria()
    key_statuses = f"'{KeyStatus.KEY.value}', '{KeyStatus.STRATEGIC.value}'"
    # Every splice below is a constant or an expression built from constants; values travel as parameters.
    # One statement computes and writes the scores: levels — inputs (joins, the size rank, the stored array, the
    # doubles) → the mean month → the criteria in double precision → the criteria as stored (exact) → KAS → key
    # status — each ending in OFFSET 0, which keeps the planner from inlining it into the next (inlined, every
    # reference to a column would recompute its whole expression tree); then
    # the INSERT, in account order (the indexes and the foreign-key checks at the commit then walk their pages
    # in order); and what the rest of the run reads of it, a few narrow columns, goes to ``scoring_result``.
    # Writing the wide rows to a temporary table first and copying them cost a third more.
    return f"""
    WITH written AS (
    INSERT INTO accounts_accountscore
           (run_id, account_id, c1, c2, c3, c4, c5, kas, kas_previous, completeness, computed_key_status,
            key_status, previous_key_status, orders_w365, writeoff_w1095, inputs)
    SELECT %(run)s, account_id, c1, c2, c3, c4, c5, kas, previous_kas, completeness, computed_key_status,
           coalesce(pinned_key_status, computed_key_status), coalesce(previous_key_status, ''),
           orders_w365, writeoff_w1095, inputs
      FROM (SELECT scored.*,
               CASE WHEN (kas >= %(key_t)s AND orders_w365 >= %(min_orders)s AND NOT writeoff_w1095)
                      OR (previous_key_status IN ({key_statuses}) AND kas >= %(retain_t)s AND NOT writeoff_w1095)
                    THEN CASE WHEN kas >= %(strategic_t)s THEN '{KeyStatus.STRATEGIC.value}'
                              ELSE '{KeyStatus.KEY.value}' END
                    WHEN kas >= %(candidate_t)s THEN '{KeyStatus.CANDIDATE.value}'
                    ELSE '{KeyStatus.STANDARD.value}'
               END AS computed_key_status
      FROM (SELECT criteria.*,
               round(%(w1)s * coalesce(c1, 0) + %(w2)s * coalesce(c2, 0) + %(w3)s * coalesce(c3, 0)
                     + %(w4)s * coalesce(c4, 0) + %(w5)s * coalesce(c5, 0), 2) AS kas,
               (CASE WHEN c1 IS NULL THEN 0 ELSE %(w1)s END + CASE WHEN c2 IS NULL THEN 0 ELSE %(w2)s END
                + CASE WHEN c3 IS NULL THEN 0 ELSE %(w3)s END + CASE WHEN c4 IS NULL THEN 0 ELSE %(w4)s END
                + CASE WHEN c5 IS NULL THEN 0 ELSE %(w5)s END) AS completeness
      FROM (SELECT account_id, shown_key_status, orders_w365, writeoff_w1095, previous_key_status, previous_kas,
                   pinned_key_status, override_id, inputs,
               -- Σv = 0 exactly when no month had revenue (revenues are never negative: a constraint)
               CASE WHEN active_months = 0 THEN 0::numeric
                    WHEN {_near_half("a1")} THEN {exact["c1"]} ELSE {_cents("a1")} END AS c1,
               CASE WHEN due_count = 0 OR due_amount <= 0 THEN NULL
                    WHEN {_near_half("a2")} THEN {exact["c2"]} ELSE {_cents("a2")} END AS c2,
               CASE WHEN {_near_half("a3")}
                    THEN CASE WHEN annual_potential > 0 THEN {exact["c3"]} ELSE {exact["c3_without_headroom"]} END
                    ELSE {_cents("a3")} END AS c3,
               CASE WHEN days_since_first_order IS NULL THEN 0::numeric
                    WHEN {_near_half("a4")}
                    THEN CASE WHEN nps_count > 0 THEN {exact["c4"]} ELSE {exact["c4_without_nps"]} END
                    ELSE {_cents("a4")} END AS c4,
               CASE WHEN r12 > 0 THEN CASE WHEN {_near_half("a5")} THEN {exact["c5"]} ELSE {_cents("a5")} END
                    END AS c5
      FROM (SELECT mean.*,
               -- C1 regularity: cv = pstdev/mean with the deviations from the mean (stable in floating point)
               CASE WHEN active_months > 0
                    THEN 50 * active_months::float8 / 12
                         + 50 * {_clamp(f"1 - sqrt(({deviations}) / 12) / x_mean / 1.5")} END AS a1,
               -- C2 payment reliability: ADD = Σ amount·late / Σ amount, ratio = overdue / Σ amount, the cap
               CASE WHEN due_count > 0 AND due_amount > 0
                    THEN least(CASE WHEN writeoff_w1095 THEN 20 ELSE 100 END,
                               100 * {_clamp("1 - x_late / x_due / 60")} * (1 - least(1, x_overdue / x_due))) END AS a2,
               -- C3 lifetime potential: size, growth and, with a potential, headroom
               CASE WHEN annual_potential > 0
                    THEN 50 * x_rank + 0.3 * {growth} + 20 * {_clamp("(x_potential - x_r12) / x_potential")}
                    ELSE (50 * x_rank + 0.3 * {growth}) / 0.8 END AS a3,
               -- C4 brand loyalty: tenure, repeat, nps (dropped when missing), advocacy
               CASE WHEN nps_count > 0
                    THEN {tenure_repeat} + 25 * {_clamp("(nps_sum::float8 / nps_count - 6) / 4")} + {advocacy}
                    ELSE ({tenure_repeat} + {advocacy}) / 0.75 END AS a4,
               -- C5 willingness to pay: service share and mean discount
               CASE WHEN r12 > 0
                    THEN 60 * least(1, (x_premium + 0.5 * x_enhanced) / x_r12 / 0.5)
                         + 40 * {_clamp("1 - x_discount / x_r12 / 20")} END AS a5
      FROM (SELECT inputs.*, ({" + ".join(f"x_{m}" for m in MONTHS)}) / 12 AS x_mean
      FROM (SELECT ranked.*, {active} AS active_months, {_inputs_array()} AS inputs,
                   {", ".join(f"{m}::float8 AS x_{m}" for m in MONTHS)},
                   r12::float8 AS x_r12, r12p::float8 AS x_r12p, annual_potential::float8 AS x_potential,
                   due_amount::float8 AS x_due, late_amount_days::float8 AS x_late,
                   overdue_unpaid::float8 AS x_overdue, premium::float8 AS x_premium,
                   enhanced::float8 AS x_enhanced, discount_sum::float8 AS x_discount
      FROM (SELECT p.account_id, p.kind, p.annual_potential, p.shown_key_status,
               {", ".join(f"coalesce(o.{m}, 0) AS {m}" for m in MONTHS)},
               coalesce(o.r12, 0) AS r12, coalesce(o.r12p, 0) AS r12p,
               coalesce(o.premium, 0) AS premium, coalesce(o.enhanced, 0) AS enhanced,
               coalesce(o.discount_sum, 0) AS discount_sum,
               coalesce(o.orders_w365, 0) AS orders_w365,
               %(t)s::date - o.first_order AS days_since_first_order,
               coalesce(i.due_count, 0) AS due_count, coalesce(i.due_amount, 0) AS due_amount,
               coalesce(i.late_amount_days, 0) AS late_amount_days,
               coalesce(i.overdue_unpaid, 0) AS overdue_unpaid,
               coalesce(i.writeoff_w1095, false) AS writeoff_w1095,
               f.nps_sum, coalesce(f.nps_count, 0) AS nps_count,
               coalesce(a.verified_w730, 0) AS verified_w730,
               -- C3 size: percent_rank of R12 among the population of the same kind, as its shortest exact
               -- text. R12 has two decimals, so ordering by its cents is the same order and sorts faster.
               (percent_rank() OVER size_order)::text::numeric AS size_rank, percent_rank() OVER size_order AS x_rank,
               prev.computed_key_status AS previous_key_status, prev.kas AS previous_kas,
               ov.key_status AS pinned_key_status, ov.id AS override_id
          FROM scoring_population p
          LEFT JOIN scoring_orders o USING (account_id)
          LEFT JOIN scoring_invoices i USING (account_id)
          LEFT JOIN scoring_feedback f USING (account_id)
          LEFT JOIN scoring_advocacy a USING (account_id)
          LEFT JOIN accounts_accountscore prev ON prev.account_id = p.account_id AND prev.run_id = %(previous_run)s
          -- the pin in force at T: created by then, not revoked, not expired (at most one is open)
          LEFT JOIN (SELECT DISTINCT ON (o2.account_id) o2.account_id, o2.id, o2.key_status
                       FROM accounts_keystatusoverride o2
                      WHERE o2.revoked_at IS NULL AND o2.expires_on >= %(t)s
                        AND (o2.created_at AT TIME ZONE %(tz)s)::date <= %(t)s
                      ORDER BY o2.account_id, o2.created_at DESC, o2.id DESC) ov ON ov.account_id = p.account_id
        WINDOW size_order AS (PARTITION BY p.kind ORDER BY (coalesce(o.r12, 0) * 100)::bigint)
           OFFSET 0) ranked OFFSET 0) inputs OFFSET 0) mean OFFSET 0) approx OFFSET 0) criteria OFFSET 0) scored
           OFFSET 0) decided
     ORDER BY account_id
    RETURNING account_id, key_status, inputs[{INPUT_FIELDS.index("override_id") + 1}] IS NOT NULL AS pinned,
              c1 IS NULL AS c1_null, c2 IS NULL AS c2_null, c3 IS NULL AS c3_null, c4 IS NULL AS c4_null,
              c5 IS NULL AS c5_null)
    INSERT INTO scoring_result
    SELECT w.account_id, w.key_status, p.shown_key_status, w.pinned, w.c1_null, w.c2_null, w.c3_null, w.c4_null,
           w.c5_null
      FROM written w JOIN scoring_population p USING (account_id)
    """  # noqa: S608


SCORE_SQL: str = _score_sql()


def policy_params(policy: Any) -> dict[str, Any]:
    """The weights and thresholds of a policy (model, ``Thresholds`` or ``formulas.Policy``) as SQL parameters."""
    return {
        "w1": policy.weight_c1,
        "w2": policy.weight_c2,
        "w3": policy.weight_c3,
        "w4": policy.weight_c4,
        "w5": policy.weight_c5,
        "key_t": policy.key_threshold,
        "retain_t": policy.retain_threshold,
        "strategic_t": policy.strategic_threshold,
        "candidate_t": policy.candidate_threshold,
        "min_orders": policy.min_orders_w365,
    }


RESULT_TABLE = """
    CREATE TEMP TABLE scoring_result (
        account_id bigint NOT NULL, key_status varchar(16) NOT NULL, shown_key_status varchar(16) NOT NULL,
        pinned boolean NOT NULL, c1_null boolean NOT NULL, c2_null boolean NOT NULL, c3_null boolean NOT NULL,
        c4_null boolean NOT NULL, c5_null boolean NOT NULL
    ) ON COMMIT DROP
"""


def scores_write(
    cursor: CursorWrapper, *, run_id: int, as_of: date, policy: Thresholds, previous_run: int | None
) -> int:
    """Compute every account's criteria, KAS and key status and write them as the run's ``AccountScore`` rows,
    in one statement; returns how many. What the rest of the run reads back (key status, the status the
    account shows, pin, null criteria) lands in the temporary table ``scoring_result``. ``metrics_gather``
    must have run in the same transaction."""
    params = {
        "run": run_id,
        "t": as_of,
        "tz": settings.TIME_ZONE,
        "previous_run": previous_run,
        **policy_params(policy),
    }
    cursor.execute("DROP TABLE IF EXISTS scoring_result")
    cursor.execute(RESULT_TABLE)
    cursor.execute(SCORE_SQL, params)
    return int(cursor.rowcount)
