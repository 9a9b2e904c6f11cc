"""The audit trail (issue 9): PostgreSQL triggers record who changed what in the audited tables; the account
page and the admin show it. Real PostgreSQL, real triggers, no mocks."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.imports import import_job_execute
from accounts.models import Account, Contact, ImportJob, KeyStatusOverride, Order, ScoringPolicy
from audit.actor import NOBODY, acting_as, actor_current
from audit.models import AUDITED_TABLES, AuditEntry
from benefits.choices import GrantStatus
from benefits.models import BenefitGrant
from benefits.tasks import benefits_lifecycle_task
from relationships.models import LadderOverride, PartnerProposal
from tests.benefits.factories import BenefitGrantFactory
from tests.factories import (
    AccountFactory,
    ContactFactory,
    InvoiceFactory,
    OrderFactory,
    UserFactory,
    active_policy,
    director_factory,
)

TODAY = timezone.localdate()


def entries(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def setting(name: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true), pg_backend_pid()", [name])
        return cursor.fetchone()


# --- the triggers ---------------------------------------------------------------------------------------------------


def test_every_audited_table_has_its_three_triggers(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname LIKE 'audit_capture_%' GROUP BY c.relname"
        )
        found = dict(cursor.fetchall())
    assert found == dict.fromkeys(AUDITED_TABLES, 3)


def _policy(account):
    base = active_policy()
    fields = {f.name: getattr(base, f.name) for f in ScoringPolicy._meta.concrete_fields if f.name != "id"}
    return ScoringPolicy.objects.create(**{**fields, "version": "kas-audit", "is_active": False})


# table → (make a row for `account`, a field to change, its new value, the column as recorded)
AUDITED = {
    "accounts_account": (lambda a: AccountFactory(name="Audited"), "industry", "Chemicals", "industry"),
    "accounts_contact": (lambda a: ContactFactory(account=a), "job_title", "CFO", "job_title"),
    "accounts_order": (lambda a: OrderFactory(account=a), "net_amount", Decimal("12.50"), "net_amount"),
    "accounts_invoice": (lambda a: InvoiceFactory(account=a), "number", "INV-AUDIT", "number"),
    "accounts_keystatusoverride": (
        lambda a: KeyStatusOverride.objects.create(
            account=a, key_status="key", reason="A strategic partner in a reorganisation.", expires_on=TODAY
        ),
        "key_status",
        "strategic",
        "key_status",
    ),
    "accounts_scoringpolicy": (_policy, "description", "Audited policy", "description"),
    "relationships_ladderoverride": (
        lambda a: LadderOverride.objects.create(
            account=a, stage="client", reason="They buy through a distributor now.", expires_on=TODAY
        ),
        "stage",
        "supporter",
        "stage",
    ),
    "relationships_partnerproposal": (
        lambda a: PartnerProposal.objects.create(account=a, as_of=TODAY),
        "decision_note",
        "Not yet",
        "decision_note",
    ),
    "benefits_benefitgrant": (lambda a: BenefitGrantFactory(account=a), "value", Decimal("4.00"), "value"),
}


@pytest.mark.parametrize("table", sorted(AUDITED))
def test_insert_update_delete_are_recorded_with_the_changed_fields_only(table, account):
    make, field, value, column = AUDITED[table]
    # given a row created as someone
    with acting_as(label="tests"):
        row = make(account)
    created = entries(table_name=table, object_id=row.pk)
    assert [entry.action for entry in created] == ["insert"]
    # the new row as it is (a snapshot, not pairs): the audited field among its columns, nulls left out
    assert all(value is not None for value in created[0].changes.values())
    assert column in created[0].changes or getattr(row, field) is None
    assert not {"id", "created_at", "updated_at"} & created[0].changes.keys()
    assert all(old is None for old, _new in created[0].field_changes().values())
    expected_account = (
        row.pk if table == "accounts_account" else (None if table == "accounts_scoringpolicy" else account.pk)
    )
    assert created[0].account_id == expected_account
    # when one field changes (save() rewrites every column and updated_at)
    old = getattr(row, field)
    setattr(row, field, value)
    row.save()
    # then the entry holds that field alone, old and new
    changed = entries(table_name=table, object_id=row.pk, action="update")
    assert len(changed) == 1
    old_value = None if old is None else (str(old) if isinstance(old, datetime.date) else old)
    assert changed[0].changes == {column: [old_value, value]}
    # when it is saved again unchanged, nothing is recorded
    row.save()
    assert len(entries(table_name=table, object_id=row.pk, action="update")) == 1
    # when it is deleted, its last values are kept
    pk = row.pk
    type(row).objects.filter(pk=pk).delete()
    deleted = entries(table_name=table, object_id=pk, action="delete")
    assert len(deleted) == 1 and deleted[0].changes[column] == value
    assert deleted[0].field_changes()[column] == (value, None)


def test_team_changes_are_recorded_on_the_account(account, outsider):
    account.team.add(outsider)
    account.team.remove(outsider)
    found = [e for e in entries(table_name="accounts_account_team") if e.changes["user_id"] == outsider.pk]
    assert [(e.action, e.account_id, e.field_changes()["user_id"]) for e in found] == [
        ("insert", account.pk, (None, outsider.pk)),
        ("delete", account.pk, (outsider.pk, None)),
    ]


def test_a_rolled_back_change_leaves_no_entry(account):
    from django.db import transaction

    before = AuditEntry.objects.count()
    with transaction.atomic():
        OrderFactory(account=account)
        transaction.set_rollback(True)
    assert AuditEntry.objects.count() == before


def test_one_transaction_shares_its_transaction_id(account):
    from django.db import transaction

    with transaction.atomic():
        order = OrderFactory(account=account)
        Order.objects.filter(pk=order.pk).update(status="cancelled")
    first, second = entries(table_name="accounts_order", object_id=order.pk)
    assert first.transaction_id == second.transaction_id
    assert second.changes == {"status": ["confirmed", "cancelled"]}


# --- who ------------------------------------------------------------------------------------------------------------


def test_without_an_actor_the_change_is_the_systems(account):
    order = OrderFactory(account=account)
    (entry,) = entries(table_name="accounts_order", object_id=order.pk)
    assert (entry.actor_id, entry.actor_label, entry.request_id) == (None, "", "")


def contact_form(**overrides) -> dict:
    return {
        "name": "Pat Buyer",
        "job_title": "Head of purchasing",
        "email": "pat@example.com",
        "phone": "",
        "buying_role": "economic_buyer",
        "influence": "4",
        "attitude": "1",
        "is_active": "on",
        **overrides,
    }


def test_a_read_sets_no_actor_and_a_write_sets_and_resets_it(client, manager, account):
    # given a logged-in user
    client.force_login(manager)

    def actor_queries(method, url, data=None):
        with CaptureQueriesContext(connection) as captured:
            getattr(client, method)(url, data)
        return [q["sql"] for q in captured.captured_queries if "kam.actor_id" in q["sql"]]

    # when they read a page, then no query sets the actor (reads write no audited row)
    assert actor_queries("get", reverse("accounts:account_detail", args=[account.pk])) == []
    # when they write, then it is set once and reset once
    assert len(actor_queries("post", reverse("accounts:contact_create", args=[account.pk]), contact_form())) == 2
    assert actor_current() == NOBODY


def test_a_page_request_records_the_logged_in_user(client, manager, account):
    client.force_login(manager)
    response = client.post(reverse("accounts:contact_create", args=[account.pk]), contact_form())
    assert response.status_code == 302
    contact = Contact.objects.get(email="pat@example.com")
    (entry,) = entries(table_name="accounts_contact", object_id=contact.pk)
    assert (entry.actor_id, entry.actor_label, entry.account_id) == (manager.pk, "manager", account.pk)
    assert len(entry.request_id) == 32
    assert entry.changes["job_title"] == "Head of purchasing"


def test_an_api_token_request_and_its_bulk_upsert_record_the_tokens_user(api, integration, account):
    client = api(integration)
    batch = [
        {
            "account_external_id": "ERP-ACME",
            "external_id": f"SO-{n}",
            "order_date": "2025-03-01",
            "net_amount": "100.50",
        }
        for n in range(3)
    ]
    assert client.post("/api/v1/orders/bulk/", batch, format="json").status_code == 200
    batch[0]["net_amount"] = "120.00"
    assert client.post("/api/v1/orders/bulk/", batch, format="json").json()["unchanged"] == 2
    found = entries(table_name="accounts_order")
    assert [e.action for e in found] == ["insert", "insert", "insert", "update"]
    assert {(e.actor_id, e.actor_label) for e in found} == {(integration.pk, "erp (API token tests)")}
    assert found[-1].changes == {"net_amount": [Decimal("100.50"), Decimal("120.00")]}
    assert len({e.request_id for e in found}) == 2  # two requests


def test_a_celery_task_records_the_system_and_its_name(account):
    # given an approved grant that starts today
    grant = BenefitGrantFactory(
        account=AccountFactory(key_status="key"),
        status=GrantStatus.APPROVED,
        decided_by=director_factory(),
        decided_at=timezone.now(),
        committed_cost=Decimal("10"),
    )
    # when the daily task runs, as a worker runs it (apply: the task's signals fire in this process)
    result = benefits_lifecycle_task.apply()
    # then the activation is the system's, named by the task, with the task's id
    assert BenefitGrant.objects.get(pk=grant.pk).status == GrantStatus.ACTIVE
    entry = entries(table_name="benefits_benefitgrant", object_id=grant.pk, action="update")[-1]
    assert (entry.actor_id, entry.actor_label) == (None, "system: task benefits.lifecycle")
    assert entry.request_id == result.id
    assert entry.changes["status"] == ["approved", "active"]
    # and the worker's connection carries nobody afterwards
    assert setting("kam.actor_id")[0] == ""


ORDERS_HEADER = "account_external_id,external_id,order_date,net_amount,discount_pct,service_level,status\n"


def test_the_import_command_records_its_user(tmp_path, integration, account):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS_HEADER + "ERP-ACME,SO-1,2025-03-01,10.00,0,standard,confirmed\n")
    call_command("import_csv", "orders", str(path), "--user", "erp", stdout=io.StringIO(), stderr=io.StringIO())
    (entry,) = entries(table_name="accounts_order")
    assert (entry.actor_id, entry.actor_label) == (integration.pk, "manage.py import_csv --user erp")
    assert setting("kam.actor_label")[0] == ""


def test_an_import_job_records_its_requester(director, account):
    # given a director's uploaded file of two orders
    data = ORDERS_HEADER + "".join(f"ERP-ACME,SO-{n},2025-03-01,10.00,0,standard,confirmed\n" for n in range(2))
    job = ImportJob.objects.create(kind="orders", file_name="o.csv", data=data.encode(), requested_by=director)
    # when the worker imports it
    assert import_job_execute(job_id=job.pk).created == 2
    # then each row is the director's, named with the job
    found = entries(table_name="accounts_order")
    assert len(found) == 2
    assert {(e.actor_id, e.actor_label) for e in found} == {(director.pk, f"director (import job {job.pk})")}


def test_the_actor_does_not_leak_to_the_next_request_on_the_same_connection(client, manager, colleague, account):
    # given a request by the manager that wrote
    client.force_login(manager)
    client.post(reverse("accounts:contact_create", args=[account.pk]), contact_form())
    after_first = setting("kam.actor_id")
    # then, on the same connection, nobody is set any more
    assert after_first[0] == "" and actor_current() == NOBODY
    # when an anonymous request comes on that connection, then writes outside any request
    client.logout()
    client.get(reverse("accounts:account_list"))
    order = OrderFactory(account=account)
    assert entries(table_name="accounts_order", object_id=order.pk)[0].actor_id is None
    # and a request by someone else is theirs alone
    client.force_login(colleague)
    client.post(reverse("accounts:contact_create", args=[account.pk]), contact_form(email="sam@example.com"))
    contact = Contact.objects.get(email="sam@example.com")
    assert entries(table_name="accounts_contact", object_id=contact.pk)[0].actor_id == colleague.pk
    assert setting("kam.actor_id") == ("", after_first[1])  # the same backend: a persistent connection


def test_an_api_token_actor_does_not_leak_either(api, integration, account):
    api(integration).post(
        "/api/v1/orders/bulk/",
        [{"account_external_id": "ERP-ACME", "external_id": "SO-1", "order_date": "2025-03-01", "net_amount": "1"}],
        format="json",
    )
    assert setting("kam.actor_label")[0] == ""
    order = OrderFactory(account=account)
    assert entries(table_name="accounts_order", object_id=order.pk)[0].actor_label == ""


def test_acting_as_restores_the_actor_before(account, director):
    with acting_as(label="outer"):
        with acting_as(user=director, label="inner"):
            OrderFactory(account=account, external_id="IN")
        OrderFactory(account=account, external_id="OUT")
    assert actor_current() == NOBODY
    labels = {o.external_id: entries(table_name="accounts_order", object_id=o.pk)[0] for o in Order.objects.all()}
    assert (labels["IN"].actor_id, labels["IN"].actor_label) == (director.pk, "inner")
    assert (labels["OUT"].actor_id, labels["OUT"].actor_label) == (None, "outer")


# --- the account page -----------------------------------------------------------------------------------------------


def test_the_account_page_shows_who_changed_what(client, manager, account):
    # given a change by the manager
    client.force_login(manager)
    with acting_as(user=manager, label="manager"):
        Account.objects.filter(pk=account.pk).update(industry="Chemicals", updated_at=timezone.now())
        invoice = InvoiceFactory(account=account, number="INV-7")
    # when the account page is read
    content = client.get(account.get_absolute_url()).content.decode()
    # then its history shows who, what and old → new
    assert 'id="history"' in content
    assert "Industry:" in content and "Chemicals" in content and "→" in content
    assert f"Invoice #{invoice.pk}" in content and "INV-7" in content
    assert "manager" in content


def test_the_account_page_shows_the_newest_eight_changes_with_new_records_folded(client, manager, account):
    # given ten new orders on the account
    client.force_login(manager)
    orders = [OrderFactory(account=account, external_id=f"ORD-{n}") for n in range(10)]
    # when the account page is read
    response = client.get(account.get_absolute_url())
    content = response.content.decode()
    # then its History has the newest eight, each new record's values folded, and a link to all changes
    items = response.context["history"].items
    assert [item.entry.object_id for item in items] == [order.pk for order in reversed(orders)][:8]
    assert content.count('<details class="small mt-1"><summary class="text-body-secondary">') == 8
    assert reverse("accounts:account_history", args=[account.pk]) in content


def test_the_history_page_pages_through_older_changes(client, manager, account):
    # given 55 orders (and the account's own creation): more than a page of 50
    client.force_login(manager)
    orders = [OrderFactory(account=account) for _ in range(55)]
    url = reverse("accounts:account_history", args=[account.pk])
    # when the first page is read, then the newest 50, and a link to older ones
    first = client.get(url).context["history"]
    assert len(first.items) == 50 and first.older_than is not None
    assert f"?older_than={first.older_than}" in client.get(url).content.decode()
    # when the older ones are read, then the rest, and no further link
    second = client.get(url, {"older_than": first.older_than}).context["history"]
    assert second.older_than is None
    shown = [item.entry.object_id for item in first.items + second.items if item.entry.table_name == "accounts_order"]
    assert shown == [order.pk for order in reversed(orders)]


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "9" * 30])
def test_a_bad_older_than_is_a_400_naming_it(client, manager, account, value):
    client.force_login(manager)
    response = client.get(reverse("accounts:account_history", args=[account.pk]), {"older_than": value})
    assert response.status_code == 400 and b"older_than" in response.content


def test_outsiders_get_a_404_for_the_history(client, outsider, account):
    client.force_login(outsider)
    assert client.get(reverse("accounts:account_history", args=[account.pk])).status_code == 404
    assert client.get(account.get_absolute_url()).status_code == 404


def test_the_history_page_needs_a_login(client, account):
    response = client.get(reverse("accounts:account_history", args=[account.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def history_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_history_costs_the_same_queries_for_1_and_10_changes(client, manager, account):
    client.force_login(manager)
    url = reverse("accounts:account_history", args=[account.pk])
    other = UserFactory(username="other")

    def change(n):
        for _ in range(n):
            Account.objects.filter(pk=account.pk).update(owner=other if account.owner_id == manager.pk else manager)
            Account.objects.filter(pk=account.pk).update(owner=manager)
            OrderFactory(account=account)

    change(1)
    one = history_queries(client, url)
    page_one = history_queries(client, account.get_absolute_url())
    change(10)
    assert history_queries(client, url) == one
    assert history_queries(client, account.get_absolute_url()) == page_one


# --- the admin ------------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(db, client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_admin_lists_filters_and_searches_but_never_writes(admin_client, account):
    order = OrderFactory(account=account)
    entry = entries(table_name="accounts_order", object_id=order.pk)[0]
    changelist = reverse("admin:audit_auditentry_changelist")
    assert admin_client.get(changelist).status_code == 200
    for query in ({"table_name": "accounts_order"}, {"action__exact": "insert"}, {"q": str(account.pk)}, {"q": "sys"}):
        response = admin_client.get(changelist, query)
        assert response.status_code == 200, query
    # a number is an account's id: its changes and its records'
    assert entry in admin_client.get(changelist, {"q": str(account.pk)}).context["cl"].result_list
    assert admin_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])
    assert admin_client.get(change).status_code == 200  # read-only view
    assert admin_client.post(change, {"actor_label": "forged"}).status_code == 403
    assert (
        admin_client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    )
    assert AuditEntry.objects.get(pk=entry.pk).actor_label == ""
