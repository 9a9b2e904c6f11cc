"""factory_boy factories shared by the whole suite."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.choices import (
    AccountKind,
    BuyingRole,
    InvoiceStatus,
    KeyStatus,
    OrderStatus,
    ScoringRunStatus,
    ServiceLevel,
)
from accounts.models import Account, AccountScore, Contact, Invoice, Order, ScoringPolicy, ScoringRun
from accounts.scoring.formulas import KAS_V1
from accounts.scoring.inputs import INPUT_FIELDS, MONTHS
from kam.models import Notification
from kam.roles import ACCOUNT_MANAGER, INTEGRATION, KAM_DIRECTOR
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

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            # get_or_create: a transactional test (the browser tests) empties the tables the migration filled.
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
        if create:
            self.save()


def manager_factory(**kwargs):
    return UserFactory(role=ACCOUNT_MANAGER, **kwargs)


def director_factory(**kwargs):
    return UserFactory(role=KAM_DIRECTOR, **kwargs)


def integration_factory(**kwargs):
    return UserFactory(role=INTEGRATION, **kwargs)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Account {n:04d} GmbH")
    kind = AccountKind.CUSTOMER
    industry = "Technology"
    country = "DE"

    @factory.post_generation
    def team(self, create, extracted, **kwargs):
        if create and extracted:
            self.team.set(extracted)

    @factory.post_generation
    def kas(self, create, extracted, **kwargs):
        """``kas=`` scores the account in the current run, the way a scoring run would (KAS is derived);
        ``kas__kas_previous=`` and other ``kas__`` keywords go to the score."""
        if create and extracted is not None:
            score_current(self, kas=extracted, **kwargs)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    job_title = "Head of Purchasing"
    buying_role = BuyingRole.DECISION_MAKER
    influence = 4
    attitude = 1


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    account = factory.SubFactory(AccountFactory)
    external_id = factory.Sequence(lambda n: f"ORD-{n:06d}")
    order_date = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=30))
    net_amount = Decimal("10000.00")
    discount_pct = Decimal("5.00")
    service_level = ServiceLevel.STANDARD
    status = OrderStatus.CONFIRMED


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An open invoice, due 30 days after issue; ``paid=True`` makes it paid on the due date."""

    class Meta:
        model = Invoice

    class Params:
        paid = factory.Trait(
            status=InvoiceStatus.PAID,
            paid_date=factory.LazyAttribute(lambda i: i.due_date),
        )

    account = factory.SubFactory(AccountFactory)
    external_id = factory.Sequence(lambda n: f"INV-{n:06d}")
    number = factory.Sequence(lambda n: f"R-{n:06d}")
    issue_date = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=60))
    due_date = factory.LazyAttribute(lambda i: i.issue_date + datetime.timedelta(days=30))
    amount = Decimal("1190.00")
    paid_date = None
    status = InvoiceStatus.OPEN


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    account = factory.SubFactory(AccountFactory)
    contact = None
    external_id = factory.Sequence(lambda n: f"NPS-{n:06d}")
    score = 9
    responded_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=10))
    comment = ""


class AdvocacyEventFactory(factory.django.DjangoModelFactory):
    """An unverified event; pass ``logged_by`` (and ``verified=True, verified_by=…, verified_at=…``) as needed."""

    class Meta:
        model = AdvocacyEvent

    account = factory.SubFactory(AccountFactory)
    kind = AdvocacyKind.TESTIMONIAL
    occurred_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=20))
    note = ""
    referred_account = None
    logged_by = None


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    account = factory.SubFactory(AccountFactory)
    external_id = factory.Sequence(lambda n: f"CTR-{n:06d}")
    kind = ContractKind.FRAMEWORK
    title = factory.Sequence(lambda n: f"Framework agreement {n}")
    service_level = ServiceLevel.STANDARD
    starts_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=365))
    ends_on = None
    auto_renew = False


class InteractionFactory(factory.django.DjangoModelFactory):
    """A completed meeting; ``contacts=[…]`` sets the participants."""

    class Meta:
        model = Interaction
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    kind = InteractionKind.MEETING
    status = InteractionStatus.COMPLETED
    occurred_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=7))
    user = None
    subject = factory.Sequence(lambda n: f"Quarterly review {n}")
    summary = ""
    next_step = ""
    next_step_due = None

    @factory.post_generation
    def contacts(self, create, extracted, **kwargs):
        if create and extracted:
            self.contacts.set(extracted)


