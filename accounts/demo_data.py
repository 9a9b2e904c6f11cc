"""The demo portfolio: a deterministic, realistic set of accounts and their contacts.

Generation has two halves so that tests and later record kinds can reuse it:

* ``portfolio_plan`` is pure: from a seed it draws, for every account, a **profile** (steady buyer, erratic
  buyer, late payer, churned, new, supplier) and the account's fields and contacts. The profile is the hook
  for the records that come later: orders, invoices, feedback and interactions will be drawn from the same
  profile (a late payer's invoices are paid late, a churned account's orders stop), so a new record kind
  means one more ``*_plan`` function over ``AccountPlan``, not a second generator.
* ``portfolio_seed`` writes a plan set-based: one ``bulk_create`` per table (accounts, contacts, team rows),
  a handful of queries for any number of accounts.

Nothing comes from external data: names are combined from the word lists below, email domains end in the
reserved ``.example`` TLD, and phone numbers use fictional subscriber numbers.
"""

from __future__ import annotations

import datetime
import enum
import math
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.choices import AccountKind, BuyingRole, InvoiceStatus, OrderStatus, ServiceLevel
from accounts.models import Account, Contact, Invoice, Order
from kam.roles import ACCOUNT_MANAGER, KAM_DIRECTOR
from relationships.demo_data import (
    Leaning,
    People,
    RelationshipCounts,
    RelationshipPlan,
    Sentiment,
    relationship_plan,
    relationships_seed,
)

DEFAULT_ACCOUNTS = 220
DEFAULT_SEED = 2026
EXTERNAL_ID_PREFIX = "ERP-"
BATCH_SIZE = 5000  # rows per INSERT: a few statements per table, each well below PostgreSQL's limits
FIRST_EXTERNAL_NUMBER = 100001
PAYMENT_TERMS = (14, 30, 45, 60, 90)
CENT = Decimal("0.01")
DAY = datetime.timedelta(days=1)
INDUSTRIES = ("Technology", "Banking", "Pharmaceuticals", "Hospitality", "Manufacturing", "Retail")


class PortfolioExistsError(Exception):
    """Seeding was asked for while accounts exist (and ``force`` was not given)."""


class Profile(enum.StrEnum):
    """How an account behaves; its orders, invoices, feedback, advocacy, contracts and interactions are drawn
    from it."""

    STEADY = "steady"  # orders about monthly, regular amounts, pays on time
    ERRATIC = "erratic"  # orders in bursts, quiet in between
    LATE_PAYER = "late_payer"  # buys regularly, pays 30–90 days late
    CHURNED = "churned"  # stopped ordering 12–20 months ago
    NEW = "new"  # first order within the last year, growing
    SUPPLIER = "supplier"  # a key supplier
    PARTNER = "partner"  # strategic: monthly premium orders, promoters, verified advocacy, partnership contract
    PREMIUM = "premium"  # buys enhanced and premium service, hardly any discount
    DISCOUNT_HUNTER = "discount_hunter"  # buys on promotion, high discounts
    BAD_DEBT = "bad_debt"  # a late payer with an invoice written off
    PROSPECT = "prospect"  # in the pipeline, no order yet


# Shares of the portfolio (per cent); suppliers are about 15 %. ``_profiles`` deals them out by quota, so a
# portfolio of 220 has every profile, the ~10 partners and the write-offs included.
PROFILE_WEIGHTS = {
    Profile.STEADY: 21, Profile.ERRATIC: 11, Profile.LATE_PAYER: 9, Profile.CHURNED: 8, Profile.NEW: 10,
    Profile.SUPPLIER: 15, Profile.PARTNER: 5, Profile.PREMIUM: 7, Profile.DISCOUNT_HUNTER: 8,
    Profile.BAD_DEBT: 1.5, Profile.PROSPECT: 4.5,
}  # fmt: skip


# --- word lists ---------------------------------------------------------------------------------------------

# Weighted toward the home markets of a European supplier.
COUNTRY_WEIGHTS = {
    "DE": 22, "FR": 11, "GB": 11, "NL": 8, "IT": 8, "ES": 7, "US": 9, "CH": 6, "AT": 5,
    "SE": 4, "PL": 4, "BE": 3, "DK": 2,
}  # fmt: skip

LEGAL_FORMS = {
    "DE": ("GmbH", "AG", "GmbH & Co. KG"),
    "AT": ("GmbH", "AG"),
    "CH": ("AG", "SA", "GmbH"),
    "FR": ("SA", "SAS"),
    "GB": ("Ltd", "plc"),
    "NL": ("B.V.", "N.V."),
    "BE": ("NV", "SA"),
    "ES": ("S.A.", "S.L."),
    "IT": ("S.p.A.", "S.r.l."),
    "US": ("Inc.", "LLC", "Corp."),
    "SE": ("AB",),
    "DK": ("A/S", "ApS"),
    "PL": ("Sp. z o.o.", "S.A."),
}

PHONE_PREFIXES = {
    "DE": "+49", "AT": "+43", "CH": "+41", "FR": "+33", "GB": "+44", "NL": "+31", "BE": "+32",
    "ES": "+34", "IT": "+39", "US": "+1", "SE": "+46", "DK": "+45", "PL": "+48",
}  # fmt: skip

