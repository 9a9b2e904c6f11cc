"""Bulk upsert of orders and invoices (DESIGN §8): all or nothing, every bad record reported, set-based."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import Q

from accounts.bulk import BULK_MAX_ITEMS, BulkInvalid, condition_holds, orders_bulk_upsert
from accounts.models import Invoice, Order
from tests.factories import AccountFactory, InvoiceFactory, OrderFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/bulk/"
INVOICES = "/api/v1/invoices/bulk/"


def order(n: int, **overrides) -> dict:
    record = {
        "account_external_id": "ERP-ACME",
        "external_id": f"SO-{n:05d}",
        "order_date": "2025-03-01",
        "net_amount": f"{1000 + n}.50",
        "discount_pct": "2.50",
        "service_level": "premium",
        "status": "fulfilled",
    }
    return {**record, **overrides}


def invoice(n: int, **overrides) -> dict:
    record = {
        "account_external_id": "ERP-ACME",
        "external_id": f"IN-{n:05d}",
        "number": f"R-{n:05d}",
        "issue_date": "2025-03-01",
        "due_date": "2025-03-31",
        "amount": "1190.00",
        "status": "open",
    }
    return {**record, **overrides}


def by_index(response) -> dict[int, dict]:
    return {item["index"]: item["errors"] for item in response.json()}


# --- create, update, idempotence -------------------------------------------------------------------------


def test_integration_creates_orders(api, integration, account):
    # given an account known by its external id
    # when the ERP posts three new orders
    response = api(integration).post(ORDERS, [order(1), order(2), order(3)], format="json")
    # then they are created on that account, with the values sent
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 3, "updated": 0, "unchanged": 0}
    created = Order.objects.get(external_id="SO-00002")
    assert created.account == account
    assert created.net_amount == Decimal("1002.50") and created.discount_pct == Decimal("2.50")
    assert created.order_date == datetime.date(2025, 3, 1)
    assert (created.service_level, created.status) == ("premium", "fulfilled")
    assert created.created_at == created.updated_at


def test_existing_orders_are_updated_and_keep_created_at(api, integration, account):
    # given an order the ERP pushed before
    existing = OrderFactory(account=account, external_id="SO-00001", net_amount=Decimal("1.00"))
    # when a batch names it again, with a new one
    response = api(integration).post(ORDERS, [order(1, net_amount="99.00"), order(2)], format="json")
    # then the known one is updated in place and the new one created
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 0}
    updated = Order.objects.get(external_id="SO-00001")
    assert updated.pk == existing.pk
    assert updated.net_amount == Decimal("99.00")
    assert updated.created_at == existing.created_at
    assert updated.updated_at > existing.updated_at


def test_omitted_optional_fields_take_their_default_on_update(api, integration, account):
    # given an order with a discount
    OrderFactory(account=account, external_id="SO-00001", discount_pct=Decimal("7.00"))
    # when the ERP sends the order without a discount
    record = order(1)
    del record["discount_pct"]
    response = api(integration).post(ORDERS, [record], format="json")
    # then the record is the whole order: the discount is back to its default
    assert response.status_code == 200
    assert Order.objects.get(external_id="SO-00001").discount_pct == Decimal("0")


def test_posting_the_same_batch_twice_creates_nothing_the_second_time(api, integration, account):
    # given a batch already posted
    batch = [order(n) for n in range(5)]
    client = api(integration)
    assert client.post(ORDERS, batch, format="json").json()["created"] == 5
    stamps = dict(Order.objects.values_list("external_id", "updated_at"))
    # when it is posted again
    response = client.post(ORDERS, batch, format="json")
    # then nothing is created, every record counts as updated, and the unchanged rows are left alone
    assert response.json() == {"created": 0, "updated": 5, "unchanged": 5}
    assert Order.objects.count() == 5
    assert dict(Order.objects.values_list("external_id", "updated_at")) == stamps


def test_empty_list_writes_nothing(api, integration):
    response = api(integration).post(ORDERS, [], format="json")
    assert response.status_code == 200
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 0}


def test_account_named_by_id_or_external_id(api, director, account, outsider_account):
    # given two accounts, one named by id and one by external id (and one by both, consistently)
    batch = [
        order(1, account=account.pk, account_external_id=None),
        order(2, account_external_id="ERP-OUT"),
        order(3, account=outsider_account.pk, account_external_id="ERP-OUT"),
    ]
    del batch[0]["account_external_id"]
    # when a director posts them
    response = api(director).post(ORDERS, batch, format="json")
    # then each order lands on the account it names
    assert response.status_code == 200, response.json()
    placed = dict(Order.objects.values_list("external_id", "account_id"))
    assert placed == {"SO-00001": account.pk, "SO-00002": outsider_account.pk, "SO-00003": outsider_account.pk}


def test_an_order_moves_to_another_account(api, integration, account, outsider_account):
    # given an order on one account
    OrderFactory(account=account, external_id="SO-00001")
    # when the ERP sends it for another account (integrations write on every account)
    response = api(integration).post(ORDERS, [order(1, account_external_id="ERP-OUT")], format="json")
    # then it moves
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0}
    assert Order.objects.get(external_id="SO-00001").account == outsider_account


def test_external_id_is_trimmed(api, integration, account):
    response = api(integration).post(ORDERS, [order(1, external_id="  SO-7  ")], format="json")
    assert response.status_code == 200
    assert Order.objects.filter(external_id="SO-7").exists()


# --- all or nothing, every bad record reported ---------------------------------------------------------


def test_one_bad_record_writes_nothing(api, integration, account):
    # given a batch with one negative amount among good records, and an order it would have updated
    OrderFactory(account=account, external_id="SO-00000", net_amount=Decimal("5.00"))
    batch = [order(0), order(1), order(2), order(3, net_amount="-1.00"), order(4)]
    # when it is posted
    response = api(integration).post(ORDERS, batch, format="json")
    # then nothing is written and the error names the record and the field
    assert response.status_code == 400
    assert list(by_index(response)) == [3]
    assert list(by_index(response)[3]) == ["net_amount"]
    assert Order.objects.count() == 1
    assert Order.objects.get().net_amount == Decimal("5.00")


def test_every_bad_record_is_reported(api, integration, account):
    # given a batch with many kinds of mistakes
    batch = [
        order(0),
        order(1, net_amount=12.5),  # a JSON number: money travels as a decimal string
        order(2, discount_pct="101.00"),
        order(3, service_level="gold", status="lost"),
        order(4, order_date="yesterday"),
        order(5, account_external_id="NO-SUCH-ACCOUNT"),
        order(6, account=999_999_999, account_external_id=None),
        order(7, kas="99.00"),
        order(8, id=3),
        order(9, external_id=""),
        "not an object",
        order(11),
    ]
    del batch[6]["account_external_id"]
    del batch[9]["external_id"]
    # when it is posted
    response = api(integration).post(ORDERS, batch, format="json")
    # then every bad record is reported with the field at fault, and nothing is written
    assert response.status_code == 400
    errors = by_index(response)
    assert {index: sorted(fields) for index, fields in errors.items()} == {
        1: ["net_amount"],
        2: ["discount_pct"],
        3: ["service_level", "status"],
        4: ["order_date"],
        5: ["account_external_id"],
        6: ["account"],
        7: ["kas"],
        8: ["id"],
        9: ["external_id"],
        10: ["non_field_errors"],
    }
    assert errors[5] == {"account_external_id": ["No account has this external id."]}
    assert errors[7] == {"kas": ["Unknown field."]}
    assert errors[8] == {"id": ["This field is read-only."]}
    assert errors[9] == {"external_id": ["This field is required."]}
    assert not Order.objects.exists()


def test_a_record_must_name_an_account(api, integration, account):
    record = order(1)
    del record["account_external_id"]
    response = api(integration).post(ORDERS, [record], format="json")
    assert response.status_code == 400
    assert by_index(response) == {0: {"account": ["Give `account` (id) or `account_external_id`."]}}


def test_account_and_external_id_must_agree(api, integration, account, outsider_account):
    response = api(integration).post(ORDERS, [order(1, account=outsider_account.pk)], format="json")
    assert by_index(response) == {0: {"account_external_id": ["Names a different account than `account`."]}}


def test_field_and_account_errors_of_one_record_are_reported_together(api, integration, account):
    response = api(integration).post(
        ORDERS, [order(1, discount_pct="-1.00", account_external_id="NOPE")], format="json"
    )
    assert sorted(by_index(response)[0]) == ["account_external_id", "discount_pct"]


def test_a_repeated_external_id_is_blamed_on_the_later_record(api, integration, account):
    # given a batch naming the same order twice
    batch = [order(1), order(2), order(1, net_amount="5.00")]
    # when it is posted
    response = api(integration).post(ORDERS, batch, format="json")
    # then the second mention is the error
    assert response.status_code == 400
    assert by_index(response) == {
        2: {"external_id": ["Appears more than once in this batch (first at index 0)."]},
    }
    assert not Order.objects.exists()


# --- invoices: the rules between fields, per record ------------------------------------------------------


def test_integration_creates_and_updates_invoices(api, integration, account):
    InvoiceFactory(account=account, external_id="IN-00001")
    batch = [invoice(1, status="paid", paid_date="2025-03-20"), invoice(2)]
    response = api(integration).post(INVOICES, batch, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 0}
    paid = Invoice.objects.get(external_id="IN-00001")
    assert paid.status == "paid" and paid.paid_date == datetime.date(2025, 3, 20)


def test_invoice_rules_are_checked_per_record(api, integration, account):
    # given invoices breaking the rules between their fields
    batch = [
        invoice(0),
        invoice(1, due_date="2025-02-01"),  # due before issue
        invoice(2, status="paid"),  # paid without a paid date
        invoice(3, paid_date="2025-03-10"),  # a paid date on an open invoice
        invoice(4, amount="0.00"),
        invoice(5, number=""),
    ]
    # when they are posted
    response = api(integration).post(INVOICES, batch, format="json")
    # then each is refused on the field the model's constraint names, with its message
    assert response.status_code == 400
    errors = by_index(response)
    assert errors[1] == {"due_date": ["The due date may not be before the issue date."]}
    paid_message = "A paid invoice needs its paid date, and only a paid invoice has one."
    assert errors[2] == {"paid_date": [paid_message]}
    assert errors[3] == {"paid_date": [paid_message]}
    assert list(errors[4]) == ["amount"]
    assert list(errors[5]) == ["number"]
    assert 0 not in errors
    assert not Invoice.objects.exists()


# --- who may ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [ORDERS, INVOICES])
@pytest.mark.parametrize("persona", ["manager", "colleague", "roleless"])
def test_managers_may_not_use_bulk(request, api, account, persona, url):
    response = api(request.getfixturevalue(persona)).post(url, [], format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("url", [ORDERS, INVOICES])
def test_anonymous_is_refused(api, url):
    response = api().post(url, [], format="json")
    assert response.status_code == 401


@pytest.mark.parametrize("persona", ["integration", "director"])
def test_integration_and_directors_write_on_every_account(request, api, persona, account, outsider_account):
    # given accounts owned by different managers
    batch = [order(1), order(2, account_external_id="ERP-OUT")]
    # when an integration user or a director posts orders for both
    response = api(request.getfixturevalue(persona)).post(ORDERS, batch, format="json")
    # then both are written
    assert response.json()["created"] == 2


def test_an_account_the_caller_cannot_see_is_unknown(account, outsider_account, manager):
    # given a caller who sees only some accounts (the service's rule, whatever the roles allow)
    from accounts import bulk

    restricted = AccountFactory(owner=manager, external_id="ERP-MINE")
    items = [{**order(1), "account_external_id": "ERP-OUT"}, {**order(2), "account_external_id": "ERP-MINE"}]
    # when the bulk service resolves the accounts as that caller
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bulk, "can_bulk_write_commercial_records", lambda user: True)
        patch.setattr(bulk, "can_write_commercial_records", lambda user, account: True)
        with pytest.raises(BulkInvalid) as refused:
            orders_bulk_upsert(actor=manager, items=items)
    # then the invisible account is "no such account", as if it did not exist
    assert refused.value.errors == [
        {"index": 0, "errors": {"account_external_id": ["No account has this external id."]}}
    ]
    assert restricted.orders.count() == 0


# --- the body ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{"external_id": "SO-1"}, "SO-1", 42, None])
def test_the_body_must_be_a_list(api, integration, body):
    response = api(integration).post(ORDERS, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Send a JSON list of records.", "code": "not_a_list"}


def test_at_most_5000_records(api, integration, account):
    response = api(integration).post(ORDERS, [order(n) for n in range(BULK_MAX_ITEMS + 1)], format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Send at most {BULK_MAX_ITEMS} records per request, not {BULK_MAX_ITEMS + 1}.",
        "code": "too_many_records",
    }
    assert not Order.objects.exists()


# --- set-based ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [5, 500])
def test_query_count_does_not_grow_with_the_batch(api, integration, account, django_assert_num_queries, size):
    # given a batch half of which updates existing orders
    client = api(integration)
    client.post(ORDERS, [order(n) for n in range(0, size, 2)], format="json")
    batch = [order(n, net_amount="7.00") for n in range(size)]
    # when it is posted: the token, the audit trail's actor, the caller's roles, savepoint, the accounts named,
    # the existing rows (locked), the upsert, release, the actor's reset
    with django_assert_num_queries(9):
        response = client.post(ORDERS, batch, format="json")
    # then every record is written
    assert response.json() == {"created": size // 2, "updated": size - size // 2, "unchanged": 0}


@pytest.mark.parametrize("size", [5, 500])
def test_a_refused_batch_costs_as_few_queries(api, integration, account, django_assert_num_queries, size):
    client = api(integration)
    client.post(ORDERS, [], format="json")  # the token's first use is stamped once
    batch = [order(n, account_external_id=f"NOPE-{n}") for n in range(size)]
    # the token, the audit trail's actor, the caller's roles, savepoint, the accounts named, rollback, release,
    # the actor's reset
    with django_assert_num_queries(8):
        response = client.post(ORDERS, batch, format="json")
    assert len(response.json()) == size


# --- the constraint evaluator, on its own ------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition,values,expected",
    [
        (Q(a__gte=0), {"a": 1}, True),
        (Q(a__gte=0), {"a": -1}, False),
        (Q(a__gte=0), {"a": None}, None),  # NULL: a CHECK accepts it
        (~Q(a=""), {"a": None}, None),
        (~Q(a=""), {"a": ""}, False),
        (Q(a__in=["x", "y"]), {"a": "z"}, False),
        (Q(a__regex=r"^[A-Z]{2}$"), {"a": "DE"}, True),
        (Q(a="paid", b__isnull=False) | (~Q(a="paid") & Q(b__isnull=True)), {"a": "open", "b": 1}, False),
        (Q(a="paid", b__isnull=False) | (~Q(a="paid") & Q(b__isnull=True)), {"a": "paid", "b": 1}, True),
        (Q(a__gt=0) | Q(b__gt=0), {"a": None, "b": 1}, True),
        (Q(a__gt=0) & Q(b__gt=0), {"a": None, "b": -1}, False),
    ],
)
def test_condition_holds_follows_sql(condition, values, expected):
    assert condition_holds(condition, values) is expected


def test_a_record_refused_for_an_unknown_field_still_has_its_account_checked(api, integration, account):
    # given a record with an unknown field and a mistyped account reference (the serializer stops at the first)
    batch = [order(0, colour="blue", account_external_id=True), order(1, colour="red", account_external_id="NOPE")]
    # when it is posted
    response = api(integration).post(ORDERS, batch, format="json")
    # then both mistakes of each record are reported
    assert by_index(response) == {
        0: {"colour": ["Unknown field."], "account_external_id": ["Must be a string."]},
        1: {"colour": ["Unknown field."], "account_external_id": ["No account has this external id."]},
    }


def test_an_item_that_is_not_an_object_is_reported_as_such(api, integration, account):
    response = api(integration).post(ORDERS, [order(0), ["SO-1"], None], format="json")
    assert by_index(response) == {
        1: {"non_field_errors": ["Invalid data. Expected an object, but got an array."]},
        2: {"non_field_errors": ["Invalid data. Expected an object, but got null."]},
    }


def test_the_database_constraints_remain_the_last_guard(api, integration, account, monkeypatch):
    # given a Python check that misses a rule (simulated: no check constraint is evaluated in memory)
    from accounts import bulk

    monkeypatch.setattr(bulk, "_checks", lambda model: [])
    batch = [invoice(0), invoice(1, due_date="2025-02-01")]
    # when the batch reaches PostgreSQL
    response = api(integration).post(INVOICES, batch, format="json")
    # then the violated constraint is a 400 naming the field, and nothing is written
    assert response.status_code == 400
    assert response.json() == {"due_date": ["The due date may not be before the issue date."]}
    assert not Invoice.objects.exists()


def test_a_row_on_an_account_the_caller_cannot_see_is_not_taken_over(manager, outsider_account):
    # given an order on an account the caller does not see, and an account the caller does see
    from accounts import bulk

    OrderFactory(account=outsider_account, external_id="SO-00001")
    AccountFactory(owner=manager, external_id="ERP-MINE")
    # when a caller who sees only their own accounts sends that external id for their account
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bulk, "can_bulk_write_commercial_records", lambda user: True)
        patch.setattr(bulk, "can_write_commercial_records", lambda user, account: True)
        with pytest.raises(BulkInvalid) as refused:
            orders_bulk_upsert(actor=manager, items=[{**order(1), "account_external_id": "ERP-MINE"}])
    # then it is refused as the unique constraint would, and the order stays where it is
    assert refused.value.errors == [
        {"index": 0, "errors": {"external_id": ["Another order already has this external id."]}}
    ]
    assert Order.objects.get(external_id="SO-00001").account == outsider_account
