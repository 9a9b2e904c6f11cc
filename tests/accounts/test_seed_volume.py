"""The volume portfolio (accounts.volume), its command seed_volume, and the fairness of the benchmark's naive
scoring (bench/naive_scoring.py): it must compute exactly what the set-based run computes."""

from __future__ import annotations

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.choices import AccountKind, InvoiceStatus, OrderStatus, ServiceLevel
from accounts.models import Account, Contact, Invoice, Order
from accounts.volume import Behaviour, apportion, copy_defaults, volume_counts, volume_plan, volume_seed
from relationships.models import AdvocacyEvent, Contract, Feedback
from tests.factories import AccountFactory, AdvocacyEventFactory, OrderFactory, manager_factory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 15)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_volume", *args, stdout=out)
    # Django's foreign keys are deferred to the commit, which a test never reaches: check them now.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return out.getvalue()


def snapshot() -> dict[str, list[tuple]]:
    """The portfolio's content without its ids (which depend on the sequences)."""
    return {
        "accounts": list(
            Account.objects.filter(external_id__startswith="VOL-")
            .order_by("external_id")
            .values_list(
                "external_id", "name", "kind", "industry", "country", "annual_potential", "credit_limit",
                "payment_terms_days", "is_active", "created_at",
            )
        ),
        "contacts": list(
            Contact.objects.order_by("account__external_id", "email").values_list(
                "account__external_id", "name", "email", "buying_role", "influence", "attitude"
            )
        ),
        "orders": list(
            Order.objects.order_by("external_id").values_list(
                "external_id", "account__external_id", "order_date", "net_amount", "discount_pct", "service_level",
                "status",
            )
        ),
        "invoices": list(
            Invoice.objects.order_by("external_id").values_list(
                "external_id", "account__external_id", "issue_date", "due_date", "amount", "paid_date", "status"
            )
        ),
        "feedback": list(
            Feedback.objects.order_by("external_id").values_list(
                "external_id", "account__external_id", "contact__email", "score", "responded_on"
            )
        ),
        "advocacy": list(
            AdvocacyEvent.objects.order_by("account__external_id", "occurred_on", "kind").values_list(
                "account__external_id", "kind", "occurred_on", "verified", "referred_account__external_id"
            )
        ),
    }  # fmt: skip


def test_seed_volume_creates_exactly_the_counts_asked_for():
    # given an empty database
    # when a small volume portfolio is seeded
    output = seed("--accounts", "50", "--orders", "500", "--seed", "7")
    # then it has exactly 50 accounts, 500 orders, 250 invoices (half the orders), 100 answers (2 per account)
    assert Account.objects.filter(external_id__startswith="VOL-A-").count() == 50
    assert Order.objects.filter(external_id__startswith="VOL-O-").count() == 500
    assert Invoice.objects.filter(external_id__startswith="VOL-I-", number__startswith="VOL-I-").count() == 250
    assert Feedback.objects.filter(external_id__startswith="VOL-F-").count() == 100
    assert Contact.objects.filter(account__external_id__startswith="VOL-").count() > 0
    counts = volume_counts()
    assert counts.pop("contracts") == Contract.objects.filter(external_id__startswith="VOL-C-").count() > 0
    assert counts == {"accounts": 50, "orders": 500, "invoices": 250, "feedback": 100}
    # and it reports each table and the total time
    for table in ("accounts", "contacts", "orders", "invoices", "feedback", "advocacy", "contracts", "total"):
        assert table in output


def test_seed_volume_takes_explicit_invoice_and_feedback_counts():
    # when more invoices than orders and no answers are asked for
    seed("--accounts", "20", "--orders", "100", "--invoices", "130", "--feedback", "0")
    # then those are the counts, and every invoice still has a positive amount
    assert Order.objects.count() == 100
    assert Invoice.objects.count() == 130
    assert Feedback.objects.count() == 0
    assert not Invoice.objects.filter(amount__lte=0).exists()