COMPANY_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Technology": (
        ("Nordwind", "Bluepeak", "Quantix", "Helix", "Vertex", "Lumen", "Cobalt", "Arcturus", "Silverline",
         "Brightwave", "Kestrel", "Nimbus", "Orbital", "Pixelgrid", "Stratos", "Tessera"),
        ("Systems", "Software", "Data", "Digital", "Networks", "Labs", "Technologies", "Cloud", "Analytics"),
    ),
    "Banking": (
        ("Alpine", "Hanse", "Meridian", "Crown", "Atlas", "Heritage", "Rhein", "Baltic", "Lakeside", "Sterling",
         "Granite", "Harbour", "Westgate", "Danube"),
        ("Bank", "Capital", "Finance", "Savings Bank", "Trust", "Credit", "Private Bank"),
    ),
    "Pharmaceuticals": (
        ("Novagen", "Curavia", "Medexa", "Biolys", "Theralis", "Genovo", "Vitacore", "Pharmon", "Alveo",
         "Synthera", "Cellara", "Immunis", "Solvia", "Nuvaris"),
        ("Pharma", "Therapeutics", "Biosciences", "Life Sciences", "Laboratories", "Health"),
    ),
    "Hospitality": (
        ("Seaside", "Grand Alpine", "Riverside", "Old Town", "Harbourview", "Lakeview", "Royal Park", "Vineyard",
         "Summit", "Golden Lion", "Blue Lagoon", "Citadel", "Edelweiss", "Palazzo"),
        ("Hotels", "Resorts", "Hospitality", "Inns", "Hotel Group", "Catering"),
    ),
    "Manufacturing": (
        ("Steelbridge", "Ironvale", "Ferro", "Titan", "Rotor", "Hydra", "Precision", "Forge", "Anvil", "Kolben",
         "Gearline", "Metallo", "Keystone", "Vulkan"),
        ("Werke", "Industries", "Engineering", "Components", "Machinery", "Manufacturing", "Tools"),
    ),
    "Retail": (
        ("Marktplatz", "Urban", "Fresh", "Corner", "Everyday", "Galleria", "Bazaar", "Happy Basket", "Maison",
         "Nordic Home", "Trendline", "Village", "Sunday", "Mercato"),
        ("Retail", "Stores", "Markets", "Fashion", "Home", "Outlet", "Group"),
    ),
}  # fmt: skip
# Used once the plain combinations of an industry run out (large --accounts values).
NAME_QUALIFIERS = ("International", "Europe", "Holding", "Services", "Partners", "Solutions", "Group")

PERSON_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "de": (
        ("Anna", "Lukas", "Julia", "Jonas", "Katrin", "Felix", "Sabine", "Matthias", "Lea", "Stefan", "Miriam",
         "Tobias", "Claudia", "Jürgen", "Franziska", "Andreas"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Schulz", "Koch",
         "Richter", "Klein", "Wolf", "Neumann", "Zimmermann", "Brandt"),
    ),
    "fr": (
        ("Camille", "Julien", "Claire", "Nicolas", "Sophie", "Thomas", "Élodie", "Mathieu", "Chloé", "Antoine",
         "Isabelle", "Hugo", "Manon", "Laurent"),
        ("Martin", "Bernard", "Dubois", "Durand", "Lefèvre", "Moreau", "Laurent", "Girard", "Roux", "Fontaine",
         "Chevalier", "Mercier", "Blanc", "Garnier"),
    ),
    "en": (
        ("Oliver", "Emma", "James", "Charlotte", "William", "Amelia", "Harry", "Sophie", "Daniel", "Grace",
         "Michael", "Emily", "Jessica", "Robert", "Sarah", "David"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Evans", "Walker",
         "Robinson", "Wright", "Thompson", "Hughes", "Clarke", "Miller"),
    ),
    "nl": (
        ("Daan", "Sanne", "Bram", "Lotte", "Jeroen", "Femke", "Ruben", "Eva", "Thijs", "Anouk", "Pieter", "Maaike"),
        ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "Mulder",
         "de Boer", "Peeters", "Maes"),
    ),
    "es": (
        ("Lucía", "Javier", "María", "Alejandro", "Carmen", "Pablo", "Laura", "Diego", "Elena", "Sergio"),
        ("García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz", "Díaz", "Moreno"),
    ),
    "it": (
        ("Giulia", "Marco", "Francesca", "Alessandro", "Chiara", "Luca", "Sara", "Matteo", "Valentina", "Andrea"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco"),
    ),
    "sv": (
        ("Erik", "Astrid", "Lars", "Ingrid", "Johan", "Maja", "Anders", "Freja", "Mikkel", "Sofie", "Nils", "Ida"),
        ("Andersson", "Johansson", "Karlsson", "Nilsson", "Lindqvist", "Berg", "Jensen", "Nielsen", "Hansen",
         "Larsen", "Lund", "Dahl"),
    ),
    "pl": (
        ("Katarzyna", "Piotr", "Agnieszka", "Tomasz", "Magdalena", "Paweł", "Joanna", "Marcin", "Anna", "Michał"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński", "Szymański",
         "Dąbrowski", "Kozłowski"),
    ),
}  # fmt: skip
COUNTRY_LANGUAGES = {
    "DE": ("de",), "AT": ("de",), "CH": ("de", "fr", "it"), "FR": ("fr",), "GB": ("en",), "US": ("en",),
    "NL": ("nl",), "BE": ("nl", "fr"), "ES": ("es",), "IT": ("it",), "SE": ("sv",), "DK": ("sv",), "PL": ("pl",),
}  # fmt: skip

