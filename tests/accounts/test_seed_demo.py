"""The demo portfolio generator (accounts.demo_data) and its command, seed_demo."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from accounts.choices import AccountKind, InvoiceStatus, OrderStatus, ServiceLevel
from accounts.demo_data import (
    HISTORY_DAYS,
    INDUSTRIES,
    PAYMENT_TERMS,
    Profile,
    portfolio_activity,
    portfolio_plan,
    portfolio_seed,
)
from accounts.models import Account, Contact, Invoice, Order
from relationships.choices import ContractKind, InteractionStatus
from relationships.models import AdvocacyEvent, Contract, Feedback, Interaction
from tests.factories import AccountFactory, director_factory, manager_factory

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def managers():
    return [manager_factory(username="alice"), manager_factory(username="bob")]


def test_seed_demo_creates_a_portfolio_of_both_kinds_across_the_six_industries(managers):
    # given two account managers and no accounts
    # when the demo portfolio is seeded
    output = seed()
    # then there are 220 accounts, customers and ~15 % suppliers, in all six industries, each with 2–6 contacts
    assert Account.objects.count() == 220
    kinds = {kind: Account.objects.filter(kind=kind).count() for kind in AccountKind.values}
    assert kinds["customer"] > kinds["supplier"] >= 15
    assert set(Account.objects.values_list("industry", flat=True)) == set(INDUSTRIES)
    per_account = [account.contacts.count() for account in Account.objects.prefetch_related("contacts")]
    assert min(per_account) >= 2 and max(per_account) <= 6
    assert set(Account.objects.values_list("payment_terms_days", flat=True)) <= set(PAYMENT_TERMS)
    assert Account.objects.filter(external_id__startswith="ERP-1").count() > 180
    # and the owners are the managers, a few unassigned, some with a colleague on the team
    assert set(Account.objects.values_list("owner__username", flat=True)) == {"alice", "bob", None}
    assert Account.objects.filter(team__isnull=False).exclude(team=F("owner")).exists()
    assert "220 accounts" in output and "contacts" in output


def test_seed_demo_writes_valid_rows(managers):
    # given a seeded portfolio
    seed("--accounts", "30")
    # when every row is validated like a form would / then none is refused
    for account in Account.objects.all():
        account.full_clean()
    for contact in Contact.objects.select_related("account"):
        contact.full_clean()


def test_the_same_seed_gives_the_same_portfolio(managers):
    # given a portfolio seeded with seed 7
    seed("--seed", "7")
    stored = list(Account.objects.order_by("external_id", "name").values_list("name", "external_id"))
    # when the plan for seed 7 is drawn again, and for seed 8
    again = portfolio_plan(seed=7)
    other = portfolio_plan(seed=8)
    # then seed 7 gives the very same names and contacts; seed 8 another portfolio
    assert again == portfolio_plan(seed=7)
    assert sorted((plan.name, f"ERP-{plan.external_number}") for plan in again if plan.external_number) == sorted(
        row for row in stored if row[1]
    )
    assert sorted(Contact.objects.values_list("email", flat=True)) == sorted(
        contact.email for plan in again for contact in plan.contacts
    )
    assert [plan.name for plan in other] != [plan.name for plan in again]


@pytest.mark.parametrize("accounts", [30, 220])
def test_seed_demo_is_set_based(managers, django_assert_max_num_queries, accounts):
    # given two managers / when 30 or 220 accounts (with ~9,000 orders and invoices) are seeded
    # then the same bounded handful of queries does it: a few reads, one insert per table (a 5,000-row batch
    # each), never a query per account or row
    with django_assert_max_num_queries(22):
        seed("--accounts", str(accounts))
    assert Account.objects.count() == accounts


def test_seed_demo_without_managers_leaves_the_accounts_unassigned():
    # given no account managers at all / when seeded / then every account is unassigned, none lost
    seed("--accounts", "30")
    assert Account.objects.count() == 30
    assert not Account.objects.filter(owner__isnull=False).exists()


def test_seed_demo_refuses_when_accounts_exist(managers):
    # given a real account
    AccountFactory(name="Real Customer AG")
    # when seeding without --force / then it refuses and explains, adding nothing
    with pytest.raises(CommandError, match="--force"):
        seed()
    assert Account.objects.count() == 1


def test_seed_demo_force_adds_with_fresh_external_ids(managers):
    # given a seeded portfolio
    seed("--accounts", "20")
    # when a second one is forced in
    seed("--accounts", "20", "--seed", "99", "--force")
    # then both are there, and no external id collides
    ids = [value for value in Account.objects.values_list("external_id", flat=True) if value]
    assert Account.objects.count() == 40
    assert len(ids) == len(set(ids))


# --- orders, invoices and relationship records ---------------------------------------------------------------


@pytest.fixture
def demo_people():
    """The demo logins: two managers and the director who verifies advocacy."""
    return {
        "alice": manager_factory(username="alice"),
        "bob": manager_factory(username="bob"),
        "diana": director_factory(username="diana"),
    }


@pytest.fixture
def portfolio(demo_people):
    """The default demo portfolio, seeded once per test."""
    seed()
    return demo_people


def test_every_profile_is_dealt_out_in_a_portfolio_of_220():
    # given / when the default plan is drawn
    plans = portfolio_plan()
    # then every behaviour is there, with about ten strategic partners and at least one bad debt
    profiles = {plan.profile for plan in plans}
    assert profiles == set(Profile)
    assert 9 <= sum(plan.profile is Profile.PARTNER for plan in plans) <= 13
    assert sum(plan.profile is Profile.BAD_DEBT for plan in plans) >= 1


def test_orders_and_invoices_cover_three_years_up_to_today(portfolio):
    # given the seeded portfolio / when its evidence is read
    today = timezone.localdate()
    orders = Order.objects.aggregate(first=Min("order_date"), last=Max("order_date"))
    invoices = Invoice.objects.aggregate(first=Min("issue_date"), last=Max("issue_date"))
    # then it spans (nearly) three years, nothing lies in the future, and the volume is a real portfolio's
    assert today - datetime.timedelta(days=HISTORY_DAYS) < orders["first"] <= today - datetime.timedelta(days=1000)
    assert today - datetime.timedelta(days=60) <= orders["last"] <= today
    assert invoices["first"] >= orders["first"] and invoices["last"] <= today
    assert Order.objects.count() > 5000
    # and every order is invoiced except cancelled ones, a few cancelled orders and invoices among them
    assert Order.objects.filter(status=OrderStatus.CANCELLED).count() > 50
    assert Invoice.objects.filter(status=InvoiceStatus.CANCELLED).exists()
    assert Invoice.objects.count() >= Order.objects.exclude(status=OrderStatus.CANCELLED).count()


def test_payment_behaviour_includes_late_payers_open_items_and_a_write_off(portfolio):
    # given the seeded portfolio
    today = timezone.localdate()
    paid = Invoice.objects.filter(status=InvoiceStatus.PAID)
    # then most invoices are paid, some 30+ days late, a handful overdue, and at least one was written off
    # within the three years the scoring looks back
    assert paid.count() > 0.85 * Invoice.objects.count()
    assert paid.filter(paid_date__gt=F("due_date") + datetime.timedelta(days=30)).count() > 100
    assert Invoice.objects.filter(status=InvoiceStatus.OPEN, due_date__lt=today - datetime.timedelta(days=60)).exists()
    written_off = Invoice.objects.filter(status=InvoiceStatus.WRITTEN_OFF)
    assert written_off.filter(due_date__gt=today - datetime.timedelta(days=1095)).exists()
    assert not written_off.filter(paid_date__isnull=False).exists()


def test_profiles_show_in_the_orders(portfolio):
    # given the seeded portfolio and the plan it came from
    plans = {f"ERP-{plan.external_number}": plan.profile for plan in portfolio_plan() if plan.external_number}
    year_ago = timezone.localdate() - datetime.timedelta(days=365)
    accounts = Account.objects.filter(external_id__in=plans).annotate(
        recent=Count("orders", filter=Q(orders__order_date__gt=year_ago)),
        premium=Count("orders", filter=Q(orders__service_level=ServiceLevel.PREMIUM)),
        discounted=Count("orders", filter=Q(orders__discount_pct__gte=15)),
        total=Count("orders"),
    )
    by_profile: dict[Profile, list[Account]] = {}
    for account in accounts:
        by_profile.setdefault(plans[account.external_id], []).append(account)
    # then churned accounts stopped ordering a year ago, partners order every month, premium buyers buy
    # premium service, discount hunters buy at a discount, and prospects have not ordered at all
    assert all(account.recent == 0 for account in by_profile[Profile.CHURNED])
    assert all(account.recent >= 11 for account in by_profile[Profile.PARTNER])
    assert all(account.premium > account.total / 3 for account in by_profile[Profile.PREMIUM])
    assert all(account.discounted == account.total for account in by_profile[Profile.DISCOUNT_HUNTER])
    assert all(account.total == 0 for account in by_profile.get(Profile.PROSPECT, []))


def test_relationship_records_are_seeded(portfolio):
    # given the seeded portfolio with alice, bob and diana
    today = timezone.localdate()
    # then there are NPS answers from promoters and from detractors within two years
    answers = Feedback.objects.filter(responded_on__gt=today - datetime.timedelta(days=730))
    assert answers.count() == Feedback.objects.count() > 500
    assert answers.filter(score__gte=9).exists() and answers.filter(score__lte=6).exists()
    assert answers.filter(contact__account=F("account")).count() > 0.9 * answers.count()
    # and advocacy logged by the owner, verified by someone else (mostly diana), some still unverified
    verified = AdvocacyEvent.objects.filter(verified=True)
    assert verified.filter(logged_by__username="alice", verified_by__username="diana").exists()
    assert not verified.filter(verified_by=F("logged_by")).exists()
    assert AdvocacyEvent.objects.filter(verified=False).exists()
    # and about ten active partnerships, some ended ones, and framework/SLA agreements for many
    active = Q(starts_on__lte=today) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    partnerships = Contract.objects.filter(kind__in=[ContractKind.PARTNERSHIP, ContractKind.JOINT_DEVELOPMENT])
    assert 9 <= partnerships.filter(active).values("account").distinct().count() <= 13
    assert partnerships.filter(ends_on__lt=today).exists()
    assert Contract.objects.filter(kind__in=[ContractKind.FRAMEWORK, ContractKind.SLA]).count() > 100
    # and interactions by the owner over the last six months, some with next steps, some planned
    interactions = Interaction.objects.filter(status=InteractionStatus.COMPLETED)
    assert interactions.filter(user=F("account__owner")).count() > 0.6 * interactions.count()
    assert interactions.exclude(next_step="").filter(next_step_due__isnull=False).exists()
    assert Interaction.objects.filter(status=InteractionStatus.PLANNED, occurred_at__gt=timezone.now()).exists()
    assert Interaction.contacts.through.objects.filter(contact__account=F("interaction__account")).exists()


def test_seeded_evidence_passes_model_validation(demo_people):
    # given a small portfolio (the database constraints already hold, or the inserts would have failed)
    seed("--accounts", "30")
    # when its rows are validated like a form would / then none is refused
    for model in (Order, Invoice, Feedback, AdvocacyEvent, Contract, Interaction):
        for record in model.objects.all()[:300]:
            record.full_clean()


def test_activity_is_deterministic_for_a_seed_and_a_day():
    # given the same plan, seed and day twice, and another seed
    today = datetime.date(2026, 3, 10)
    plans = portfolio_plan(accounts=40, seed=5)
    # when the activity is drawn / then it is the same; another seed draws another history
    first = portfolio_activity(plans, seed=5, today=today)
    assert first == portfolio_activity(plans, seed=5, today=today)
    assert first != portfolio_activity(plans, seed=6, today=today)


def test_the_stored_evidence_is_the_plan(demo_people):
    # given a portfolio seeded for a fixed day
    today = datetime.date(2026, 3, 10)
    portfolio_seed(accounts=25, seed=11, today=today)
    # when its plan is drawn again / then the database holds exactly those orders and invoices
    activity = portfolio_activity(portfolio_plan(accounts=25, seed=11), seed=11, today=today)
    assert sorted(Order.objects.values_list("order_date", "net_amount")) == sorted(
        (order.order_date, order.net_amount) for evidence in activity for order in evidence.orders
    )
    assert Invoice.objects.count() == sum(len(evidence.invoices) for evidence in activity)
    assert Feedback.objects.count() == sum(len(evidence.relationships.feedback) for evidence in activity)


def test_without_any_users_the_evidence_is_still_written():
    # given no users at all / when seeded / then nobody owns or verifies, but orders and answers exist
    seed("--accounts", "40")
    assert Order.objects.exists() and Feedback.objects.exists()
    assert not AdvocacyEvent.objects.filter(verified=True).exists()
    assert not Interaction.objects.filter(user__isnull=False).exists()