class NotificationFactory(factory.django.DjangoModelFactory):
    """An unread notification to ``recipient``."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "contact_cadence.overdue"
    account = None
    title = factory.Sequence(lambda n: f"Contact overdue: Account {n:04d}")
    body = "No completed interaction for 40 days."
    url = "/accounts/"
    read_at = None


def active_policy() -> ScoringPolicy:
    """The active scoring policy (kas-v1 from the data migration)."""
    return ScoringPolicy.objects.get(is_active=True)


def ensure_active_policy() -> ScoringPolicy:
    """kas-v1 active again after a transactional test emptied the database (data migrations do not come back)."""
    active = ScoringPolicy.objects.filter(is_active=True).first()
    if active is not None:
        return active
    values = {name: getattr(KAS_V1, name) for name in KAS_V1.__dataclass_fields__ if name != "version"}
    policy, _ = ScoringPolicy.objects.update_or_create(version=KAS_V1.version, defaults=values | {"is_active": True})
    return policy


class ScoringRunFactory(factory.django.DjangoModelFactory):
    """A finished run as of today under the active policy."""

    class Meta:
        model = ScoringRun

    policy = factory.LazyFunction(active_policy)
    as_of = factory.LazyFunction(datetime.date.today)
    status = ScoringRunStatus.DONE
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda run: run.started_at)


def current_run() -> ScoringRun:
    """The current run (the latest finished one by as_of, whose scores accounts show); one as of today if none."""
    run = ScoringRun.objects.filter(status=ScoringRunStatus.DONE).order_by("-as_of", "-finished_at", "-id").first()
    return run if run is not None else ScoringRunFactory()


def score_current(account: Account, *, kas: Decimal | str, **fields) -> AccountScore:
    """Give ``account`` this KAS in the current run: what accounts show as their ``kas`` (and ``kas_previous``,
    ``last_scored_at``)."""
    return AccountScoreFactory(run=current_run(), account=account, kas=Decimal(kas), **fields)


def score_inputs(months: list[int], *, r12: int = 0, overdue: int = 0) -> list[Decimal | None]:
    """A score's stored inputs (``AccountScore.inputs``) with these monthly revenues (M1…M12), R12 (revenue in
    W(365)) and overdue amount; every other figure zero (no pin)."""
    named: dict[str, Decimal | None] = dict.fromkeys(INPUT_FIELDS, Decimal(0))
    named.update({month: Decimal(value) for month, value in zip(MONTHS, months, strict=True)})
    named["revenue_w365"] = Decimal(r12)
    named["overdue_unpaid"] = Decimal(overdue)
    named["override_id"] = None
    return [named[name] for name in INPUT_FIELDS]


class AccountScoreFactory(factory.django.DjangoModelFactory):
    """A stored score; the numbers are given, not computed (use the scoring run for computed ones)."""

    class Meta:
        model = AccountScore

    run = factory.SubFactory(ScoringRunFactory)
    account = factory.SubFactory(AccountFactory)
    c1 = Decimal("50.00")
    c2 = Decimal("50.00")
    c3 = Decimal("50.00")
    c4 = Decimal("50.00")
    c5 = Decimal("50.00")
    kas = Decimal("50.00")
    completeness = Decimal("1.000")
    computed_key_status = KeyStatus.STANDARD
    key_status = factory.LazyAttribute(lambda score: score.computed_key_status)
    orders_w365 = 6
    writeoff_w1095 = False


class AccountPlanFactory(factory.django.DjangoModelFactory):
    """An active plan for this calendar year."""

    class Meta:
        model = AccountPlan

    account = factory.SubFactory(AccountFactory)
    title = factory.LazyFunction(lambda: f"Account plan {datetime.date.today().year}")
    period_start = factory.LazyFunction(lambda: datetime.date(datetime.date.today().year, 1, 1))
    period_end = factory.LazyFunction(lambda: datetime.date(datetime.date.today().year, 12, 31))
    summary = "Grow share of wallet in the service business."
    status = PlanStatus.ACTIVE
    created_by = None


class PlanObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanObjective

    plan = factory.SubFactory(AccountPlanFactory)
    title = factory.Sequence(lambda n: f"Objective {n}")
    target = "Revenue 2.5 M EUR"
    target_value = Decimal("2500000.00")
    target_unit = "EUR"
    due = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=90))
    status = ObjectiveStatus.ON_TRACK


class SwotItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SwotItem

    plan = factory.SubFactory(AccountPlanFactory)
    kind = SwotKind.STRENGTH
    text = factory.Sequence(lambda n: f"Trusted supplier for {n} years")


class ActionItemFactory(factory.django.DjangoModelFactory):
    """An open action due in two weeks; pass ``owner`` (someone on the account) as needed."""

    class Meta:
        model = ActionItem

    plan = factory.SubFactory(AccountPlanFactory)
    title = factory.Sequence(lambda n: f"Action {n}")
    owner = None
    due = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=14))
    status = ActionStatus.OPEN
    objective = None
    completed_at = factory.LazyAttribute(lambda action: timezone.now() if action.status == ActionStatus.DONE else None)