ROLE_TITLES: dict[str, tuple[str, ...]] = {
    BuyingRole.ECONOMIC_BUYER: ("Chief Financial Officer", "Finance Director", "VP Finance", "Head of Controlling"),
    BuyingRole.DECISION_MAKER: (
        "Chief Executive Officer", "Managing Director", "Head of Procurement", "Chief Operating Officer",
    ),
    BuyingRole.TECHNICAL_BUYER: ("Head of IT", "Engineering Manager", "Quality Assurance Lead", "Technical Director"),
    BuyingRole.INFLUENCER: ("Operations Manager", "Head of Supply Chain", "Category Manager", "Head of Marketing"),
    BuyingRole.USER: ("Purchasing Agent", "Team Lead Logistics", "Buyer", "Project Manager"),
    BuyingRole.CHAMPION: ("Strategic Sourcing Manager", "Head of Partnerships", "Innovation Lead"),
    BuyingRole.BLOCKER: ("Legal Counsel", "Compliance Officer", "Internal Auditor"),
    BuyingRole.OTHER: ("Executive Assistant", "Office Manager"),
}  # fmt: skip
# Titles only some industries have, drawn now and then instead of the generic ones.
INDUSTRY_TITLES: dict[str, dict[str, tuple[str, ...]]] = {
    "Technology": {BuyingRole.TECHNICAL_BUYER: ("Chief Technology Officer", "Head of Platform Engineering")},
    "Banking": {BuyingRole.ECONOMIC_BUYER: ("Head of Treasury",), BuyingRole.BLOCKER: ("Chief Risk Officer",)},
    "Pharmaceuticals": {BuyingRole.TECHNICAL_BUYER: ("Head of Regulatory Affairs", "Director of R&D")},
    "Hospitality": {BuyingRole.DECISION_MAKER: ("General Manager",), BuyingRole.USER: ("Executive Chef",)},
    "Manufacturing": {BuyingRole.INFLUENCER: ("Plant Manager",), BuyingRole.USER: ("Production Planner",)},
    "Retail": {BuyingRole.INFLUENCER: ("Head of Buying", "Store Operations Director")},
}
# The roles of the second and later contacts; the first is always who signs (decision maker or economic buyer).
ROLE_WEIGHTS = {
    BuyingRole.ECONOMIC_BUYER: 1, BuyingRole.DECISION_MAKER: 1, BuyingRole.TECHNICAL_BUYER: 3,
    BuyingRole.INFLUENCER: 4, BuyingRole.USER: 4, BuyingRole.CHAMPION: 2, BuyingRole.BLOCKER: 1,
    BuyingRole.OTHER: 1,
}  # fmt: skip
ROLE_INFLUENCE = {
    BuyingRole.ECONOMIC_BUYER: (4, 5), BuyingRole.DECISION_MAKER: (4, 5), BuyingRole.TECHNICAL_BUYER: (3, 4),
    BuyingRole.INFLUENCER: (2, 4), BuyingRole.USER: (1, 3), BuyingRole.CHAMPION: (3, 4),
    BuyingRole.BLOCKER: (2, 4), BuyingRole.OTHER: (1, 2),
}  # fmt: skip

# Per profile: contacts (min, max), mean attitude, payment-terms weights over PAYMENT_TERMS, annual potential range.
PROFILE_TRAITS: dict[Profile, dict] = {
    Profile.STEADY: {"contacts": (3, 6), "attitude": 1, "terms": (1, 5, 3, 2, 0), "potential": (250_000, 8_000_000)},
    Profile.ERRATIC: {"contacts": (2, 5), "attitude": 0, "terms": (1, 5, 2, 1, 0), "potential": (60_000, 3_000_000)},
    Profile.LATE_PAYER: {
        "contacts": (2, 5), "attitude": 0, "terms": (1, 4, 2, 2, 1), "potential": (80_000, 2_500_000),
    },
    Profile.CHURNED: {"contacts": (2, 4), "attitude": -1, "terms": (1, 5, 1, 1, 0), "potential": (40_000, 1_500_000)},
    Profile.NEW: {"contacts": (2, 3), "attitude": 0, "terms": (2, 5, 1, 0, 0), "potential": (50_000, 4_000_000)},
    Profile.SUPPLIER: {"contacts": (2, 4), "attitude": 1, "terms": (0, 3, 2, 3, 2), "potential": (100_000, 5_000_000)},
    Profile.PARTNER: {
        "contacts": (4, 6), "attitude": 1, "terms": (0, 4, 3, 2, 0), "potential": (1_500_000, 12_000_000),
    },
    Profile.PREMIUM: {"contacts": (3, 5), "attitude": 1, "terms": (1, 5, 2, 1, 0), "potential": (300_000, 6_000_000)},
    Profile.DISCOUNT_HUNTER: {
        "contacts": (2, 4), "attitude": 0, "terms": (1, 5, 2, 1, 0), "potential": (80_000, 3_000_000),
    },
    Profile.BAD_DEBT: {"contacts": (2, 3), "attitude": -1, "terms": (0, 4, 2, 1, 1), "potential": (60_000, 900_000)},
    Profile.PROSPECT: {"contacts": (2, 3), "attitude": 0, "terms": (0, 5, 1, 0, 0), "potential": (100_000, 5_000_000)},
}  # fmt: skip


# --- the plan (pure) ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactPlan:
    name: str
    email: str
    phone: str
    job_title: str
    buying_role: str
    influence: int
    attitude: int
    is_active: bool


@dataclass(frozen=True)
class AccountPlan:
    """One account to create. Owners are drawn as numbers so that a plan needs no users (see ``_owner``)."""

    profile: Profile
    name: str
    kind: str
    industry: str
    country: str
    external_number: int | None
    annual_potential: Decimal | None
    payment_terms_days: int
    credit_limit: Decimal | None
    is_active: bool
    owner_draw: float | None  # None: unassigned; else picks one of the available managers
    with_colleague: bool  # another manager on the team
    contacts: tuple[ContactPlan, ...]


# Letters that Unicode decomposition does not reduce to ASCII the way people write them in addresses.
_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "å": "a"})


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION)).encode("ascii", "ignore").decode()


def _slug(text: str, separator: str) -> str:
    return re.sub(r"[^a-z0-9]+", separator, _ascii(text).lower()).strip(separator)


