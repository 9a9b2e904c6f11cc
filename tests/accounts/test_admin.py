"""The admin of accounts, contacts, orders and invoices: pages render, lists do not grow a query per row."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import InvoiceStatus, OrderStatus, ServiceLevel
from accounts.models import Account, Contact, Invoice, Order
from tests.factories import AccountFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def make_rows(n: int, *, start: int = 0) -> None:
    """``n`` accounts, each with a contact, an order and a paid invoice."""
    for i in range(start, start + n):
        account = AccountFactory(name=f"Admin Test {i:02d} AG", external_id=f"ERP-A{i}")
        ContactFactory(account=account, email=f"buyer{i}@example.com")
        Order.objects.create(
            account=account,
            external_id=f"SO-A{i}",
            order_date=DAY,
            net_amount=Decimal("1200.00"),
            service_level=ServiceLevel.PREMIUM,
            status=OrderStatus.FULFILLED,
        )
        Invoice.objects.create(
            account=account,
            number=f"INV-A{i}",
            issue_date=DAY,
            due_date=DAY + datetime.timedelta(days=30),
            amount=Decimal("1200.00"),
            paid_date=DAY + datetime.timedelta(days=20),
            status=InvoiceStatus.PAID,
        )


MODELS = [Account, Contact, Order, Invoice]


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_add_and_change_pages_render(admin_client, model):
    # given a few rows of every kind
    make_rows(3)
    record = model.objects.first()
    opts = model._meta
    # when a superuser opens the list, the add form and a record / then each page renders
    assert admin_client.get(changelist(model)).status_code == 200
    assert admin_client.get(changelist(model), {"q": "Admin Test"}).status_code == 200
    assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200
    page = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk]))
    assert page.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_query_count_does_not_grow_with_rows(admin_client, model):
    # given one row of each kind / when the list is rendered
    make_rows(1)
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(changelist(model)).status_code == 200
    # and given ten in all rows / then the list costs the same queries (the account is joined, not fetched per row)
    make_rows(9, start=1)
    with CaptureQueriesContext(connection) as ten:
        assert admin_client.get(changelist(model)).status_code == 200
    assert len(ten) == len(one), [query["sql"] for query in ten.captured_queries]


def test_account_page_links_its_evidence_with_counts_instead_of_listing_it(admin_client):
    # given an account with an order and an invoice
    make_rows(1)
    account = Account.objects.get()
    # when its admin page is opened
    page = admin_client.get(reverse("admin:accounts_account_change", args=[account.pk])).content.decode()
    # then it links the filtered lists of its records with their counts
    assert f"{reverse('admin:accounts_order_changelist')}?account__id__exact={account.pk}" in page
    assert "1 orders" in page and "1 invoices" in page and "0 NPS answers" in page


def test_order_list_filters_by_status_and_date(admin_client):
    # given an order / when the list is filtered by status, service level and month / then it renders it
    make_rows(2)
    response = admin_client.get(
        changelist(Order), {"status__exact": "fulfilled", "service_level__exact": "premium", "order_date__month": "3"}
    )
    assert response.status_code == 200
    assert "SO-A1" in response.content.decode()


def test_import_jobs_are_listed_and_read_only(admin_client, director):
    # given two import jobs, one failed with a row error
    from accounts.models import ImportJob

    ImportJob.objects.create(kind="orders", file_name="a.csv", requested_by=director, status="succeeded", rows=3)
    failed = ImportJob.objects.create(
        kind="orders", file_name="b.csv", requested_by=director, status="failed", errors=[{"line": 2}]
    )
    # when the operator opens the list, filtered, and a job / then they read it but add and change nothing
    assert admin_client.get(changelist(ImportJob), {"status__exact": "failed", "q": "b.csv"}).status_code == 200
    page = admin_client.get(reverse("admin:accounts_importjob_change", args=[failed.pk]))
    assert page.status_code == 200 and b"b.csv" in page.content and b'name="_save"' not in page.content
    assert admin_client.get(reverse("admin:accounts_importjob_add")).status_code == 403
    with CaptureQueriesContext(connection) as two:
        admin_client.get(changelist(ImportJob))
    ImportJob.objects.create(kind="contacts", file_name="c.csv", requested_by=director)
    with CaptureQueriesContext(connection) as three:
        admin_client.get(changelist(ImportJob))
    assert len(three) == len(two)
