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

import enum
import math
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.choices import AccountKind, BuyingRole
from accounts.models import Account, Contact
from kam.roles import ACCOUNT_MANAGER

DEFAULT_ACCOUNTS = 220
DEFAULT_SEED = 2026
EXTERNAL_ID_PREFIX = "ERP-"
FIRST_EXTERNAL_NUMBER = 100001
PAYMENT_TERMS = (14, 30, 45, 60, 90)
INDUSTRIES = ("Technology", "Banking", "Pharmaceuticals", "Hospitality", "Manufacturing", "Retail")


class PortfolioExistsError(Exception):
    """Seeding was asked for while accounts exist (and ``force`` was not given)."""


class Profile(enum.StrEnum):
    """How an account behaves; later record kinds (orders, invoices, …) are drawn from it."""

    STEADY = "steady"
    ERRATIC = "erratic"
    LATE_PAYER = "late_payer"
    CHURNED = "churned"
    NEW = "new"
    SUPPLIER = "supplier"


# Shares of the portfolio; suppliers are about 15 %.
PROFILE_WEIGHTS = {
    Profile.STEADY: 30, Profile.ERRATIC: 17, Profile.LATE_PAYER: 13, Profile.CHURNED: 10, Profile.NEW: 15,
    Profile.SUPPLIER: 15,
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


def _account(rng: random.Random, *, taken: set[str], number: int) -> AccountPlan:
    profile = rng.choices(list(PROFILE_WEIGHTS), weights=list(PROFILE_WEIGHTS.values()), k=1)[0]
    traits = PROFILE_TRAITS[profile]
    industry = rng.choice(INDUSTRIES)
    country = rng.choices(list(COUNTRY_WEIGHTS), weights=list(COUNTRY_WEIGHTS.values()), k=1)[0]
    name, domain = _company_name(rng, industry, country, taken)
    supplier = profile is Profile.SUPPLIER

    potential = None
    if rng.random() < {Profile.NEW: 0.7, Profile.SUPPLIER: 0.6}.get(profile, 0.92):
        potential = _money(_log_uniform(rng, *traits["potential"]), 1000)
    credit_limit = None
    if not supplier and rng.random() < 0.8:
        # Late payers get a tighter limit relative to their size.
        share = rng.uniform(0.03, 0.08) if profile is Profile.LATE_PAYER else rng.uniform(0.08, 0.25)
        credit_limit = _money(float(potential or 100_000) * share, 5000)

    draw = rng.random()
    return AccountPlan(
        profile=profile,
        name=name,
        kind=AccountKind.SUPPLIER if supplier else AccountKind.CUSTOMER,
        industry=industry,
        country=country,
        # New accounts are often not in the ERP yet.
        external_number=number if profile is not Profile.NEW or rng.random() < 0.6 else None,
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
    return [_account(rng, taken=taken, number=first_external_number + i) for i in range(accounts)]


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

    def lines(self) -> list[str]:
        def listing(counter: Counter[str]) -> str:
            return ", ".join(f"{name} {n}" for name, n in sorted(counter.items(), key=lambda item: (-item[1], item[0])))

        owners = listing(self.owners) or "none"
        return [
            f"{self.accounts} accounts ({listing(self.kinds)}), {self.contacts} contacts, "
            f"{self.team_rows} team memberships.",
            f"  industries: {listing(self.industries)}",
            f"  profiles:   {listing(self.profiles)}",
            f"  owners:     {owners}; unassigned {self.unassigned}",
        ]


def portfolio_owner_candidates() -> list[AbstractBaseUser]:
    """Active account managers, by username: who owns demo accounts when no managers are named."""
    User = get_user_model()
    return list(User._default_manager.filter(groups__name=ACCOUNT_MANAGER, is_active=True).order_by("username"))


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


@transaction.atomic
def portfolio_seed(
    *,
    accounts: int = DEFAULT_ACCOUNTS,
    seed: int = DEFAULT_SEED,
    managers: Sequence[AbstractBaseUser] | None = None,
    force: bool = False,
) -> PortfolioSummary:
    """Create a demo portfolio of ``accounts`` accounts with contacts, owned by ``managers``.

    ``managers`` defaults to every active account manager (see ``portfolio_owner_candidates``); with none,
    accounts are left unassigned. Refuses (``PortfolioExistsError``) when accounts exist, because demo data
    mixed into a real portfolio is hard to take out again; ``force`` adds it anyway, numbering its external ids
    after the highest existing ``ERP-<n>``. Set-based: one insert per table however many accounts.
    """
    if accounts < 0:
        raise ValueError("The number of accounts cannot be negative.")
    first_number = FIRST_EXTERNAL_NUMBER
    if Account.objects.exists():
        if not force:
            raise PortfolioExistsError(
                f"{Account.objects.count()} accounts exist already; demo data would mix with them."
            )
        first_number = _next_external_number()
    owners = list(portfolio_owner_candidates() if managers is None else managers)
    plans = portfolio_plan(accounts=accounts, seed=seed, first_external_number=first_number)

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
        Contact(account=account, **asdict(contact))
        for account, plan in zip(rows, plans, strict=True)
        for contact in plan.contacts
    ]
    # Field validation in memory (choices, ranges, email syntax) so a bad word list fails here, loudly; the
    # foreign keys are skipped because validating them costs a query per row.
    for instance in [*rows, *contacts]:
        instance.clean_fields(exclude=["owner", "account"])

    Account.objects.bulk_create(rows)
    Contact.objects.bulk_create(contacts, batch_size=2000)
    Membership = Account.team.through
    memberships = [
        Membership(account_id=account.pk, user_id=owners[colleague].pk)
        for account, (_owner_index, colleague) in zip(rows, assignments, strict=True)
        if colleague is not None
    ]
    Membership.objects.bulk_create(memberships)

    summary = PortfolioSummary(accounts=len(rows), contacts=len(contacts), team_rows=len(memberships))
    for plan, account in zip(plans, rows, strict=True):
        summary.kinds[plan.kind] += 1
        summary.industries[plan.industry] += 1
        summary.profiles[plan.profile.value] += 1
        if account.owner is None:
            summary.unassigned += 1
        else:
            summary.owners[account.owner.get_username()] += 1
    return summary
