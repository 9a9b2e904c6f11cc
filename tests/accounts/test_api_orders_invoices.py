"""The orders and invoices API: visibility, who writes, every rule refused with 400, filters, query counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Invoice, Order
from tests.factories import AccountFactory, InvoiceFactory, OrderFactory
from tests.http import if_match

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
INVOICES = "/api/v1/invoices/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def order_payload(account, **overrides) -> dict:
    return {
        "account": account.pk,
        "external_id": "SO-1",
        "order_date": "2025-03-01",
        "net_amount": "12500.00",
        "discount_pct": "7.50",
        "service_level": "premium",
        "status": "confirmed",
        **overrides,
    }


def invoice_payload(account, **overrides) -> dict:
    return {
        "account": account.pk,
        "external_id": "INV-1",
        "number": "R-2025-001",
        "issue_date": "2025-03-01",
        "due_date": "2025-03-31",
        "amount": "1190.00",
        "status": "open",
        **overrides,
    }


# --- visibility -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url,factory", [(ORDERS, OrderFactory), (INVOICES, InvoiceFactory)])
def test_managers_see_records_of_their_accounts_only(api, manager, colleague, account, outsider_account, url, factory):
    # given a record on manager's account (colleague on its team) and one on the outsider's account
    mine = factory(account=account)
    theirs = factory(account=outsider_account)
    # when each persona lists / then each sees only the records of accounts they can see
    assert ids(api(manager).get(url)) == {mine.pk}
    assert ids(api(colleague).get(url)) == {mine.pk}
    assert api(colleague).get(f"{url}{mine.pk}/").json()["id"] == mine.pk
    assert theirs.pk not in ids(api(manager).get(url))


@pytest.mark.parametrize("persona", ["director", "integration"])
@pytest.mark.parametrize("url,factory", [(ORDERS, OrderFactory), (INVOICES, InvoiceFactory)])
def test_directors_and_integrations_see_every_record(request, api, persona, account, outsider_account, url, factory):
    records = {factory(account=account).pk, factory(account=outsider_account).pk}
    assert ids(api(request.getfixturevalue(persona)).get(url)) == records


@pytest.mark.parametrize("url,factory", [(ORDERS, OrderFactory), (INVOICES, InvoiceFactory)])
def test_user_without_role_sees_no_records(api, roleless, account, url, factory):
    factory(account=account)
    assert ids(api(roleless).get(url)) == set()


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("url,factory", [(ORDERS, OrderFactory), (INVOICES, InvoiceFactory)])
def test_outsider_gets_404_on_detail(api, outsider, account, method, url, factory):
    # given a record on an account the outsider cannot see
    record = factory(account=account)
    # when the outsider reads, changes or deletes it
    response = getattr(api(outsider), method)(f"{url}{record.pk}/", {"status": "cancelled"}, format="json")
    # then it does not exist for them, and nothing changed
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert type(record).objects.get(pk=record.pk).status == record.status


@pytest.mark.parametrize("url,payload", [(ORDERS, order_payload), (INVOICES, invoice_payload)])
def test_records_cannot_name_an_account_the_caller_cannot_see(api, outsider, account, url, payload):
    # given the outsider, who cannot see ``account``
    client = api(outsider)
    # when they name it by id or by external id
    by_id = client.post(url, payload(account), format="json")
    body = payload(account)
    del body["account"]
    by_external = client.post(url, {**body, "account_external_id": "ERP-ACME"}, format="json")
    # then the account "does not exist" for them
    assert by_id.status_code == 400 and "account" in by_id.json()
    assert by_external.status_code == 400 and "account_external_id" in by_external.json()
    assert not Order.objects.exists() and not Invoice.objects.exists()


# --- writes and roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["integration", "director"])
def test_integrations_and_directors_write_orders(request, api, persona, account):
    client = api(request.getfixturevalue(persona))
    # when the ERP creates an order naming the account by its external id
    body = order_payload(account)
    del body["account"]
    created = client.post(ORDERS, {**body, "account_external_id": "ERP-ACME"}, format="json")
    # then the order is stored with codes and decimal strings
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["account"] == account.pk and data["account_external_id"] == "ERP-ACME"
    assert data["net_amount"] == "12500.00" and data["discount_pct"] == "7.50"
    assert data["service_level"] == "premium" and data["status"] == "confirmed"
    assert set(data) >= {"created_at", "updated_at"}
    url = f"{ORDERS}{data['id']}/"
    # and it can be corrected and removed
    patched = client.patch(
        url, {"status": "fulfilled", "net_amount": "12000.50"}, format="json", **if_match(client, url)
    )
    assert patched.status_code == 200 and patched.json()["net_amount"] == "12000.50"
    assert Order.objects.get(pk=data["id"]).net_amount == Decimal("12000.50")
    assert client.delete(url, **if_match(client, url)).status_code == 204
    assert not Order.objects.exists()


@pytest.mark.parametrize("persona", ["integration", "director"])
def test_integrations_and_directors_write_invoices(request, api, persona, account):
    client = api(request.getfixturevalue(persona))
    created = client.post(INVOICES, invoice_payload(account), format="json")
    assert created.status_code == 201, created.json()
    url = f"{INVOICES}{created.json()['id']}/"
    # when the invoice is paid / then status and paid date travel together
    paid = client.patch(url, {"status": "paid", "paid_date": "2025-03-20"}, format="json", **if_match(client, url))
    assert paid.status_code == 200, paid.json()
    assert paid.json()["paid_date"] == "2025-03-20" and paid.json()["amount"] == "1190.00"
    assert client.delete(url, **if_match(client, url)).status_code == 204


@pytest.mark.parametrize("persona", ["manager", "colleague"])
@pytest.mark.parametrize(
    "url,factory,payload",
    [(ORDERS, OrderFactory, order_payload), (INVOICES, InvoiceFactory, invoice_payload)],
)
def test_managers_read_but_do_not_write_commercial_records(request, api, persona, account, url, factory, payload):
    # given a manager who can see the account
    client = api(request.getfixturevalue(persona))
    record = factory(account=account)
    # when they create, change or delete its orders or invoices / then each write is forbidden
    assert client.get(f"{url}{record.pk}/").status_code == 200
    assert client.post(url, payload(account, external_id="NEW-1"), format="json").status_code == 403
    assert (
        client.patch(
            f"{url}{record.pk}/", {"status": "cancelled"}, format="json", **if_match(client, f"{url}{record.pk}/")
        ).status_code
        == 403
    )
    assert client.delete(f"{url}{record.pk}/", **if_match(client, f"{url}{record.pk}/")).status_code == 403
    assert type(record).objects.count() == 1
    assert type(record).objects.get().status == record.status


def test_director_moves_an_order_to_another_account(api, director, account, outsider_account):
    order = OrderFactory(account=account)
    response = api(director).patch(
        f"{ORDERS}{order.pk}/",
        {"account_external_id": "ERP-OUT"},
        format="json",
        **if_match(api(director), f"{ORDERS}{order.pk}/"),
    )
    assert response.status_code == 200, response.json()
    order.refresh_from_db()
    assert order.account == outsider_account


@pytest.mark.parametrize("url,payload", [(ORDERS, order_payload), (INVOICES, invoice_payload)])
def test_a_record_needs_an_account(api, integration, account, url, payload):
    body = payload(account)
    del body["account"]
    response = api(integration).post(url, body, format="json")
    assert response.status_code == 400
    assert "account" in response.json()


@pytest.mark.parametrize("field", ["created_at", "updated_at", "colour"])
def test_read_only_and_unknown_fields_are_refused(api, integration, account, field):
    order = OrderFactory(account=account)
    response = api(integration).patch(
        f"{ORDERS}{order.pk}/",
        {field: "2025-01-01T00:00:00Z"},
        format="json",
        **if_match(api(integration), f"{ORDERS}{order.pk}/"),
    )
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("field,value", [("net_amount", 100), ("discount_pct", 5.5), ("external_id", 7)])
def test_money_and_text_of_the_wrong_json_type_are_refused(api, integration, account, field, value):
    response = api(integration).post(ORDERS, order_payload(account, **{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_blank_external_id_is_stored_as_absent(api, integration, account):
    first = api(integration).post(ORDERS, order_payload(account, external_id=""), format="json")
    second = api(integration).post(ORDERS, order_payload(account, external_id="  "), format="json")
    assert first.status_code == second.status_code == 201
    assert first.json()["external_id"] is None and second.json()["external_id"] is None


# --- every rule is refused with 400 naming the field ------------------------------------------------------


@pytest.mark.parametrize(
    "field,value",
    [
        ("net_amount", "-1.00"),
        ("net_amount", "1234567890123.456"),
        ("discount_pct", "100.01"),
        ("discount_pct", "-0.01"),
        ("service_level", "platinum"),
        ("status", "shipped"),
        ("order_date", "2025-02-30"),
    ],
)
def test_order_rules_are_refused_with_400(api, integration, account, field, value):
    response = api(integration).post(ORDERS, order_payload(account, **{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Order.objects.exists()


def test_duplicate_order_external_id_is_refused(api, integration, account):
    OrderFactory(account=account, external_id="SO-1")
    response = api(integration).post(ORDERS, order_payload(account), format="json")
    assert response.status_code == 400
    assert response.json() == {"external_id": ["Another order already has this external id."]}


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"due_date": "2025-02-28"}, "due_date"),
        ({"status": "paid"}, "paid_date"),
        ({"status": "open", "paid_date": "2025-03-10"}, "paid_date"),
        ({"status": "written_off", "paid_date": "2025-03-10"}, "paid_date"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"number": ""}, "number"),
        ({"status": "overdue"}, "status"),
    ],
)
def test_invoice_rules_are_refused_with_400(api, integration, account, overrides, field):
    response = api(integration).post(INVOICES, invoice_payload(account, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Invoice.objects.exists()


def test_paying_an_invoice_without_its_date_is_refused_on_update(api, integration, account):
    invoice = InvoiceFactory(account=account)
    response = api(integration).patch(
        f"{INVOICES}{invoice.pk}/",
        {"status": "paid"},
        format="json",
        **if_match(api(integration), f"{INVOICES}{invoice.pk}/"),
    )
    assert response.status_code == 400
    assert response.json() == {"paid_date": ["A paid invoice needs its paid date, and only a paid invoice has one."]}


def test_duplicate_invoice_external_id_is_refused(api, integration, account):
    InvoiceFactory(account=account, external_id="INV-1")
    response = api(integration).post(INVOICES, invoice_payload(account), format="json")
    assert response.status_code == 400
    assert response.json() == {"external_id": ["Another invoice already has this external id."]}


# --- filters ----------------------------------------------------------------------------------------------


def test_order_filters(api, director, account, outsider_account):
    # given orders on two accounts, on different dates, statuses and service levels
    march = OrderFactory(account=account, order_date=datetime.date(2025, 3, 1), net_amount=Decimal("100.00"))
    april = OrderFactory(
        account=account, order_date=datetime.date(2025, 4, 1), status="cancelled", net_amount=Decimal("900.00")
    )
    other = OrderFactory(account=outsider_account, order_date=datetime.date(2025, 5, 1), service_level="premium")
    client = api(director)
    # when filtering / then each filter narrows the list
    assert ids(client.get(ORDERS, {"account": account.pk})) == {march.pk, april.pk}
    assert ids(client.get(ORDERS, {"account_external_id": "ERP-OUT"})) == {other.pk}
    assert ids(client.get(ORDERS, {"order_date_after": "2025-04-01"})) == {april.pk, other.pk}
    assert ids(client.get(ORDERS, {"order_date_before": "2025-04-01"})) == {march.pk, april.pk}
    assert ids(client.get(ORDERS, {"order_date_after": "2025-03-02", "order_date_before": "2025-04-30"})) == {april.pk}
    assert ids(client.get(ORDERS, {"status": "cancelled"})) == {april.pk}
    assert ids(client.get(ORDERS, {"service_level": "premium"})) == {other.pk}
    assert ids(client.get(ORDERS, {"external_id": march.external_id})) == {march.pk}
    by_amount = [row["id"] for row in client.get(ORDERS, {"ordering": "-net_amount"}).json()["results"]]
    assert by_amount[-1] == march.pk
    by_date = [row["id"] for row in client.get(ORDERS, {"ordering": "order_date"}).json()["results"]]
    assert by_date == [march.pk, april.pk, other.pk]


def test_due_on_or_before_a_day_answers_as_the_plain_comparison_in_the_default_order(api, director, account):
    # given invoices issued and due on either side of 1 March 2025 (due is never before issue: a constraint)
    day = datetime.date(2025, 3, 1)
    spans = [(-60, -30), (-30, 0), (-10, 5), (0, 0), (0, 30), (5, 40)]  # (issued, due) in days from the day
    invoices = [
        InvoiceFactory(
            account=account,
            issue_date=day + datetime.timedelta(days=issued),
            due_date=day + datetime.timedelta(days=due),
        )
        for issued, due in spans
    ]
    # when the API lists those due on or before the day (which also bounds the issue date, for the index)
    results = api(director).get(INVOICES, {"due_date_before": day.isoformat()}).json()["results"]
    # then exactly those due by then, in the default order (newest issue first)
    expected = sorted(
        (invoice for invoice in invoices if invoice.due_date <= day), key=lambda i: (i.issue_date, i.pk), reverse=True
    )
    assert [row["id"] for row in results] == [invoice.pk for invoice in expected]
    assert len(expected) == 3


def test_invoice_filters(api, director, account, outsider_account):
    early = InvoiceFactory(account=account, issue_date=datetime.date(2025, 1, 1), due_date=datetime.date(2025, 1, 31))
    late = InvoiceFactory(
        account=account,
        issue_date=datetime.date(2025, 6, 1),
        due_date=datetime.date(2025, 7, 15),
        status="paid",
        paid_date=datetime.date(2025, 7, 1),
    )
    other = InvoiceFactory(account=outsider_account, issue_date=datetime.date(2025, 3, 1))
    client = api(director)
    assert ids(client.get(INVOICES, {"account": account.pk})) == {early.pk, late.pk}
    assert ids(client.get(INVOICES, {"account_external_id": "ERP-ACME"})) == {early.pk, late.pk}
    assert ids(client.get(INVOICES, {"issue_date_after": "2025-02-01"})) == {late.pk, other.pk}
    assert ids(client.get(INVOICES, {"issue_date_before": "2025-03-01"})) == {early.pk, other.pk}
    assert ids(client.get(INVOICES, {"due_date_after": "2025-07-01", "due_date_before": "2025-07-31"})) == {late.pk}
    assert ids(client.get(INVOICES, {"paid_date_after": "2025-07-01"})) == {late.pk}
    assert ids(client.get(INVOICES, {"status": "paid"})) == {late.pk}
    assert ids(client.get(INVOICES, {"status": ["open", "paid"]})) == {early.pk, late.pk, other.pk}
    by_paid = [row["id"] for row in client.get(INVOICES, {"ordering": "-paid_date"}).json()["results"]]
    assert by_paid[0] == late.pk  # unpaid ones (no paid date) sort last


@pytest.mark.parametrize(
    "url,name,value",
    [
        (ORDERS, "order_date_after", "yesterday"),
        (ORDERS, "order_date_before", "2025-13-01"),
        (ORDERS, "status", "shipped"),
        (ORDERS, "service_level", "gold"),
        (ORDERS, "account", "acme"),
        (ORDERS, "ordering", "colour"),
        (INVOICES, "issue_date_after", "01.02.2025"),
        (INVOICES, "due_date_before", "soon"),
        (INVOICES, "status", "overdue"),
        (INVOICES, "ordering", "-number"),
    ],
)
def test_bad_filter_value_is_a_400_naming_the_filter(api, director, url, name, value):
    response = api(director).get(url, {name: value})
    assert response.status_code == 400
    assert name in response.json(), response.json()


# --- query counts -----------------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    client.get(url)  # the token's first use records last_used_at; count the steady state
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"page_size": 100}).status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["manager", "director"])
@pytest.mark.parametrize("url,factory", [(ORDERS, OrderFactory), (INVOICES, InvoiceFactory)])
def test_list_query_count_is_constant(request, api, persona, manager, colleague, url, factory):
    client = api(request.getfixturevalue(persona))
    factory(account=AccountFactory(owner=manager))
    one = _count_queries(client, url)
    for _ in range(9):
        factory(account=AccountFactory(owner=manager, team=[colleague]))
    # token + user, the user's roles, count, the page of records (account joined)
    assert _count_queries(client, url) == one == 4
