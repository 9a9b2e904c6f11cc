"""A synthetic portfolio at volume, loaded with PostgreSQL ``COPY`` (``manage.py seed_volume``, ``make bench``).

The demo portfolio (``accounts.demo_data``) is a few hundred hand-shaped accounts written with ``bulk_create``;
this one is 100,000 accounts and millions of records, for measuring the set-based scoring run and the pages
against a realistic database. Every row satisfies the models' constraints; the data has the spread that scoring
needs to give a spread of results:

* each account draws a **behaviour** (steady, erratic, occasional, late payer, churned, new, premium, discount
  hunter, bad debt, prospect) dealt out by quota, so even 50 accounts have every kind; about 15 % are suppliers;
* ~3 years of orders ending today: steady buyers evenly spaced, erratic ones in bursts, churned ones stopping
  12–24 months ago, new ones starting within the year; amounts log-normal around the account's size with a
  yearly trend; service levels, discounts and a few cancellations by behaviour;
* invoices, each covering a run of the account's orders, paid on time or late by behaviour, some still open
  and overdue, a few written off (bad debts) or cancelled;
* contacts, NPS answers with and without a contact (several per contact, so "latest per contact" matters),
  and a few advocacy events, most of them verified (by a second manager when there is one);
* contracts: a framework agreement or an SLA for a third of the buying accounts, a partnership or joint
  development for half of the advocates (the ladder's Partner rung), most still running;
* ``created_at`` backdated before the account's first order.

The exact numbers of accounts, orders, invoices and NPS answers are the ones asked for (they are apportioned over
the accounts by weight); contacts, advocacy events and contracts follow from the behaviours. ``external_id``
values start with ``VOL-`` (``VOL-A-…`` accounts, ``VOL-O-…`` orders, ``VOL-I-…`` invoices, ``VOL-F-…`` answers,
``VOL-C-…`` contracts); contacts and
advocacy events are recognised by their account. The same seed and day give the same rows (ids aside).

Speed: one random stream per table, rows formatted straight into COPY's text format and streamed while the server
ingests them, ids of accounts and contacts reserved from their sequences up front so no row is read back. The
foreign keys stay checked (Django's constraints are deferred to the commit), and everything is one transaction.
Columns this module does not fill (a field added later) get the field's default, so a new field with a default
needs no change here; a new NOT NULL field without one fails loudly, naming it.
"""

from __future__ import annotations

import datetime
import enum
import json
import math
import random
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.db.models import ForeignObjectRel
from django.db.models.deletion import (
    CASCADE,
    DO_NOTHING,
    PROTECT,
    RESTRICT,
    SET_NULL,
    get_candidate_relations_to_delete,
)
from django.utils import timezone

from accounts.choices import (
    INDUSTRY_SUGGESTIONS,
    AccountKind,
    BuyingRole,
    InvoiceStatus,
    OrderStatus,
    ServiceLevel,
)
from accounts.models import Account, Contact, Invoice, Order
from kam.roles import ACCOUNT_MANAGER
from relationships.choices import AdvocacyKind, ContractKind
from relationships.models import AdvocacyEvent, Contract, Feedback

PREFIX = "VOL-"
DEFAULT_ACCOUNTS = 100_000
DEFAULT_ORDERS = 2_000_000
DEFAULT_SEED = 4242
HISTORY_DAYS = 3 * 365  # orders reach back three years, ending today
RECENT_DAYS = 20  # orders younger than this are still confirmed, older ones fulfilled
LEAD_DAYS = 400  # accounts may have been created this long before the history starts
BATCH_ROWS = 20_000  # rows per write to the COPY stream
NULL = r"\N"  # COPY's text format
TABLES = ("accounts", "contacts", "orders", "invoices", "feedback", "advocacy", "contracts")

ProgressCallback = Callable[[str, int, int, float], None]
"""``progress(table, rows_done, rows_total, seconds)``: called a few times per table and once when it is done."""


class VolumeExistsError(Exception):
    """Seeding was asked for while ``VOL-`` accounts exist (and ``replace`` was not given)."""


class Behaviour(enum.StrEnum):
    """How an account orders, pays and answers surveys."""

    STEADY = "steady"
    ERRATIC = "erratic"
    OCCASIONAL = "occasional"
    LATE_PAYER = "late_payer"
    CHURNED = "churned"
    NEW = "new"
    PREMIUM = "premium"
    DISCOUNT_HUNTER = "discount_hunter"
    BAD_DEBT = "bad_debt"
    PROSPECT = "prospect"


@dataclass(frozen=True)
class Traits:
    """The parameters of a behaviour. Ranges are drawn uniformly per account."""

    share: float  # per cent of the portfolio
    activity: float  # relative order volume (before the account's own log-normal size)
    regularity: float  # 0–1 jitter of evenly spaced orders (ignored when bursty)
    bursty: bool  # orders come in bursts around a few dates
    service: tuple[int, int, int]  # weights of standard, enhanced, premium
    discount: tuple[float, float]  # range of the account's mean discount_pct
    growth: tuple[float, float]  # range of the yearly revenue trend
    spread: float  # log-normal sigma of one order's amount
    cancelled: float  # share of orders cancelled
    lateness: tuple[tuple[int, int, int], ...]  # (weight, from, to) days paid after the due date
    disputed: float = 0.0  # share of invoices more than 60 days overdue that stay open
    sentiment: tuple[int, int, int] = (30, 50, 20)  # promoter, passive, detractor
    advocacy: float = 0.0  # chance that a promoter account has advocacy events
    contacts: tuple[int, int] = (0, 3)