def test_every_sampled_row_passes_full_clean():
    # given a volume portfolio
    seed("--accounts", "60", "--orders", "900", "--seed", "3")
    # then a sample of every table passes the models' own validation (fields, choices, constraints)
    for model in (Account, Contact, Order, Invoice, Feedback, AdvocacyEvent, Contract):
        rows = list(model.objects.order_by("?")[:40])
        assert rows, model
        for row in rows:
            row.full_clean()


def test_the_portfolio_is_realistic_enough_to_spread_the_scores():
    # given a medium portfolio as of a fixed day
    volume_seed(accounts=400, orders=8000, seed=11, today=TODAY)
    accounts = Account.objects.filter(external_id__startswith="VOL-")
    orders = Order.objects.all()
    invoices = Invoice.objects.all()
    # then orders span ~3 years ending on that day, in every status and service level, with some cancelled
    span = orders.aggregate(first=Min("order_date"))["first"]
    assert (TODAY - span).days >= 3 * 365 - 40
    assert orders.order_by("-order_date").first().order_date <= TODAY
    assert set(orders.values_list("status", flat=True)) == set(OrderStatus.values)
    assert set(orders.values_list("service_level", flat=True)) == set(ServiceLevel.values)
    assert 0.01 < orders.filter(status=OrderStatus.CANCELLED).count() / orders.count() < 0.1
    assert orders.filter(discount_pct__gte=15).exists() and orders.filter(discount_pct=0).exists()
    # and both kinds of account, some with an annual potential, some inactive, some without orders
    assert accounts.filter(kind=AccountKind.SUPPLIER).count() > 30
    assert accounts.filter(annual_potential__isnull=False).count() > 100
    assert accounts.filter(is_active=False).exists()
    assert accounts.filter(orders__isnull=True).exists()
    # and invoices paid on time and late, open and overdue, written off and cancelled
    assert set(invoices.values_list("status", flat=True)) == set(InvoiceStatus.values)
    paid = invoices.filter(status=InvoiceStatus.PAID)
    assert paid.filter(paid_date__gt=F("due_date")).exists()
    assert paid.filter(paid_date__lte=F("due_date")).exists()
    assert invoices.filter(status=InvoiceStatus.OPEN, due_date__lt=TODAY).exists()
    # and NPS answers with and without a contact, and verified and unverified advocacy
    assert Feedback.objects.filter(contact__isnull=True).exists()
    assert Feedback.objects.filter(contact__isnull=False).exists()
    assert set(Feedback.objects.values_list("score", flat=True)) >= {0, 6, 8, 10}
    assert AdvocacyEvent.objects.filter(verified=True).exists()
    assert AdvocacyEvent.objects.filter(verified=False).exists()
    # and every account was created before its first order
    late = (
        accounts.annotate(first_order=Min("orders__order_date"), created=TruncDate("created_at"))
        .filter(first_order__isnull=False)
        .filter(Q(created__gte=F("first_order")))
    )
    assert not late.exists()


def test_seed_volume_refuses_to_add_a_second_portfolio_and_replace_does_not_duplicate():
    # given a volume portfolio, and an account of a real portfolio that a volume account referred
    seed("--accounts", "30", "--orders", "300")
    real = AccountFactory(name="Real Customer AG", external_id="ERP-1")
    OrderFactory(account=real)
    referral = AdvocacyEventFactory(
        account=real, referred_account=Account.objects.filter(external_id="VOL-A-0000001").get()
    )
    # when it is seeded again without --replace
    with pytest.raises(CommandError, match="--replace"):
        seed("--accounts", "30", "--orders", "300")
    # and with --replace
    output = seed("--accounts", "30", "--orders", "300", "--replace")
    # then the portfolio is there once, and the real account kept its order and its event (the referral cleared)
    assert Account.objects.filter(external_id__startswith="VOL-").count() == 30
    assert Order.objects.filter(external_id__startswith="VOL-").count() == 300
    assert Invoice.objects.count() == 150
    assert real.orders.count() == 1
    referral.refresh_from_db()
    assert referral.referred_account is None
    assert "deleted" in output