def _money(value: float, step: int) -> Decimal:
    return Decimal(max(step, round(value / step) * step))


def _log_uniform(rng: random.Random, low: int, high: int) -> float:
    """Company sizes are spread over orders of magnitude: draw uniformly on a log scale."""
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _company_name(rng: random.Random, industry: str, country: str, taken: set[str]) -> tuple[str, str]:
    """A unique ``(name, email_domain)``, e.g. ``("Helix Data GmbH", "helix-data.example")``."""
    prefixes, suffixes = COMPANY_WORDS[industry]
    legal_form = rng.choice(LEGAL_FORMS[country])
    for attempt in range(40):
        base = f"{rng.choice(prefixes)} {rng.choice(suffixes)}"
        if attempt >= 10:
            base = f"{base} {rng.choice(NAME_QUALIFIERS)}"
        if base not in taken:
            break
    else:  # only for portfolios far larger than the word lists
        base = f"{base} {len(taken) + 1}"
    taken.add(base)
    return f"{base} {legal_form}", f"{_slug(base, '-')}.example"


def _phone(rng: random.Random, country: str) -> str:
    # 555 subscriber numbers are the conventional fictional range.
    return f"{PHONE_PREFIXES[country]} {rng.randint(20, 89)} 555 {rng.randint(1000, 9999)}"


def _contacts(
    rng: random.Random, *, profile: Profile, industry: str, country: str, domain: str
) -> tuple[ContactPlan, ...]:
    low, high = PROFILE_TRAITS[profile]["contacts"]
    mood = PROFILE_TRAITS[profile]["attitude"]
    roles = [rng.choice((BuyingRole.DECISION_MAKER, BuyingRole.ECONOMIC_BUYER))]
    roles += rng.choices(list(ROLE_WEIGHTS), weights=list(ROLE_WEIGHTS.values()), k=rng.randint(low, high) - 1)
    contacts, emails = [], set()
    for role in roles:
        first_names, last_names = PERSON_NAMES[rng.choice(COUNTRY_LANGUAGES[country])]
        first, last = rng.choice(first_names), rng.choice(last_names)
        local = f"{_slug(first, '')}.{_slug(last, '')}"
        email, n = f"{local}@{domain}", 1
        while email in emails:  # two people of the same name at one company
            n += 1
            email = f"{local}{n}@{domain}"
        emails.add(email)
        titles = ROLE_TITLES[role] + INDUSTRY_TITLES[industry].get(role, ())
        attitude = mood + rng.choice((-1, 0, 0, 1))
        if role == BuyingRole.CHAMPION:
            attitude = max(attitude, 1)
        elif role == BuyingRole.BLOCKER:
            attitude = min(attitude, -1)
        contacts.append(
            ContactPlan(
                name=f"{first} {last}",
                email=email,
                phone=_phone(rng, country),
                job_title=rng.choice(titles),
                buying_role=str(role),
                influence=rng.randint(*ROLE_INFLUENCE[role]),
                attitude=max(-2, min(2, attitude)),
                is_active=rng.random() > 0.05,  # a few have left the company
            )
        )
    return tuple(contacts)


def _account(rng: random.Random, *, profile: Profile, taken: set[str], number: int) -> AccountPlan:
    traits = PROFILE_TRAITS[profile]
    industry = rng.choice(INDUSTRIES)
    country = rng.choices(list(COUNTRY_WEIGHTS), weights=list(COUNTRY_WEIGHTS.values()), k=1)[0]
    name, domain = _company_name(rng, industry, country, taken)
    supplier = profile is Profile.SUPPLIER

    potential = None
    if rng.random() < {Profile.NEW: 0.7, Profile.SUPPLIER: 0.6, Profile.PARTNER: 1}.get(profile, 0.92):
        potential = _money(_log_uniform(rng, *traits["potential"]), 1000)
    credit_limit = None
    if not supplier and rng.random() < 0.8:
        # Late payers get a tighter limit relative to their size.
        tight = profile in (Profile.LATE_PAYER, Profile.BAD_DEBT)
        share = rng.uniform(0.03, 0.08) if tight else rng.uniform(0.08, 0.25)
        credit_limit = _money(float(potential or 100_000) * share, 5000)

    draw = rng.random()
    return AccountPlan(
        profile=profile,
        name=name,
        kind=AccountKind.SUPPLIER if supplier else AccountKind.CUSTOMER,
        industry=industry,
        country=country,
        # New accounts are often not in the ERP yet, prospects hardly ever.
        external_number=number if rng.random() < {Profile.NEW: 0.6, Profile.PROSPECT: 0.1}.get(profile, 1) else None,
        annual_potential=potential,
        payment_terms_days=rng.choices(PAYMENT_TERMS, weights=traits["terms"], k=1)[0],
        credit_limit=credit_limit,
        is_active=not (profile is Profile.CHURNED and rng.random() < 0.4),
        owner_draw=None if draw < 0.07 else (draw - 0.07) / 0.93,
        with_colleague=rng.random() < 0.12,
        contacts=_contacts(rng, profile=profile, industry=industry, country=country, domain=domain),
    )


def portfolio_plan(
    *, accounts: int = DEFAULT_ACCOUNTS, seed: int = DEFAULT_SEED, first_external_number: int = FIRST_EXTERNAL_NUMBER
) -> list[AccountPlan]:
    """Draw ``accounts`` accounts with their contacts. Pure: the same arguments give the same plan."""
    # Demo data, not secrets: a seeded, reproducible generator is the point.
    rng = random.Random(seed)  # noqa: S311
    taken: set[str] = set()
    return [
        _account(rng, profile=profile, taken=taken, number=first_external_number + i)
        for i, profile in enumerate(_profiles(rng, accounts))
    ]