ON_TIME = ((55, -15, 0), (35, 1, 15), (10, 15, 45))
TRAITS: dict[Behaviour, Traits] = {
    Behaviour.STEADY: Traits(27, 1.0, 0.3, False, (75, 20, 5), (0, 8), (-0.05, 0.12), 0.35, 0.02, ON_TIME,
                             sentiment=(50, 42, 8), advocacy=0.25, contacts=(1, 4)),
    Behaviour.ERRATIC: Traits(13, 0.6, 1.0, True, (85, 12, 3), (0, 12), (-0.1, 0.1), 0.6, 0.05,
                              ((70, -5, 10), (30, 10, 45)), sentiment=(15, 55, 30), advocacy=0.05),
    Behaviour.OCCASIONAL: Traits(7, 0.15, 1.0, False, (85, 12, 3), (0, 10), (-0.1, 0.1), 0.5, 0.03, ON_TIME,
                                 sentiment=(20, 55, 25), contacts=(0, 2)),
    Behaviour.LATE_PAYER: Traits(10, 0.9, 0.5, False, (85, 12, 3), (0, 8), (-0.05, 0.1), 0.3, 0.02,
                                 ((80, 30, 90), (20, 5, 30)), disputed=0.04, sentiment=(10, 50, 40)),
    Behaviour.CHURNED: Traits(8, 0.7, 0.5, False, (85, 15, 0), (2, 10), (-0.15, 0.0), 0.3, 0.03, ON_TIME,
                              sentiment=(0, 30, 70), contacts=(0, 2)),
    Behaviour.NEW: Traits(10, 0.9, 0.4, False, (65, 25, 10), (5, 15), (0.0, 0.3), 0.25, 0.02, ON_TIME,
                          sentiment=(35, 55, 10), advocacy=0.1, contacts=(1, 3)),
    Behaviour.PREMIUM: Traits(8, 1.3, 0.2, False, (10, 40, 50), (0, 3), (0.0, 0.2), 0.25, 0.01,
                              ((85, -15, 2), (15, 3, 10)), sentiment=(75, 22, 3), advocacy=0.5, contacts=(2, 5)),
    Behaviour.DISCOUNT_HUNTER: Traits(8, 0.7, 0.8, True, (97, 3, 0), (15, 35), (-0.1, 0.1), 0.45, 0.05,
                                      ((60, -5, 5), (40, 5, 20)), sentiment=(10, 60, 30)),
    Behaviour.BAD_DEBT: Traits(2, 0.7, 0.6, False, (90, 10, 0), (0, 10), (-0.1, 0.05), 0.3, 0.03,
                               ((70, 20, 80), (30, 0, 20)), disputed=0.08, sentiment=(0, 20, 80), contacts=(1, 3)),
    Behaviour.PROSPECT: Traits(7, 0.0, 0.0, False, (100, 0, 0), (0, 0), (0, 0), 0.0, 0.0, ON_TIME,
                               sentiment=(20, 60, 20), contacts=(1, 2)),
}  # fmt: skip

PAYMENT_TERMS = (14, 30, 30, 30, 45, 60, 90)
COUNTRIES = ("DE", "DE", "DE", "FR", "FR", "GB", "GB", "NL", "IT", "ES", "US", "US", "CH", "AT", "SE", "PL", "BE")
LEGAL_FORMS = ("GmbH", "AG", "SA", "Ltd", "B.V.", "S.p.A.", "Inc.", "AB", "S.L.")
NAME_WORDS = (
    "Nordwind", "Bluepeak", "Quantix", "Helix", "Vertex", "Lumen", "Cobalt", "Arcturus", "Hanse", "Meridian",
    "Atlas", "Granite", "Harbour", "Novagen", "Curavia", "Medexa", "Seaside", "Riverside", "Summit", "Ironvale",
    "Titan", "Forge", "Keystone", "Marktplatz", "Galleria", "Mercato", "Kestrel", "Nimbus", "Sterling", "Danube",
)  # fmt: skip
NAME_SUFFIXES = (
    "Systems", "Data", "Logistics", "Capital", "Pharma", "Hotels", "Werke", "Industries", "Retail", "Energy",
    "Components", "Foods", "Engineering", "Labs", "Trading", "Telecom",
)  # fmt: skip
FIRST_NAMES = (
    "Anna", "Lukas", "Julia", "Camille", "Julien", "Oliver", "Emma", "Daan", "Sanne", "Lucia",
    "Marco", "Giulia", "Erik", "Astrid", "Piotr", "Agnieszka", "James", "Sophie", "Felix", "Claire",
)  # fmt: skip
LAST_NAMES = (
    "Mueller", "Schmidt", "Martin", "Dubois", "Smith", "Jones", "de Jong", "Garcia", "Rossi", "Ferrari",
    "Andersson", "Nowak", "Weber", "Wagner", "Taylor", "Moreau", "Bakker", "Lopez", "Nilsson", "Becker",
)  # fmt: skip
JOB_TITLES: dict[str, str] = {
    BuyingRole.ECONOMIC_BUYER: "Chief Financial Officer",
    BuyingRole.DECISION_MAKER: "Head of Procurement",
    BuyingRole.INFLUENCER: "Operations Manager",
    BuyingRole.TECHNICAL_BUYER: "Head of IT",
    BuyingRole.USER: "Buyer",
    BuyingRole.CHAMPION: "Strategic Sourcing Manager",
    BuyingRole.BLOCKER: "Legal Counsel",
    BuyingRole.OTHER: "Office Manager",
}
COMMENTS = (
    "",
    "",
    "",
    "",
    "Reliable deliveries.",
    "Good service, prices could be better.",
    "Support answered quickly.",
    "Delivery was late twice this quarter.",
    "Great account team.",
)
SERVICE_LEVELS = (str(ServiceLevel.STANDARD), str(ServiceLevel.ENHANCED), str(ServiceLevel.PREMIUM))
ADVOCACY_KINDS = tuple(str(kind) for kind in AdvocacyKind)