def test_the_same_seed_gives_the_same_portfolio_and_another_seed_another():
    # given a portfolio seeded with seed 5
    volume_seed(accounts=40, orders=600, seed=5, today=TODAY)
    first = snapshot()
    # when it is replaced with the same seed, then with another
    volume_seed(accounts=40, orders=600, seed=5, today=TODAY, replace=True)
    again = snapshot()
    volume_seed(accounts=40, orders=600, seed=6, today=TODAY, replace=True)
    other = snapshot()
    # then the same seed gives the same rows, another seed other rows
    assert again == first
    assert other["orders"] != first["orders"]


def test_owners_are_the_account_managers_round_robin():
    # given two account managers
    alice, bob = manager_factory(username="alice"), manager_factory(username="bob")
    # when a portfolio is seeded
    seed("--accounts", "10", "--orders", "100")
    # then the accounts alternate between them
    owners = list(Account.objects.order_by("external_id").values_list("owner", flat=True))
    assert owners == [alice.pk, bob.pk] * 5
    # and advocacy is verified by the other manager, never by the one who logged it
    for event in AdvocacyEvent.objects.filter(verified=True):
        assert event.verified_by_id != event.logged_by_id


def test_accounts_are_unassigned_without_managers():
    seed("--accounts", "10", "--orders", "100")
    assert not Account.objects.filter(owner__isnull=False).exists()


def test_apportion_adds_up_exactly():
    assert apportion(10, [1, 1, 1]) == [3, 4, 3]
    assert sum(apportion(2_000_000, [0.37 * (i % 11) for i in range(100_000)])) == 2_000_000
    assert apportion(5, [0, 1, 0]) == [0, 5, 0]
    with pytest.raises(ValueError, match="over nothing"):
        apportion(3, [0, 0])


def test_the_plan_deals_every_behaviour_even_to_a_small_portfolio():
    draws = volume_plan(accounts=50, orders=500, invoices=250, feedback=100, seed=1, account_ids=list(range(1, 51)))
    assert {draw.behaviour for draw in draws} == set(Behaviour)
    assert all(draw.orders == 0 for draw in draws if draw.behaviour is Behaviour.PROSPECT)
    assert sum(draw.orders for draw in draws) == 500
    with pytest.raises(ValueError, match="invoices need orders"):
        volume_plan(accounts=5, orders=0, invoices=3, feedback=0, seed=1, account_ids=[1, 2, 3, 4, 5])


def test_copy_defaults_fill_what_the_generator_leaves_out():
    now = datetime.datetime(2026, 3, 15, 12, 0, tzinfo=datetime.UTC)
    defaults = copy_defaults(Account, ["id", "name", "created_at"], now=now)
    assert defaults["stage"] == "prospect" and defaults["key_status"] == "standard"
    assert defaults["updated_at"].startswith("2026-03-15")
    assert defaults["industry"] == ""  # blank text, as Django saves it
    assert "kas" not in defaults  # nullable: left to the database


def test_seed_volume_rejects_negative_counts():
    with pytest.raises(CommandError, match="negative"):
        seed("--accounts", "-1")


# --- the benchmark's naive scoring is the same arithmetic as the set-based run ----------------------------------


def test_naive_scoring_gives_the_same_scores_as_the_set_based_run(monkeypatch):
    runs = pytest.importorskip("accounts.scoring.runs")
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "bench"))
    import naive_scoring

    # given a small volume portfolio, scored once already (so the hysteresis has a previous status)
    as_of = timezone.localdate()
    volume_seed(accounts=120, orders=2400, seed=9, today=as_of)
    first = runs.scoring_run_perform(as_of=as_of)
    # when the set-based run scores it again, and the naive loop scores every account
    run = runs.scoring_run_perform(as_of=as_of)
    naive = naive_scoring.naive_scores(as_of=as_of, previous_run_id=first.pk)
    # then both give the same criteria, KAS, completeness and key status for the same accounts
    stored = {
        score.account_id: (
            score.c1,
            score.c2,
            score.c3,
            score.c4,
            score.c5,
            score.kas,
            score.completeness,
            score.computed_key_status,
        )
        for score in run.scores.all()
    }
    computed = {
        account_id: (s.c1, s.c2, s.c3, s.c4, s.c5, s.kas, s.completeness, s.key_status)
        for account_id, s in naive.items()
    }
    assert len(stored) > 100
    assert computed == stored