def _profiles(rng: random.Random, accounts: int) -> list[Profile]:
    """Deal the profiles out by their shares (largest remainder), in random order: every profile with a
    share of at least one account is present, however the dice fall."""
    total = sum(PROFILE_WEIGHTS.values())
    quotas = {profile: accounts * weight / total for profile, weight in PROFILE_WEIGHTS.items()}
    counts = {profile: int(quota) for profile, quota in quotas.items()}
    by_remainder = sorted(quotas, key=lambda profile: quotas[profile] - counts[profile], reverse=True)
    for profile in by_remainder[: accounts - sum(counts.values())]:
        counts[profile] += 1
    dealt = [profile for profile, n in counts.items() for _ in range(n)]
    rng.shuffle(dealt)
    return dealt


# --- orders, invoices and relationships (pure) ----------------------------------------------------------

HISTORY_DAYS = 3 * 365  # orders and invoices reach back three years from today
RECENT_DAYS = 20  # orders younger than this are confirmed, older ones fulfilled


@dataclass(frozen=True)
class Buying:
    """How a profile orders and pays. Amounts are shares of the account's monthly revenue ``base``."""

    monthly: float  # chance of ordering in a month
    per_month: tuple[int, int]  # orders in a month that has any
    spread: float  # log-normal sigma of an order's amount
    growth: tuple[float, float]  # yearly revenue growth range
    discount: tuple[float, float]  # discount_pct range
    service: tuple[int, int, int]  # weights of standard, enhanced, premium
    lateness: tuple[tuple[int, int, int], ...]  # (weight, from, to) days paid after the due date
    cancelled: float = 0.02  # share of orders cancelled
    disputed: float = 0.0  # share of older invoices left open (overdue)


ON_TIME = ((55, -15, 0), (35, 1, 15), (10, 15, 45))  # most pay on time, many a few days late
BUYING: dict[Profile, Buying] = {
    Profile.STEADY: Buying(0.82, (1, 2), 0.45, (-0.05, 0.12), (0, 8), (75, 20, 5), ON_TIME),
    Profile.PARTNER: Buying(1.0, (1, 3), 0.15, (0.08, 0.25), (0, 5), (15, 35, 50), ((90, -15, 2), (10, 3, 10))),
    Profile.PREMIUM: Buying(0.8, (1, 2), 0.35, (0.0, 0.15), (0, 3), (5, 35, 60), ON_TIME),
    Profile.DISCOUNT_HUNTER: Buying(
        0.45, (1, 3), 0.45, (-0.1, 0.1), (15, 35), (97, 3, 0), ((60, -5, 5), (40, 5, 20)), cancelled=0.05
    ),
    Profile.ERRATIC: Buying(0.2, (1, 4), 0.6, (-0.1, 0.1), (0, 12), (85, 12, 3), ((70, -5, 10), (30, 10, 45)), 0.05),
    Profile.LATE_PAYER: Buying(
        0.75, (1, 2), 0.3, (-0.05, 0.1), (0, 8), (85, 12, 3), ((80, 30, 90), (20, 5, 30)), disputed=0.03
    ),
    Profile.CHURNED: Buying(0.8, (1, 2), 0.3, (-0.15, 0.0), (2, 10), (85, 15, 0), ON_TIME),
    Profile.NEW: Buying(0.85, (1, 2), 0.25, (0.0, 0.0), (5, 15), (65, 25, 10), ON_TIME),
    Profile.SUPPLIER: Buying(0.8, (1, 3), 0.45, (-0.05, 0.1), (0, 8), (80, 17, 3), ON_TIME),
    Profile.BAD_DEBT: Buying(
        0.7, (1, 2), 0.3, (-0.1, 0.05), (0, 10), (90, 10, 0), ((70, 20, 80), (30, 0, 20)), disputed=0.05
    ),
}
PROMOTION_MONTHS = (3, 6, 9, 11)  # quarter ends and the November sale: when discount hunters buy
SERVICE_LEVELS = (ServiceLevel.STANDARD, ServiceLevel.ENHANCED, ServiceLevel.PREMIUM)


@dataclass(frozen=True)
class OrderPlan:
    order_date: datetime.date
    net_amount: Decimal
    discount_pct: Decimal
    service_level: str
    status: str


@dataclass(frozen=True)
class InvoicePlan:
    issue_date: datetime.date
    due_date: datetime.date
    amount: Decimal
    paid_date: datetime.date | None
    status: str


@dataclass(frozen=True)
class ActivityPlan:
    """One account's evidence: what the scoring and the ladder read."""

    orders: tuple[OrderPlan, ...]
    invoices: tuple[InvoicePlan, ...]  # one per order, in the same order; none for most cancelled orders
    relationships: RelationshipPlan