# --- the plan: one draw per account --------------------------------------------------------------------------


@dataclass(slots=True)
class AccountDraw:
    """What one account is and does; the tables are generated from these. Days are offsets into the history:
    0 is the first day of the three years, ``HISTORY_DAYS - 1`` is today."""

    index: int
    id: int
    behaviour: Behaviour
    kind: str
    owner_id: int | None
    verifier_id: int | None
    start: int  # first day it may order
    end: int  # last day it may order
    created: int  # day the account was created (before ``start``)
    size_cents: float  # median order amount
    growth_per_day: float
    discount_hundredths: int
    service_thresholds: tuple[float, float]
    terms: int
    sentiment: int  # 0 promoter, 1 passive, 2 detractor
    contact_ids: list[int] = field(default_factory=list)
    orders: int = 0
    invoices: int = 0
    feedback: int = 0
    advocacy: int = 0
    contracts: list[str] = field(default_factory=list)  # contract kinds
    # The account's orders, kept from the orders pass for its invoices, then dropped.
    order_days: array[int] | None = None
    order_cents: array[int] | None = None
    order_cancelled: bytearray | None = None


@dataclass
class VolumeSummary:
    """What ``volume_seed`` did: rows and seconds per table, and the steps around them."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    behaviours: dict[str, int] = field(default_factory=dict)
    today: datetime.date | None = None
    total_seconds: float = 0.0

    def lines(self) -> list[str]:
        """Human-readable lines for the command's output."""
        result = []
        if self.deleted:
            result.append("deleted: " + ", ".join(f"{table} {n:,}" for table, n in self.deleted.items()))
        for table in TABLES:
            if table in self.rows:
                rows, seconds = self.rows[table], self.seconds[table]
                rate = rows / seconds if seconds > 0 else 0.0
                result.append(f"{table:<9} {rows:>11,} rows {seconds:7.1f} s {rate:>11,.0f} rows/s")
        for step in ("delete", "commit", "analyze"):
            if step in self.seconds:
                result.append(f"{step:<9} {'':>16} {self.seconds[step]:7.1f} s")
        result.append("behaviours: " + ", ".join(f"{name} {n:,}" for name, n in self.behaviours.items()))
        result.append(f"history up to {self.today}; total {self.total_seconds:.1f} s")
        return result


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into whole numbers proportional to ``weights`` that add up exactly to ``total``
    (cumulative rounding: each share is the difference of two rounded running sums). Zero weights get 0."""
    weight_sum = math.fsum(weights)
    if total < 0:
        raise ValueError("cannot apportion a negative total")
    if total == 0:
        return [0] * len(weights)
    if weight_sum <= 0:
        raise ValueError(f"cannot apportion {total} over nothing")
    shares, running, previous = [], 0.0, 0
    for weight in weights:
        running += weight
        current = min(total, round(total * running / weight_sum))
        shares.append(current - previous)
        previous = current
    shares[-1] += total - previous  # floating-point slack on the last share, if any
    return shares


def _deal(rng: random.Random, accounts: int) -> list[Behaviour]:
    """Behaviours by their shares (largest remainder), shuffled: every behaviour with a share of one account or
    more is present."""
    quotas = {behaviour: accounts * traits.share / 100 for behaviour, traits in TRAITS.items()}
    counts = {behaviour: int(quota) for behaviour, quota in quotas.items()}
    by_remainder = sorted(quotas, key=lambda behaviour: quotas[behaviour] - counts[behaviour], reverse=True)
    for behaviour in by_remainder[: accounts - sum(counts.values())]:
        counts[behaviour] += 1
    dealt = [behaviour for behaviour, n in counts.items() for _ in range(n)]
    rng.shuffle(dealt)
    return dealt


def _span(rng: random.Random, behaviour: Behaviour) -> tuple[int, int]:
    """The days between which an account orders."""
    last = HISTORY_DAYS - 1
    if behaviour is Behaviour.NEW:
        return rng.randint(last - 360, last - 20), last
    if behaviour is Behaviour.CHURNED:
        return rng.randint(0, 250), last - rng.randint(365, 730)
    if behaviour is Behaviour.PROSPECT:
        day = rng.randint(0, last)
        return day, day
    return (0 if rng.random() < 0.6 else rng.randint(0, 700)), last


def volume_plan(
    *,
    accounts: int,
    orders: int,
    invoices: int,
    feedback: int,
    seed: int,
    account_ids: Sequence[int],
    managers: Sequence[int] = (),
) -> list[AccountDraw]:
    """Draw every account and apportion the orders, invoices and NPS answers over them. Pure: the same
    arguments give the same plan. ``account_ids`` holds one reserved id per account; ``managers`` are
    user ids that own the accounts round-robin (none: unassigned)."""
    if min(accounts, orders, invoices, feedback) < 0:
        raise ValueError("counts cannot be negative")
    if len(account_ids) != accounts:
        raise ValueError("one reserved id per account is needed")
    rng = random.Random(f"{seed}:plan")  # noqa: S311  # synthetic data: reproducible by design
    customer, supplier = str(AccountKind.CUSTOMER), str(AccountKind.SUPPLIER)
    draws: list[AccountDraw] = []
    for index, behaviour in enumerate(_deal(rng, accounts)):
        traits = TRAITS[behaviour]
        start, end = _span(rng, behaviour)
        standard, enhanced, _premium = traits.service
        total = sum(traits.service)
        owner = managers[index % len(managers)] if managers else None
        verifier = managers[(index + 1) % len(managers)] if len(managers) > 1 else None
        draws.append(
            AccountDraw(
                index=index,
                id=account_ids[index],
                behaviour=behaviour,
                kind=supplier if behaviour is not Behaviour.PROSPECT and rng.random() < 0.15 else customer,
                owner_id=owner,
                verifier_id=verifier,
                start=start,
                end=end,
                created=start - rng.randint(1, LEAD_DAYS - 1) if rng.random() < 0.5 else start - rng.randint(1, 60),
                size_cents=100 * math.exp(rng.gauss(math.log(2500), 1.0)),
                growth_per_day=math.log1p(rng.uniform(*traits.growth)) / 365,
                discount_hundredths=round(100 * rng.uniform(*traits.discount)),
                service_thresholds=(standard / total, (standard + enhanced) / total),
                terms=rng.choice(PAYMENT_TERMS),
                sentiment=rng.choices((0, 1, 2), weights=traits.sentiment, k=1)[0],
            )
        )
    if orders and not any(TRAITS[d.behaviour].activity for d in draws):
        raise ValueError("orders need accounts that buy: ask for more accounts")
    order_weights = [
        TRAITS[d.behaviour].activity * rng.lognormvariate(0, 0.9) * (d.end - d.start + 1) / HISTORY_DAYS for d in draws
    ]
    for draw, n in zip(draws, apportion(orders, order_weights), strict=True):
        draw.orders = n
    if invoices and not orders:
        raise ValueError("invoices need orders to bill")
    for draw, n in zip(draws, apportion(invoices, [d.orders for d in draws]), strict=True):
        draw.invoices = n
    for draw in draws:
        low, high = TRAITS[draw.behaviour].contacts
        draw.contact_ids = [0] * rng.randint(low, high)  # ids are filled in once reserved
        if draw.sentiment == 0 and draw.orders and rng.random() < TRAITS[draw.behaviour].advocacy:
            draw.advocacy = rng.choice((1, 1, 2, 3))
    if feedback and not draws:
        raise ValueError("NPS answers need accounts")
    feedback_weights = [(0.3 if d.behaviour is Behaviour.PROSPECT else 1.0) + len(d.contact_ids) for d in draws]
    for draw, n in zip(draws, apportion(feedback, feedback_weights), strict=True):
        draw.feedback = n
    # Contracts from a stream of their own, so adding them left every other table of a seed as it was: a
    # framework agreement or an SLA for a third of the buying accounts, and a partnership or joint development
    # for half of the advocates (the Partner rung needs one).
    contract_rng = random.Random(f"{seed}:contract-plan")  # noqa: S311  # synthetic data
    for draw in draws:
        if not draw.orders:
            continue
        if contract_rng.random() < 0.35:
            draw.contracts.append(contract_rng.choice((ContractKind.FRAMEWORK, ContractKind.SLA)).value)
        if draw.advocacy and contract_rng.random() < 0.5:
            draw.contracts.append(contract_rng.choice((ContractKind.PARTNERSHIP, ContractKind.JOINT_DEVELOPMENT)).value)
    return draws


# --- COPY ----------------------------------------------------------------------------------------------------


def _copy_text(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        value = json.dumps(value)
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_defaults(model: type[models.Model], given: Sequence[str], *, now: datetime.datetime) -> dict[str, str]:
    """COPY text for the model's columns that the generator does not fill: the field's default, ``now`` for
    ``auto_now``/``auto_now_add``; nullable fields and database defaults are left to the database. A NOT NULL
    column with no default raises, naming the field: the generator must learn to fill it."""
    defaults: dict[str, str] = {}
    for model_field in model._meta.concrete_fields:
        column = model_field.column
        if column is None or column in given or model_field.primary_key:
            continue
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            defaults[column] = _copy_text(now)
        elif model_field.has_db_default() or (model_field.null and not model_field.has_default()):
            continue
        else:
            value = model_field.get_default()  # "" for a text field without a default, as Django would save
            if value is None and not model_field.null:
                raise ValueError(f"accounts.volume cannot fill {model.__name__}.{model_field.name}: give it a value")
            defaults[column] = _copy_text(value)
    return defaults


def _copy(
    model: type[models.Model],
    columns: Sequence[str],
    batches: Iterable[list[str]],
    *,
    total: int,
    now: datetime.datetime,
    table: str,
    progress: ProgressCallback | None,
) -> tuple[int, float]:
    """Stream the rows (tab-separated ``columns`` without the newline) into the model's table; returns rows and
    seconds. The columns the generator leaves out get their defaults (``copy_defaults``)."""
    defaults = copy_defaults(model, columns, now=now)
    all_columns = [*columns, *defaults]
    suffix = "".join(f"\t{text}" for text in defaults.values()) + "\n"
    quote = connection.ops.quote_name
    statement = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in all_columns)}) FROM STDIN"
    started = time.monotonic()
    rows, reported = 0, 0
    with connection.cursor() as cursor, cursor.copy(statement) as copy:  # psycopg 3's COPY, through Django's cursor
        for batch in batches:
            if not batch:
                continue
            copy.write((suffix.join(batch) + suffix).encode())
            rows += len(batch)
            if progress is not None and rows - reported >= max(total // 4, BATCH_ROWS) and rows < total:
                progress(table, rows, total, time.monotonic() - started)
                reported = rows
    seconds = time.monotonic() - started
    if progress is not None:
        progress(table, rows, total, seconds)
    return rows, seconds


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys from the table's sequence (safe beside concurrent inserts)."""
    if count == 0:
        return []
    table, column = model._meta.db_table, _pk_column(model)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
        )
        return [row[0] for row in cursor.fetchall()]


