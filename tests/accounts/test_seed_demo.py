"""The demo portfolio generator (accounts.demo_data) and its command, seed_demo."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from accounts.choices import AccountKind
from accounts.demo_data import INDUSTRIES, PAYMENT_TERMS, portfolio_plan
from accounts.models import Account, Contact
from tests.factories import AccountFactory, manager_factory

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


def test_seed_demo_is_set_based(managers, django_assert_max_num_queries):
    # given two managers / when 220 accounts (and ~800 contacts) are seeded
    # then a bounded handful of queries does it: no query per row
    with django_assert_max_num_queries(15):
        seed("--accounts", "220")
    assert Account.objects.count() == 220


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