def _month_start(day: datetime.date, months_back: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def _monthly_chance(profile: Profile, buying: Buying, *, months_ago: int, month: int, state: dict[str, Any]) -> float:
    """The chance that the account orders in a month ``months_ago`` before the current one."""
    if profile is Profile.CHURNED:
        stop = state["stop"]
        if months_ago < stop:
            return 0.0
        return buying.monthly * (0.5 if months_ago < stop + 4 else 1)  # it fades before it stops
    if profile is Profile.NEW:
        return buying.monthly if months_ago <= state["start"] else 0.0
    if profile is Profile.DISCOUNT_HUNTER:
        return 0.9 if month in PROMOTION_MONTHS else buying.monthly
    if profile is Profile.ERRATIC:
        if state["burst"] > 0:
            state["burst"] -= 1
            return 1.0
        if state["rng"].random() < 0.15:
            state["burst"] = state["rng"].randint(0, 2)
            return 1.0
        return buying.monthly * 0.4
    if profile is Profile.PARTNER:
        return 0.0 if state["rng"].random() < 0.03 else 1.0
    return buying.monthly


def _orders(rng: random.Random, plan: AccountPlan, *, today: datetime.date) -> tuple[OrderPlan, ...]:
    buying = BUYING.get(plan.profile)
    if buying is None:
        return ()
    # The account buys a share of its potential; one without a stated potential is a mid-sized one.
    yearly = float(plan.annual_potential or Decimal(_money(_log_uniform(rng, 80_000, 1_500_000), 1000)))
    base = yearly * rng.uniform(0.25, 0.6) / 12
    growth = rng.uniform(*buying.growth)
    state: dict[str, Any] = {"rng": rng, "burst": 0, "stop": rng.randint(13, 20), "start": rng.randint(2, 11)}
    first_day = today - (HISTORY_DAYS - 1) * DAY
    orders = []
    for months_ago in range(36, -1, -1):
        start = _month_start(today, months_ago)
        if rng.random() >= _monthly_chance(plan.profile, buying, months_ago=months_ago, month=start.month, state=state):
            continue
        level = base * (1 + growth) ** (-months_ago / 12)
        if plan.profile is Profile.NEW:  # ramps up from a trial order
            level = base * 0.3 * (1 + 0.25 * (state["start"] - months_ago))
        count = rng.randint(*buying.per_month)
        last = min(today, _month_start(today, months_ago - 1) - DAY)
        for _ in range(count):
            day = start + rng.randint(0, (last - start).days) * DAY
            if day < first_day:
                continue
            amount = level / count * rng.lognormvariate(0, buying.spread)
            if rng.random() < buying.cancelled:
                status = OrderStatus.CANCELLED
            else:
                status = OrderStatus.CONFIRMED if (today - day).days < RECENT_DAYS else OrderStatus.FULFILLED
            orders.append(
                OrderPlan(
                    order_date=day,
                    net_amount=Decimal(max(50.0, amount)).quantize(CENT),
                    discount_pct=(Decimal(rng.uniform(*buying.discount)) * 2).quantize(Decimal("1")) / 2,
                    service_level=rng.choices(SERVICE_LEVELS, weights=buying.service, k=1)[0],
                    status=status,
                )
            )
    return tuple(sorted(orders, key=lambda order: order.order_date))


def _invoices(
    rng: random.Random, plan: AccountPlan, orders: Sequence[OrderPlan], *, today: datetime.date
) -> tuple[InvoicePlan, ...]:
    buying = BUYING.get(plan.profile)
    if buying is None:
        return ()
    terms = plan.payment_terms_days * DAY
    invoices = []
    for order in orders:
        cancelled = order.status == OrderStatus.CANCELLED
        if cancelled and rng.random() < 0.5:  # most cancelled orders were never invoiced
            continue
        issue = min(today, order.order_date + rng.randint(0, 3) * DAY)
        due = issue + terms
        weights = [weight for weight, _low, _high in buying.lateness]
        _weight, low, high = rng.choices(buying.lateness, weights=weights, k=1)[0]
        pays_on = max(issue, due + rng.randint(low, high) * DAY)
        status: str = InvoiceStatus.PAID
        paid: datetime.date | None = pays_on
        if cancelled:
            status, paid = InvoiceStatus.CANCELLED, None
        elif pays_on > today or ((today - due).days > 60 and rng.random() < buying.disputed):
            status, paid = InvoiceStatus.OPEN, None
        invoices.append(
            InvoicePlan(issue_date=issue, due_date=due, amount=order.net_amount, paid_date=paid, status=status)
        )
    if plan.profile is Profile.BAD_DEBT:
        invoices = _write_off(rng, invoices, today=today)
    return tuple(invoices)


def _write_off(rng: random.Random, invoices: list[InvoicePlan], *, today: datetime.date) -> list[InvoicePlan]:
    """The largest invoice issued 8–26 months ago was never paid and has been written off."""
    window = [
        i
        for i, invoice in enumerate(invoices)
        if 240 <= (today - invoice.issue_date).days <= 790 and invoice.status != InvoiceStatus.CANCELLED
    ]
    if window:
        i = max(window, key=lambda i: (invoices[i].amount, i))
        invoices[i] = replace(invoices[i], status=InvoiceStatus.WRITTEN_OFF, paid_date=None)
    return invoices


def _leaning(rng: random.Random, plan: AccountPlan, orders: Sequence[OrderPlan], *, today: datetime.date) -> Leaning:
    """How the account's relationship records lean, from its profile."""
    profile = plan.profile
    sentiments = {
        Profile.PARTNER: (1, 0, 0), Profile.PREMIUM: (60, 35, 5), Profile.STEADY: (50, 42, 8),
        Profile.SUPPLIER: (30, 60, 10), Profile.NEW: (35, 55, 10), Profile.ERRATIC: (15, 55, 30),
        Profile.DISCOUNT_HUNTER: (10, 60, 30), Profile.LATE_PAYER: (10, 50, 40), Profile.CHURNED: (0, 30, 70),
        Profile.BAD_DEBT: (0, 20, 80),
    }.get(profile)  # fmt: skip
    sentiment = None if sentiments is None else rng.choices(list(Sentiment), weights=sentiments, k=1)[0]
    advocacy = {Sentiment.PROMOTER: 0.9, Sentiment.PASSIVE: 0.06}.get(sentiment, 0.0) if sentiment else 0.0
    if profile is Profile.PARTNER:
        advocacy = 2.4
    elif sentiment is Sentiment.PROMOTER and profile not in (Profile.PREMIUM, Profile.STEADY):
        advocacy = 0.3
    churned_on = orders[-1].order_date if profile is Profile.CHURNED and orders else None
    partnership = "active" if profile is Profile.PARTNER else None
    if partnership is None and profile in (Profile.STEADY, Profile.PREMIUM, Profile.CHURNED) and rng.random() < 0.08:
        partnership = "ended"
    strong = profile in (Profile.PARTNER, Profile.PREMIUM)
    return Leaning(
        sentiment=sentiment,
        response_rate=0.6 if sentiment is Sentiment.PROMOTER else 0.4,
        advocacy=advocacy,
        framework=0.0 if profile is Profile.PROSPECT else (0.9 if strong else 0.55),
        sla=1.0 if strong else (0.25 if profile in (Profile.STEADY, Profile.SUPPLIER, Profile.NEW) else 0.05),
        partnership=partnership,
        contracts_end=churned_on + rng.randint(30, 120) * DAY if churned_on else None,
        interactions={Profile.CHURNED: (0, 1), Profile.PARTNER: (4, 8), Profile.PROSPECT: (2, 5)}.get(profile, (1, 5)),
        service_level=ServiceLevel.PREMIUM if strong else ServiceLevel.ENHANCED,
    )


def portfolio_activity(
    plans: Sequence[AccountPlan], *, seed: int = DEFAULT_SEED, today: datetime.date
) -> list[ActivityPlan]:
    """Draw every account's orders, invoices and relationship records up to ``today``. Pure: the same plans,
    seed and day give the same activity. Each account has its own random stream, so one account's history
    does not shift another's."""
    activity = []
    for index, plan in enumerate(plans):
        rng = random.Random(f"{seed}:{index}")  # noqa: S311
        orders = _orders(rng, plan, today=today)
        invoices = _invoices(rng, plan, orders, today=today)
        relationships = relationship_plan(
            rng,
            _leaning(rng, plan, orders, today=today),
            contacts=[contact.is_active for contact in plan.contacts],
            colleague=plan.with_colleague,
            today=today,
            own=index,
            accounts=len(plans),
        )
        activity.append(ActivityPlan(orders=orders, invoices=invoices, relationships=relationships))
    return activity


# --- writing a plan (set-based) -----------------------------------------------------------------------------


@dataclass
class PortfolioSummary:
    """What ``portfolio_seed`` created, counted from the plan it wrote (no extra queries)."""

    accounts: int = 0
    contacts: int = 0
    team_rows: int = 0
    unassigned: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    industries: Counter[str] = field(default_factory=Counter)
    profiles: Counter[str] = field(default_factory=Counter)
    owners: Counter[str] = field(default_factory=Counter)
    orders: Counter[str] = field(default_factory=Counter)  # by status
    invoices: Counter[str] = field(default_factory=Counter)  # by status
    relationships: RelationshipCounts = field(default_factory=RelationshipCounts)
    today: datetime.date | None = None

    def lines(self) -> list[str]:
        def listing(counter: Counter[str]) -> str:
            return ", ".join(f"{name} {n}" for name, n in sorted(counter.items(), key=lambda item: (-item[1], item[0])))

        owners = listing(self.owners) or "none"
        related = self.relationships
        return [
            f"{self.accounts} accounts ({listing(self.kinds)}), {self.contacts} contacts, "
            f"{self.team_rows} team memberships.",
            f"  industries: {listing(self.industries)}",
            f"  profiles:   {listing(self.profiles)}",
            f"  owners:     {owners}; unassigned {self.unassigned}",
            f"  orders:     {self.orders.total()} ({listing(self.orders) or 'none'}), up to {self.today}",
            f"  invoices:   {self.invoices.total()} ({listing(self.invoices) or 'none'})",
            f"  relationships: {related.feedback} NPS answers, {related.advocacy} advocacy events "
            f"({related.verified} verified), {related.contracts} contracts, {related.interactions} interactions, "
            f"{related.account_plans} account plans",
        ]


def portfolio_owner_candidates() -> list[AbstractBaseUser]:
    """Active account managers, by username: who owns demo accounts when no managers are named."""
    User = get_user_model()
    return list(User._default_manager.filter(groups__name=ACCOUNT_MANAGER, is_active=True).order_by("username"))


def portfolio_director_candidates() -> list[AbstractBaseUser]:
    """Active KAM directors, by username: the first one verifies the demo advocacy events."""
    User = get_user_model()
    return list(User._default_manager.filter(groups__name=KAM_DIRECTOR, is_active=True).order_by("username"))


def _next_external_number() -> int:
    """The first free ``ERP-<n>`` number, so that a second portfolio (``force``) does not collide."""
    numbers = Account.objects.filter(external_id__regex=rf"^{EXTERNAL_ID_PREFIX}[0-9]{{1,9}}$").values_list(
        "external_id", flat=True
    )
    return max((int(value.removeprefix(EXTERNAL_ID_PREFIX)) + 1 for value in numbers), default=FIRST_EXTERNAL_NUMBER)


def _owner(plan: AccountPlan, managers: Sequence[AbstractBaseUser]) -> tuple[int | None, int | None]:
    """Indexes into ``managers`` of the owner and of the colleague on the team (None: nobody)."""
    if plan.owner_draw is None or not managers:
        return None, None
    owner = min(int(plan.owner_draw * len(managers)), len(managers) - 1)
    colleague = (owner + 1) % len(managers) if plan.with_colleague and len(managers) > 1 else None
    return owner, colleague


def _people(
    owner: int | None, colleague: int | None, managers: Sequence[AbstractBaseUser], director: AbstractBaseUser | None
) -> People:
    """Who logs an account's records (its owner) and who verifies its advocacy: a director, else the
    colleague on the team, else another manager — never the owner (four eyes)."""
    owner_user = managers[owner] if owner is not None else None
    colleague_user = managers[colleague] if colleague is not None else None
    verifier = director
    if verifier is None or verifier == owner_user:
        verifier = colleague_user
    if verifier is None and owner is not None and len(managers) > 1:
        verifier = managers[(owner + 1) % len(managers)]
    return People(owner=owner_user, colleague=colleague_user, verifier=verifier)


def _evidence_rows(
    accounts: Sequence[Account], plans: Sequence[AccountPlan], activity: Sequence[ActivityPlan]
) -> tuple[list[Order], list[Invoice]]:
    """Orders and invoices of saved ``accounts``. Accounts in the ERP get ERP numbers (``SO-``/``INV-`` with the
    account's number, so a forced second portfolio does not collide); the others are numbered by account id."""
    orders, invoices = [], []
    for account, plan, evidence in zip(accounts, plans, activity, strict=True):
        erp = plan.external_number
        for n, order in enumerate(evidence.orders, start=1):
            orders.append(Order(account=account, external_id=f"SO-{erp}-{n:04d}" if erp else None, **asdict(order)))
        for n, invoice in enumerate(evidence.invoices, start=1):
            number = f"INV-{erp}-{n:04d}" if erp else f"KAM-{account.pk}-{n:04d}"
            invoices.append(
                Invoice(account=account, external_id=number if erp else None, number=number, **asdict(invoice))
            )
    return orders, invoices


@transaction.atomic
def portfolio_seed(
    *,
    accounts: int = DEFAULT_ACCOUNTS,
    seed: int = DEFAULT_SEED,
    managers: Sequence[AbstractBaseUser] | None = None,
    directors: Sequence[AbstractBaseUser] | None = None,
    force: bool = False,
    today: datetime.date | None = None,
) -> PortfolioSummary:
    """Create a demo portfolio of ``accounts`` accounts with contacts, three years of orders and invoices up
    to ``today``, NPS answers, advocacy, contracts and interactions.

    ``managers`` (owners, loggers) default to every active account manager, ``directors`` (the first verifies
    advocacy) to every active director; with none, accounts are left unassigned and advocacy is verified by
    another manager or not at all. Refuses (``PortfolioExistsError``) when accounts exist, because demo data
    mixed into a real portfolio is hard to take out again; ``force`` adds it anyway, numbering its external
    ids after the highest existing ``ERP-<n>``. Set-based: one insert per table (in batches of a few
    thousand rows) however many accounts.
    """
    if accounts < 0:
        raise ValueError("The number of accounts cannot be negative.")
    today = today or timezone.localdate()
    first_number = FIRST_EXTERNAL_NUMBER
    if Account.objects.exists():
        if not force:
            raise PortfolioExistsError(
                f"{Account.objects.count()} accounts exist already; demo data would mix with them."
            )
        first_number = _next_external_number()
    owners = list(portfolio_owner_candidates() if managers is None else managers)
    director_users = list(portfolio_director_candidates() if directors is None else directors)
    director = director_users[0] if director_users else None
    plans = portfolio_plan(accounts=accounts, seed=seed, first_external_number=first_number)
    activity = portfolio_activity(plans, seed=seed, today=today)

    rows, assignments = [], []
    for plan in plans:
        owner, colleague = _owner(plan, owners)
        assignments.append((owner, colleague))
        rows.append(
            Account(
                name=plan.name,
                kind=plan.kind,
                industry=plan.industry,
                country=plan.country,
                owner=owners[owner] if owner is not None else None,
                external_id=f"{EXTERNAL_ID_PREFIX}{plan.external_number}" if plan.external_number else None,
                annual_potential=plan.annual_potential,
                payment_terms_days=plan.payment_terms_days,
                credit_limit=plan.credit_limit,
                is_active=plan.is_active,
            )
        )
    contacts = [
        [Contact(account=account, **asdict(contact)) for contact in plan.contacts]
        for account, plan in zip(rows, plans, strict=True)
    ]
    flat_contacts = [contact for own in contacts for contact in own]
    # Field validation in memory (choices, ranges, email syntax) so a bad word list fails here, loudly; the
    # foreign keys are skipped because validating them costs a query per row. Orders and invoices are checked
    # by the database's constraints alone: validating tens of thousands of rows in Python costs seconds.
    for instance in [*rows, *flat_contacts]:
        instance.clean_fields(exclude=["owner", "account"])

    Account.objects.bulk_create(rows)
    Contact.objects.bulk_create(flat_contacts, batch_size=BATCH_SIZE)
    Membership = Account.team.through
    memberships = [
        Membership(account_id=account.pk, user_id=owners[colleague].pk)
        for account, (_owner_index, colleague) in zip(rows, assignments, strict=True)
        if colleague is not None
    ]
    Membership.objects.bulk_create(memberships)
    orders, invoices = _evidence_rows(rows, plans, activity)
    Order.objects.bulk_create(orders, batch_size=BATCH_SIZE)
    Invoice.objects.bulk_create(invoices, batch_size=BATCH_SIZE)
    related = relationships_seed(
        accounts=rows,
        contacts=contacts,
        plans=[evidence.relationships for evidence in activity],
        people=[_people(owner, colleague, owners, director) for owner, colleague in assignments],
    )

    summary = PortfolioSummary(
        accounts=len(rows),
        contacts=len(flat_contacts),
        team_rows=len(memberships),
        relationships=related,
        today=today,
    )
    summary.orders.update(order.status for order in orders)
    summary.invoices.update(invoice.status for invoice in invoices)
    for plan, account in zip(plans, rows, strict=True):
        summary.kinds[plan.kind] += 1
        summary.industries[plan.industry] += 1
        summary.profiles[plan.profile.value] += 1
        if account.owner is None:
            summary.unassigned += 1
        else:
            summary.owners[account.owner.get_username()] += 1
    return summary