# --- the rows of each table (generators of COPY text, in batches) ---------------------------------------------


class _Calendar:
    """ISO texts of the history's days, by offset: negative offsets reach back before the history, offsets past
    today reach into the next year (due dates still to come)."""

    def __init__(self, today: datetime.date) -> None:
        self.today = today
        self.first = today - datetime.timedelta(days=HISTORY_DAYS - 1)
        self._texts = [
            (self.first + datetime.timedelta(days=offset)).isoformat()
            for offset in range(-LEAD_DAYS, HISTORY_DAYS + 366)
        ]

    def text(self, offset: int) -> str:
        return self._texts[offset + LEAD_DAYS]

    def moment(self, offset: int, minutes: int) -> str:
        """A timestamp on that day (UTC), ``minutes`` after 08:00."""
        return f"{self.text(offset)} {8 + minutes // 60:02d}:{minutes % 60:02d}:00+00"


def _account_lines(rng: random.Random, draws: Sequence[AccountDraw], calendar: _Calendar) -> Iterator[list[str]]:
    batch: list[str] = []
    for draw in draws:
        number = draw.index + 1
        name = f"{rng.choice(NAME_WORDS)} {rng.choice(NAME_SUFFIXES)} {number} {rng.choice(LEGAL_FORMS)}"
        yearly = draw.size_cents / 100 * max(1.0, draw.orders / 3)
        potential = r"\N"
        if rng.random() < 0.6:
            potential = f"{max(1000, round(yearly * rng.uniform(0.7, 3.0), -3)):.2f}"
        credit = r"\N"
        if draw.kind == AccountKind.CUSTOMER and rng.random() < 0.7:
            credit = f"{max(5000, round(yearly * rng.uniform(0.05, 0.25), -3)):.2f}"
        inactive = 0.4 if draw.behaviour is Behaviour.CHURNED else 0.01
        active = "f" if rng.random() < inactive else "t"
        owner = r"\N" if draw.owner_id is None else str(draw.owner_id)
        created = calendar.moment(draw.created, rng.randrange(600))
        batch.append(
            f"{draw.id}\t{name}\t{draw.kind}\t{rng.choice(INDUSTRY_SUGGESTIONS)}\t{rng.choice(COUNTRIES)}\t{owner}\t"
            f"{PREFIX}A-{number:07d}\t{potential}\t{draw.terms}\t{credit}\t{active}\t{created}"
        )
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    yield batch


ACCOUNT_COLUMNS = (
    "id", "name", "kind", "industry", "country", "owner_id", "external_id", "annual_potential",
    "payment_terms_days", "credit_limit", "is_active", "created_at",
)  # fmt: skip

ROLES = tuple(str(role) for role in BuyingRole)


def _contact_lines(rng: random.Random, draws: Sequence[AccountDraw], calendar: _Calendar) -> Iterator[list[str]]:
    batch: list[str] = []
    for draw in draws:
        for n, contact_id in enumerate(draw.contact_ids, start=1):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            role = ROLES[0] if n == 1 else rng.choice(ROLES)
            email = f"{first}.{last.replace(' ', '')}.{n}@vol-{draw.index + 1}.example".lower()
            phone = f"+49 30 555 {rng.randint(1000, 9999)}" if rng.random() < 0.7 else ""
            attitude = max(-2, min(2, (1 - draw.sentiment) + rng.choice((-1, 0, 0, 1))))
            active = "t" if rng.random() > 0.05 else "f"
            created = calendar.moment(max(draw.created, draw.start - 1), rng.randrange(600))
            batch.append(
                f"{contact_id}\t{draw.id}\t{first} {last}\t{email}\t{phone}\t{JOB_TITLES[role]}\t{role}\t"
                f"{rng.randint(1, 5)}\t{attitude}\t{active}\t{created}"
            )
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    yield batch


CONTACT_COLUMNS = (
    "id", "account_id", "name", "email", "phone", "job_title", "buying_role", "influence", "attitude", "is_active",
    "created_at",
)  # fmt: skip


def _order_days(rng: random.Random, draw: AccountDraw) -> list[int]:
    """The account's order days, ascending: evenly spaced with jitter, or in bursts."""
    n, start, end = draw.orders, draw.start, draw.end
    length = end - start + 1
    traits = TRAITS[draw.behaviour]
    if traits.bursty:
        centres = [start + rng.random() * length for _ in range(max(1, n // 8))]
        days = [min(end, max(start, int(rng.choice(centres) + rng.gauss(0, 12)))) for _ in range(n)]
        days.sort()
        return days
    step = length / n
    jitter = traits.regularity
    # With a jitter of at most 1 step the days stay in order.
    return [min(end, start + int((j + 0.5 + jitter * (rng.random() - 0.5)) * step)) for j in range(n)]


def _order_lines(rng: random.Random, draws: Sequence[AccountDraw], calendar: _Calendar) -> Iterator[list[str]]:
    """Orders, numbered ``VOL-O-…`` in account order; keeps each account's days, amounts and cancellations on its
    draw for the invoices."""
    today = HISTORY_DAYS - 1
    statuses = (str(OrderStatus.FULFILLED), str(OrderStatus.CONFIRMED), str(OrderStatus.CANCELLED))
    gauss, uniform = rng.gauss, rng.random
    text = calendar.text
    serial = 0
    batch: list[str] = []
    for draw in draws:
        if not draw.orders:
            continue
        traits = TRAITS[draw.behaviour]
        days = _order_days(rng, draw)
        cents = array("q", bytes(8 * len(days)))
        cancelled = bytearray(len(days))
        low, high = draw.service_thresholds
        size, growth, spread, start = draw.size_cents, draw.growth_per_day, traits.spread, draw.start
        discount_mean, cancel_rate = draw.discount_hundredths, traits.cancelled
        prefix = f"{draw.id}\t{PREFIX}O-"
        for j, day in enumerate(days):
            amount = max(100, int(size * math.exp(growth * (day - start) + spread * gauss(0.0, 1.0))))
            discount = min(10000, max(0, discount_mean + int(400 * (uniform() - 0.5))))
            r = uniform()
            service = SERVICE_LEVELS[0] if r < low else SERVICE_LEVELS[1] if r < high else SERVICE_LEVELS[2]
            if uniform() < cancel_rate:
                status = statuses[2]
                cancelled[j] = 1
            else:
                status = statuses[1] if today - day < RECENT_DAYS else statuses[0]
            cents[j] = amount
            serial += 1
            batch.append(
                f"{prefix}{serial:08d}\t{text(day)}\t{amount // 100}.{amount % 100:02d}\t"
                f"{discount // 100}.{discount % 100:02d}\t{service}\t{status}"
            )
        draw.order_days, draw.order_cents, draw.order_cancelled = array("H", days), cents, cancelled
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    yield batch


ORDER_COLUMNS = ("account_id", "external_id", "order_date", "net_amount", "discount_pct", "service_level", "status")


def _lateness(rng: random.Random, traits: Traits) -> int:
    weight = rng.random() * sum(w for w, _low, _high in traits.lateness)
    for w, low, high in traits.lateness:
        weight -= w
        if weight < 0:
            return rng.randint(low, high)
    _w, low, high = traits.lateness[-1]
    return rng.randint(low, high)


def _invoice_lines(rng: random.Random, draws: Sequence[AccountDraw], calendar: _Calendar) -> Iterator[list[str]]:
    """Invoices, each covering a run of consecutive orders of its account (an order split over several invoices
    when there are more invoices than orders). Paid late or on time by behaviour; open when payment is still to
    come or disputed; written off once for bad debts; cancelled when all its orders were."""
    today = HISTORY_DAYS - 1
    paid, open_, written_off, cancelled_status = (
        str(InvoiceStatus.PAID),
        str(InvoiceStatus.OPEN),
        str(InvoiceStatus.WRITTEN_OFF),
        str(InvoiceStatus.CANCELLED),
    )
    text = calendar.text
    serial = 0
    batch: list[str] = []
    for draw in draws:
        k = draw.invoices
        days, cents, cancelled = draw.order_days, draw.order_cents, draw.order_cancelled
        draw.order_days = draw.order_cents = draw.order_cancelled = None
        if not k or days is None or cents is None or cancelled is None:
            continue
        n = len(days)
        traits = TRAITS[draw.behaviour]
        write_off_after = today - rng.randint(240, 790) if draw.behaviour is Behaviour.BAD_DEBT else None
        for j in range(k):
            lo = j * n // k
            hi = max(lo + 1, (j + 1) * n // k)
            billed = sum(cents[i] for i in range(lo, hi) if not cancelled[i])
            if k > n:
                billed = max(1, billed * n // k)
            issue = min(today, days[hi - 1] + rng.randrange(4))
            due = issue + draw.terms
            paid_day: int | None = None
            if not billed:
                status, amount = cancelled_status, max(1, sum(cents[i] for i in range(lo, hi)))
            else:
                amount = billed
                pays = max(issue, due + _lateness(rng, traits))
                if write_off_after is not None and issue >= write_off_after:
                    status, write_off_after = written_off, None
                elif rng.random() < 0.004:
                    status = cancelled_status  # credited in full
                elif pays > today or (today - due > 60 and rng.random() < traits.disputed):
                    status = open_
                else:
                    status, paid_day = paid, pays
            serial += 1
            number = f"{PREFIX}I-{serial:08d}"
            batch.append(
                f"{draw.id}\t{number}\t{number}\t{text(issue)}\t{text(due)}\t"
                f"{amount // 100}.{amount % 100:02d}\t{NULL if paid_day is None else text(paid_day)}\t{status}"
            )
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    yield batch


INVOICE_COLUMNS = ("account_id", "external_id", "number", "issue_date", "due_date", "amount", "paid_date", "status")
NPS_SCORES = ((9, 10, 10, 9, 8), (7, 8, 8, 7, 6, 9), (0, 2, 3, 4, 5, 6, 6, 7))  # by sentiment


def _feedback_lines(rng: random.Random, draws: Sequence[AccountDraw], calendar: _Calendar) -> Iterator[list[str]]:
    """NPS answers, most of them within the last year; three in four from a contact when the account has any."""
    today = HISTORY_DAYS - 1
    serial = 0
    batch: list[str] = []
    for draw in draws:
        first = max(0, draw.start)
        last = today if draw.behaviour is not Behaviour.CHURNED else min(today, draw.end + 90)
        scores = NPS_SCORES[draw.sentiment]
        for _ in range(draw.feedback):
            recent = rng.random() < 0.6 and last > today - 365
            day = rng.randint(max(first, today - 364), last) if recent else rng.randint(first, last)
            contact = r"\N"
            if draw.contact_ids and rng.random() < 0.75:
                contact = str(rng.choice(draw.contact_ids))
            serial += 1
            batch.append(
                f"{draw.id}\t{contact}\t{PREFIX}F-{serial:08d}\t{rng.choice(scores)}\t{calendar.text(day)}\t"
                f"{rng.choice(COMMENTS)}\t{calendar.moment(day, rng.randrange(600))}"
            )
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    yield batch


FEEDBACK_COLUMNS = ("account_id", "contact_id", "external_id", "score", "responded_on", "comment", "created_at")


def _advocacy_lines(rng: random.Random, draws: Sequence[AccountDraw], calendar: _Calendar) -> Iterator[list[str]]:
    """Advocacy of promoter accounts; about two in three verified, by a second manager when there is one (four
    eyes: never the owner who logged it). Referrals name another account now and then."""
    today = HISTORY_DAYS - 1
    batch: list[str] = []
    for draw in draws:
        for _ in range(draw.advocacy):
            day = rng.randint(max(draw.start, today - 900), today)
            kind = rng.choice(ADVOCACY_KINDS)
            referred = r"\N"
            if kind == AdvocacyKind.REFERRAL and len(draws) > 1 and rng.random() < 0.5:
                other = draws[(draw.index + rng.randint(1, len(draws) - 1)) % len(draws)]
                referred = str(other.id)
            verified = rng.random() < 0.67 and day < today
            logged_by = r"\N" if draw.owner_id is None else str(draw.owner_id)
            verified_by = str(draw.verifier_id) if verified and draw.verifier_id is not None else r"\N"
            verified_at = (
                calendar.moment(min(today, day + rng.randint(1, 14)), rng.randrange(600)) if verified else r"\N"
            )
            batch.append(
                f"{draw.id}\t{kind}\t{calendar.text(day)}\t\t{referred}\t{logged_by}\t{'t' if verified else 'f'}\t"
                f"{verified_by}\t{verified_at}\t{calendar.moment(day, rng.randrange(600))}"
            )
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    yield batch


def _contract_lines(rng: random.Random, draws: Sequence[AccountDraw], calendar: _Calendar) -> Iterator[list[str]]:
    """Contracts that started while the account bought; most run on (open-ended, a future end, or renewing
    themselves), one in six has ended."""
    today = HISTORY_DAYS - 1
    batch: list[str] = []
    serial = 0
    for draw in draws:
        for kind in draw.contracts:
            serial += 1
            starts = rng.randint(draw.start, max(draw.start, min(today - 30, draw.end)))
            roll = rng.random()
            if roll < 1 / 6:
                ends = calendar.text(rng.randint(starts, today - 1)) if starts < today - 1 else NULL
            elif roll < 0.5:
                ends = calendar.text(today + rng.randint(30, 365))
            else:
                ends = NULL
            premium = kind in (ContractKind.PARTNERSHIP, ContractKind.JOINT_DEVELOPMENT)
            level = rng.choice(("premium", "enhanced")) if premium else rng.choice(("standard", "enhanced"))
            moment = calendar.moment(starts, rng.randrange(600))
            batch.append(
                f"{draw.id}\t{PREFIX}C-{serial:07d}\t{kind}\t{kind.replace('_', ' ').capitalize()} {serial}\t"
                f"{level}\t{calendar.text(starts)}\t{ends}\t{'t' if rng.random() < 0.4 else 'f'}\t{moment}\t{moment}"
            )
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    yield batch


CONTRACT_COLUMNS = (
    "account_id", "external_id", "kind", "title", "service_level", "starts_on", "ends_on", "auto_renew",
    "created_at", "updated_at",
)  # fmt: skip


ADVOCACY_COLUMNS = (
    "account_id", "kind", "occurred_on", "note", "referred_account_id", "logged_by_id", "verified", "verified_by_id",
    "verified_at", "created_at",
)  # fmt: skip


# --- deleting (set-based) and seeding ---------------------------------------------------------------------------


def volume_accounts() -> models.QuerySet[Account]:
    """The accounts of the volume portfolio."""
    return Account.objects.filter(external_id__startswith=PREFIX)


def rows_delete(queryset: models.QuerySet[Any]) -> dict[str, int]:
    """Delete the queryset's rows and apply every ``on_delete`` that points at them, set-based: one ``DELETE …
    WHERE fk IN (subquery)`` or ``UPDATE … SET fk = NULL`` per relation, however many rows (Django's own
    ``delete()`` loads the rows of every relation that has relations of its own). Returns rows deleted per
    table. PROTECT/RESTRICT with rows behind them raise ``ValueError``; other handlers are not supported."""
    sql, params = queryset.values("pk").query.sql_with_params()
    deleted: dict[str, int] = {}
    with connection.cursor() as cursor:
        _delete_where(cursor, queryset.model, _pk_column(queryset.model), sql, list(params), deleted, depth=0)
    return deleted


def _pk_column(model: type[models.Model]) -> str:
    column = model._meta.pk.column
    assert column is not None  # every concrete model's primary key has a column
    return column


def _delete_where(
    cursor: Any,
    model: type[models.Model],
    column: str,
    keys_sql: str,
    params: list[Any],
    deleted: dict[str, int],
    *,
    depth: int,
) -> None:
    """Delete the rows of ``model`` whose ``column`` is among ``keys_sql``'s keys, their dependants first."""
    if depth > 8:
        raise ValueError("relations nest too deep to delete set-based")
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(_pk_column(model))
    where = f"{quote(column)} IN ({keys_sql})"
    for relation in get_candidate_relations_to_delete(model._meta):
        assert isinstance(relation, ForeignObjectRel)  # reverse relations only, by construction
        related_model, related_column = relation.related_model, relation.field.column
        assert isinstance(related_model, type) and related_column is not None  # a loaded model's concrete key
        related_table = quote(related_model._meta.db_table)
        keys = f"SELECT {pk} FROM {table} WHERE {where}"  # noqa: S608  # quoted names, parameters apart
        if relation.on_delete is CASCADE:
            _delete_where(cursor, related_model, related_column, keys, params, deleted, depth=depth + 1)
        elif relation.on_delete is SET_NULL:
            cursor.execute(
                f"UPDATE {related_table} SET {quote(related_column)} = NULL "  # noqa: S608
                f"WHERE {quote(related_column)} IN ({keys})",
                params,
            )
        elif relation.on_delete in (PROTECT, RESTRICT):
            exists = f"SELECT EXISTS (SELECT 1 FROM {related_table} WHERE {quote(related_column)} IN ({keys}))"  # noqa: S608
            cursor.execute(exists, params)
            if cursor.fetchone()[0]:
                raise ValueError(f"{related_model.__name__} rows protect the rows to delete")
        elif relation.on_delete is not DO_NOTHING:
            raise ValueError(f"{related_model.__name__}.{relation.field.name}: on_delete not supported")
    cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608
    deleted[model._meta.db_table] = deleted.get(model._meta.db_table, 0) + cursor.rowcount


def volume_manager_ids() -> list[int]:
    """Active account managers by id: the owners, round-robin."""
    User = get_user_model()
    return list(
        User._default_manager.filter(groups__name=ACCOUNT_MANAGER, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def volume_seed(
    *,
    accounts: int = DEFAULT_ACCOUNTS,
    orders: int = DEFAULT_ORDERS,
    invoices: int | None = None,
    feedback: int | None = None,
    seed: int = DEFAULT_SEED,
    replace: bool = False,
    today: datetime.date | None = None,
    progress: ProgressCallback | None = None,
    step: Callable[[str], None] | None = None,
) -> VolumeSummary:
    """Load the volume portfolio (see the module docstring) in one transaction, then ``ANALYZE`` its tables.

    ``invoices`` defaults to half the orders, ``feedback`` to two answers per account. Refuses
    (``VolumeExistsError``) when ``VOL-`` accounts exist, unless ``replace``: then they and everything that hangs
    off them are deleted first, set-based (``rows_delete``). ``progress`` hears about each table, ``step`` about
    the steps in between (deleting, committing, analysing).
    """
    began = time.monotonic()
    invoices = orders // 2 if invoices is None else invoices
    feedback = 2 * accounts if feedback is None else feedback
    today = today or timezone.localdate()
    now = timezone.now()
    calendar = _Calendar(today)
    summary = VolumeSummary(today=today)
    say = step or (lambda message: None)

    with transaction.atomic():
        if volume_accounts().exists():
            if not replace:
                raise VolumeExistsError(f"{volume_accounts().count():,} {PREFIX} accounts exist already.")
            say(f"deleting the previous {PREFIX} portfolio")
            started = time.monotonic()
            summary.deleted = {table: n for table, n in rows_delete(volume_accounts()).items() if n}
            summary.seconds["delete"] = time.monotonic() - started
        draws = volume_plan(
            accounts=accounts,
            orders=orders,
            invoices=invoices,
            feedback=feedback,
            seed=seed,
            account_ids=_reserve_ids(Account, accounts),
            managers=volume_manager_ids(),
        )
        contact_ids = iter(_reserve_ids(Contact, sum(len(d.contact_ids) for d in draws)))
        for draw in draws:
            draw.contact_ids = [next(contact_ids) for _ in draw.contact_ids]
        for behaviour in Behaviour:
            summary.behaviours[behaviour.value] = sum(1 for d in draws if d.behaviour is behaviour)

        tables: list[tuple[str, type[models.Model], Sequence[str], Any, int]] = [
            ("accounts", Account, ACCOUNT_COLUMNS, _account_lines, accounts),
            ("contacts", Contact, CONTACT_COLUMNS, _contact_lines, sum(len(d.contact_ids) for d in draws)),
            ("orders", Order, ORDER_COLUMNS, _order_lines, orders),
            ("invoices", Invoice, INVOICE_COLUMNS, _invoice_lines, invoices),
            ("feedback", Feedback, FEEDBACK_COLUMNS, _feedback_lines, feedback),
            ("advocacy", AdvocacyEvent, ADVOCACY_COLUMNS, _advocacy_lines, sum(d.advocacy for d in draws)),
            ("contracts", Contract, CONTRACT_COLUMNS, _contract_lines, sum(len(d.contracts) for d in draws)),
        ]
        for table, model, columns, lines, total in tables:
            rng = random.Random(f"{seed}:{table}")  # noqa: S311  # synthetic data: reproducible by design
            rows, seconds = _copy(
                model, columns, lines(rng, draws, calendar), total=total, now=now, table=table, progress=progress
            )
            if rows != total:
                raise RuntimeError(f"{table}: {rows} rows written, {total} planned")
            summary.rows[table], summary.seconds[table] = rows, seconds
        say("committing (the foreign keys are checked now)")
        started = time.monotonic()
    summary.seconds["commit"] = time.monotonic() - started

    say("analysing the tables for the planner")
    started = time.monotonic()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(quote(model._meta.db_table) for _t, model, *_rest in tables))
    summary.seconds["analyze"] = time.monotonic() - started
    summary.total_seconds = time.monotonic() - began
    return summary


def volume_counts() -> dict[str, int]:
    """Rows of the volume portfolio per table (one query), to tell whether a database already holds it."""
    sql = """
        SELECT (SELECT count(*) FROM accounts_account WHERE external_id LIKE %(like)s),
               (SELECT count(*) FROM accounts_order o JOIN accounts_account a ON a.id = o.account_id
                 WHERE a.external_id LIKE %(like)s),
               (SELECT count(*) FROM accounts_invoice i JOIN accounts_account a ON a.id = i.account_id
                 WHERE a.external_id LIKE %(like)s),
               (SELECT count(*) FROM relationships_feedback f JOIN accounts_account a ON a.id = f.account_id
                 WHERE a.external_id LIKE %(like)s),
               (SELECT count(*) FROM relationships_contract c JOIN accounts_account a ON a.id = c.account_id
                 WHERE a.external_id LIKE %(like)s)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"like": PREFIX + "%"})
        row = cursor.fetchone()
    return dict(zip(("accounts", "orders", "invoices", "feedback", "contracts"), row or (0, 0, 0, 0, 0), strict=True))
