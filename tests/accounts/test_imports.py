"""CSV import (issue 8): every kind imports and upserts; a file with one bad row writes nothing and says where;
malformed files are clean errors; who may import; the command, the page and the API."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.choices import ImportJobStatus
from accounts.imports import ERRORS_KEPT, import_csv, import_job_execute
from accounts.models import Account, Contact, ImportJob, Invoice, Order
from tests.factories import AccountFactory, ContactFactory, OrderFactory

pytestmark = pytest.mark.django_db

ORDERS_HEADER = "account_external_id,external_id,order_date,net_amount,discount_pct,service_level,status\n"


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def orders_csv(*rows: str) -> io.BytesIO:
    return csv_file(ORDERS_HEADER + "".join(f"{row}\n" for row in rows))


def good_order(n: int, amount: str = "1000.50") -> str:
    return f"ERP-ACME,SO-{n:05d},2025-03-01,{amount},2.5,premium,fulfilled"


def errors_of(result) -> list[tuple[int, str, str]]:
    return [(error.line, error.field, error.message) for error in result.errors]


# --- each kind: created, then unchanged, then updated ---------------------------------------------------------


def test_orders_import_creates_then_leaves_unchanged_then_updates(integration, account):
    # given a file of three orders of an account known by its external id
    rows = [good_order(1), good_order(2), good_order(3)]
    # when it is imported
    first = import_csv(kind="orders", file=orders_csv(*rows), actor=integration)
    # then the three orders exist with the file's values
    assert first.ok, errors_of(first)
    assert (first.rows, first.created, first.updated, first.unchanged) == (3, 3, 0, 0)
    order = Order.objects.get(external_id="SO-00002")
    assert order.account == account
    assert (order.order_date, order.net_amount, order.discount_pct) == (
        datetime.date(2025, 3, 1),
        Decimal("1000.50"),
        Decimal("2.50"),
    )
    assert (order.service_level, order.status) == ("premium", "fulfilled")
    stamp = order.updated_at

    # when the same file is imported again, then nothing changes (not even updated_at)
    again = import_csv(kind="orders", file=orders_csv(*rows), actor=integration)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    order.refresh_from_db()
    assert order.updated_at == stamp

    # when one amount changed, then that order alone is updated
    changed = import_csv(kind="orders", file=orders_csv(rows[0], good_order(2, "99.00"), rows[2]), actor=integration)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    order.refresh_from_db()
    assert order.net_amount == Decimal("99.00")
    assert order.updated_at > stamp


def test_orders_optional_columns_take_defaults_and_absent_columns_are_kept(director, account):
    # given an order with a premium service level
    OrderFactory(account=account, external_id="SO-1", service_level="premium", net_amount=Decimal(5))
    # when a file without the service_level column updates its amount and adds an order with empty cells
    file = csv_file("account_external_id,external_id,order_date,net_amount,discount_pct\n")
    file = csv_file(file.getvalue().decode() + "ERP-ACME,SO-1,2025-01-02,7,\nERP-ACME,SO-2,2025-01-03,8,\n")
    result = import_csv(kind="orders", file=file, actor=director)
    # then the existing order keeps its service level, the new one has the defaults
    assert (result.created, result.updated) == (1, 1), errors_of(result)
    assert Order.objects.get(external_id="SO-1").service_level == "premium"
    new = Order.objects.get(external_id="SO-2")
    assert (new.service_level, new.status, new.discount_pct) == ("standard", "confirmed", Decimal(0))


def test_invoices_import_and_upsert(integration, account):
    header = "account_external_id,external_id,number,issue_date,due_date,amount,paid_date,status\n"
    text = header + "ERP-ACME,IN-1,R-1,2025-03-01,2025-03-31,1190.00,2025-03-20,paid\n"
    text += "ERP-ACME,IN-2,R-2,2025-03-01,2025-03-31,500,,open\n"
    result = import_csv(kind="invoices", file=csv_file(text), actor=integration)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0), errors_of(result)
    assert Invoice.objects.get(external_id="IN-1").paid_date == datetime.date(2025, 3, 20)
    again = import_csv(
        kind="invoices", file=csv_file(text.replace("500,,open", "500,2025-04-02,paid")), actor=integration
    )
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1), errors_of(again)
    assert Invoice.objects.get(external_id="IN-2").status == "paid"


def test_accounts_import_creates_updates_and_assigns_owners(director, manager):
    text = (
        "external_id,name,kind,country,owner_username,payment_terms_days,credit_limit,is_active\n"
        "ACC-1,Globex,customer,de,manager,45,10000,yes\n"
        "ACC-2,Initech,supplier,,,30,,false\n"
    )
    result = import_csv(kind="accounts", file=csv_file(text), actor=director)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0), errors_of(result)
    globex = Account.objects.get(external_id="ACC-1")
    assert (globex.name, globex.country, globex.owner, globex.payment_terms_days) == ("Globex", "DE", manager, 45)
    assert (globex.stage, globex.key_status) == ("prospect", "standard")
    initech = Account.objects.get(external_id="ACC-2")
    assert (initech.kind, initech.is_active, initech.owner, initech.credit_limit) == ("supplier", False, None, None)
    again = import_csv(kind="accounts", file=csv_file(text.replace("Initech", "Initech AG")), actor=director)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1), errors_of(again)


def test_integration_may_not_assign_owners_but_may_repeat_them(integration, account, manager, director):
    # given an account owned by the manager
    # when the ERP's file names that owner again, then all is well
    same = f"external_id,name,owner_username\n{account.external_id},Acme Industries,manager\n"
    assert import_csv(kind="accounts", file=csv_file(same), actor=integration).ok
    # when it names another owner, then the row is refused on owner_username
    other = f"external_id,name,owner_username\n{account.external_id},Acme Industries,director\n"
    result = import_csv(kind="accounts", file=csv_file(other), actor=integration)
    assert errors_of(result) == [(2, "owner_username", "Only a KAM director can assign an account's owner.")]
    # and a file without the owner column leaves the owner alone
    assert import_csv(kind="accounts", file=csv_file("external_id,name\nERP-ACME,Acme\n"), actor=integration).ok
    account.refresh_from_db()
    assert (account.name, account.owner) == ("Acme", manager)


def test_owner_must_be_an_active_manager_or_director(director, integration):
    text = "external_id,name,owner_username\nA-1,One,nobody\nA-2,Two,erp\n"
    result = import_csv(kind="accounts", file=csv_file(text), actor=director)
    assert errors_of(result) == [
        (2, "owner_username", "No user has this username."),
        (3, "owner_username", "“erp” is not an active account manager or director."),
    ]


def test_contacts_import_keyed_by_account_and_email(integration, account):
    ContactFactory(account=account, email="ann@acme.example", name="Ann", influence=2)
    text = (
        "account_external_id,email,name,buying_role,influence,attitude\n"
        "ERP-ACME,ANN@acme.example,Ann Smith,economic_buyer,5,2\n"
        "ERP-ACME,bob@acme.example,Bob,,,\n"
    )
    result = import_csv(kind="contacts", file=csv_file(text), actor=integration)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0), errors_of(result)
    ann = Contact.objects.get(account=account, email__iexact="ann@acme.example")
    assert (ann.name, ann.influence, ann.attitude, ann.buying_role) == ("Ann Smith", 5, 2, "economic_buyer")
    bob = Contact.objects.get(email="bob@acme.example")
    assert (bob.buying_role, bob.influence, bob.attitude) == ("other", 3, 0)
    again = import_csv(kind="contacts", file=csv_file(text), actor=integration)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


# --- all or nothing -------------------------------------------------------------------------------------------------


def test_one_bad_row_among_good_ones_writes_nothing(integration, account):
    # given a file whose third data row has an amount that is not a number
    file = orders_csv(good_order(1), good_order(2), "ERP-ACME,SO-3,2025-03-01,12x,0,standard,confirmed", good_order(4))
    # when it is imported
    result = import_csv(kind="orders", file=file, actor=integration)
    # then nothing is written and the report names the line and the field
    assert not result.ok
    assert errors_of(result) == [(4, "net_amount", "“12x” is not a decimal number.")]
    assert not Order.objects.exists()
    assert (result.created, result.updated) == (0, 0)


def test_every_kind_of_row_error_is_reported_with_its_line_and_field(director, account):
    # given rows each breaking one rule: types, choices, ranges, references, the model's constraints, the key
    file = orders_csv(
        good_order(1),
        ",SO-2,2025-03-01,1,0,standard,confirmed",  # 3: no account
        "NOPE,SO-3,2025-03-01,1,0,standard,confirmed",  # 4: unknown account
        "ERP-ACME,SO-4,2025-02-30,1,0,standard,confirmed",  # 5: no such date
        "ERP-ACME,SO-5,2025-03-01,-1,0,standard,confirmed",  # 6: negative amount
        "ERP-ACME,SO-6,2025-03-01,1,101,standard,confirmed",  # 7: discount over 100
        "ERP-ACME,SO-7,2025-03-01,1,0,gold,confirmed",  # 8: unknown service level
        "ERP-ACME,SO-8,2025-03-01,1.234,0,standard,confirmed",  # 9: too many decimals
        "ERP-ACME,,2025-03-01,1,0,standard,confirmed",  # 10: no external id
        good_order(1),  # 11: the key again
    )
    result = import_csv(kind="orders", file=file, actor=director)
    assert errors_of(result) == [
        (3, "account_external_id", "This field is required."),
        (4, "account_external_id", "No account has this external id."),
        (5, "order_date", "“2025-02-30” is not a date (YYYY-MM-DD)."),
        (6, "net_amount", "Ensure this value is greater than or equal to 0."),
        (7, "discount_pct", "Ensure this value is less than or equal to 100."),
        (8, "service_level", "“gold” is not one of: standard, enhanced, premium."),
        (9, "net_amount", "Ensure that there are no more than 2 decimal places."),
        (10, "external_id", "This field is required."),
        (11, "external_id", "Appears more than once in this file (first on line 2)."),
    ]
    assert result.error_count == 9
    assert not Order.objects.exists()


def test_check_constraints_between_fields_are_row_errors(integration, account):
    header = "account_external_id,external_id,number,issue_date,due_date,amount,paid_date,status\n"
    text = header + (
        "ERP-ACME,IN-1,R-1,2025-03-01,2025-02-01,10,,open\n"  # due before issue
        "ERP-ACME,IN-2,R-2,2025-03-01,2025-03-31,10,,paid\n"  # paid without paid_date
        "ERP-ACME,IN-3,R-3,2025-03-01,2025-03-31,0,,open\n"  # amount not positive
        "ERP-ACME,IN-4,R-4,2025-03-01,2025-03-31,10,2025-13-01,paid\n"  # a bad date: its own error only
    )
    result = import_csv(kind="invoices", file=csv_file(text), actor=integration)
    assert errors_of(result) == [
        (2, "due_date", "The due date may not be before the issue date."),
        (3, "paid_date", "A paid invoice needs its paid date, and only a paid invoice has one."),
        (4, "amount", "Ensure this value is greater than or equal to 0.01."),
        (5, "paid_date", "“2025-13-01” is not a date (YYYY-MM-DD)."),
    ]
    assert not Invoice.objects.exists()


def test_contact_and_account_constraints_are_row_errors(director, account):
    text = (
        "account_external_id,email,name,influence,attitude\n"
        "ERP-ACME,a@x.example,,3,0\n"
        "ERP-ACME,not-an-email,B,3,0\n"
        "ERP-ACME,c@x.example,C,9,0\n"
        "ERP-ACME,d@x.example,D,3,-3\n"
        "ERP-ACME,E@x.example,E,3,0\n"
        "ERP-ACME,e@x.example,E,3,0\n"
    )
    result = import_csv(kind="contacts", file=csv_file(text), actor=director)
    assert errors_of(result) == [
        (2, "name", "This field is required."),
        (3, "email", "Enter a valid email address."),
        (4, "influence", "Ensure this value is less than or equal to 5."),
        (5, "attitude", "Ensure this value is greater than or equal to -2."),
        (7, "email", "Appears more than once in this file (first on line 6)."),
    ]
    text = "external_id,name,country,payment_terms_days,kind\nA-1,One,Germany,400,partner\n"
    result = import_csv(kind="accounts", file=csv_file(text), actor=director)
    assert errors_of(result) == [
        (2, "country", "Use the two-letter ISO 3166 country code, e.g. DE."),
        (2, "payment_terms_days", "Ensure this value is less than or equal to 365."),
        (2, "kind", "“partner” is not one of: customer, supplier."),
    ]


def test_the_report_is_capped_but_counts_every_error(integration, account):
    rows = [f"ERP-ACME,SO-{n},not a date,1,0,standard,confirmed" for n in range(ERRORS_KEPT + 5)]
    result = import_csv(kind="orders", file=orders_csv(*rows), actor=integration)
    assert len(result.errors) == ERRORS_KEPT
    assert result.error_count == ERRORS_KEPT + 5


# --- the file itself ------------------------------------------------------------------------------------------------


def test_unknown_and_missing_columns_are_named(integration):
    file = csv_file("account_external_id,external_id,order_date,amount,colour\nERP-ACME,SO-1,2025-01-01,1,red\n")
    result = import_csv(kind="orders", file=file, actor=integration)
    messages = [error.message for error in result.errors]
    assert result.errors[0].line == 1
    assert messages[0].startswith("Unknown column(s): 'amount', 'colour'.")
    assert messages[1] == "Missing required column(s): net_amount."


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"", 1, "The file is empty: its first line must name the columns."),
        (ORDERS_HEADER.encode() + b"ERP-ACME,SO-1,2025-01-01,1,0,standard,confirmed,extra\n", 2, "more values"),
        (ORDERS_HEADER.encode() + b"ERP-ACME,SO-1,2025-01-01\n", 2, "fewer values"),
        (ORDERS_HEADER.encode() + b'ERP-ACME,SO-1,2025-01-01,1,0,"standard,confirmed\n', 3, "never closed"),
        (ORDERS_HEADER.encode() + b"ERP-ACME,SO-\xff,2025-01-01,1,0,standard,confirmed\n", 2, "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1, "not UTF-8"),
    ],
)
def test_malformed_files_are_clean_errors_naming_the_line(integration, account, content, line, message):
    result = import_csv(kind="orders", file=io.BytesIO(content), actor=integration)
    assert not result.ok
    assert result.errors[0].line == line
    assert message in result.errors[0].message
    assert not Order.objects.exists()


def test_a_byte_order_mark_and_crlf_line_ends_are_fine(integration, account):
    text = ORDERS_HEADER.replace("\n", "\r\n") + good_order(1) + "\r\n"
    result = import_csv(kind="orders", file=io.BytesIO(b"\xef\xbb\xbf" + text.encode()), actor=integration)
    assert (result.ok, result.created) == (True, 1), errors_of(result)


def test_progress_counts_the_bytes_read_then_names_the_phases(integration, account):
    data = (ORDERS_HEADER + good_order(1) + "\n").encode()
    seen = []
    import_csv(kind="orders", file=io.BytesIO(data), actor=integration, progress=lambda *event: seen.append(event))
    assert seen[0] == ("reading", len(data), len(data))
    assert [phase for phase, _done, _total in seen[1:]] == ["validating", "writing"]


# --- who may import ---------------------------------------------------------------------------------------------------


def test_managers_may_not_import(manager, account):
    with pytest.raises(PermissionDenied):
        import_csv(kind="orders", file=orders_csv(good_order(1)), actor=manager)
    assert not Order.objects.exists()


def test_directors_import(director, account):
    assert import_csv(kind="orders", file=orders_csv(good_order(1)), actor=director).created == 1


def test_orders_written_have_their_accounts_ladder_evaluated(integration, account, django_capture_on_commit_callbacks):
    other = AccountFactory(external_id="ERP-OTHER")
    OrderFactory(account=other, external_id="SO-00001")
    with django_capture_on_commit_callbacks() as callbacks:
        import_csv(kind="orders", file=orders_csv(good_order(1)), actor=integration)
    # one evaluation batch naming the account the order moved to and the one it moved from
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks() as callbacks:
        import_csv(kind="orders", file=orders_csv(good_order(1)), actor=integration)
    assert callbacks == []  # nothing changed, nothing to evaluate


# --- the command ----------------------------------------------------------------------------------------------------


def test_command_imports_a_file_and_prints_a_summary(tmp_path, account, integration):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS_HEADER + good_order(1) + "\n" + good_order(2) + "\n")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_csv", "orders", str(path), "--user", "erp", stdout=out, stderr=err)
    assert "orders: 2 rows — 2 created, 0 updated, 0 unchanged" in out.getvalue()
    assert "validating" in err.getvalue() and "writing" in err.getvalue()
    assert Order.objects.count() == 2


def test_command_prints_every_error_and_fails(tmp_path, account):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS_HEADER + good_order(1) + "\nERP-ACME,SO-2,2025-03-01,-5,0,standard,confirmed\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"1 error\(s\) in 2 rows; nothing was written"):
        call_command("import_csv", "orders", str(path), stdout=out, stderr=io.StringIO())
    assert "line 3: net_amount: Ensure this value is greater than or equal to 0." in out.getvalue()
    assert not Order.objects.exists()


def test_command_refuses_a_manager_and_a_missing_file(tmp_path, manager):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS_HEADER)
    with pytest.raises(CommandError, match="directors and integrations"):
        call_command("import_csv", "orders", str(path), "--user", "manager", stderr=io.StringIO())
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_csv", "orders", str(tmp_path / "nope.csv"), stderr=io.StringIO())


def test_command_exit_code_is_non_zero_when_invalid(tmp_path, account):
    path = tmp_path / "orders.csv"
    path.write_text("colour\nred\n")
    with pytest.raises(SystemExit) as exit_info:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["manage.py", "import_csv", "orders", str(path)])
    assert exit_info.value.code == 1


# --- the page ---------------------------------------------------------------------------------------------------------


def upload(name: str, text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_director_uploads_a_file_and_the_worker_imports_it(
    client, director, account, django_capture_on_commit_callbacks
):
    client.force_login(director)
    # when a director uploads a file of orders
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/imports/", {"kind": "orders", "file": upload("o.csv", ORDERS_HEADER + good_order(1))})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    assert (job.status, job.file_name, job.requested_by) == (ImportJobStatus.QUEUED, "o.csv", director)
    assert len(callbacks) == 1  # the worker's task, once the upload commits
    # the page shows it queued and polls
    page = client.get(f"/imports/{job.pk}/")
    assert page.status_code == 200 and b"hx-trigger" in page.content
    # when the worker runs it
    job = import_job_execute(job_id=job.pk)
    assert (job.status, job.created, job.data) == (ImportJobStatus.SUCCEEDED, 1, b"")
    assert Order.objects.filter(external_id="SO-00001").exists()
    # then the list shows it and the status panel stops polling
    assert b"o.csv" in client.get("/imports/").content
    assert b"hx-trigger" not in client.get(f"/imports/{job.pk}/status/").content


def test_the_job_page_shows_row_errors_and_offers_them_as_csv(client, director, account):
    client.force_login(director)
    client.post(
        "/imports/",
        {
            "kind": "orders",
            "file": upload(
                "bad.csv", ORDERS_HEADER + good_order(1) + "\nERP-ACME,X,2025-03-01,abc,0,standard,confirmed\n"
            ),
        },
    )
    job = import_job_execute(job_id=ImportJob.objects.get().pk)
    assert (job.status, job.error_count) == (ImportJobStatus.FAILED, 1)
    assert not Order.objects.exists()
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "“abc” is not a decimal number." in page and "Download errors as CSV" in page
    errors = client.get(f"/imports/{job.pk}/errors.csv")
    assert errors["Content-Type"].startswith("text/csv")
    assert errors.content.decode().splitlines() == ["line,field,message", "3,net_amount,“abc” is not a decimal number."]


def test_a_file_with_the_wrong_columns_is_refused_on_upload(client, director):
    client.force_login(director)
    response = client.post("/imports/", {"kind": "orders", "file": upload("x.csv", "colour\nred\n")})
    assert response.status_code == 400
    assert "Unknown column(s): &#x27;colour&#x27;" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_list_of_imports_costs_the_same_queries_for_1_and_10_jobs(client, director, integration):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(director)
    counts = []
    for n in (1, 10):
        ImportJob.objects.all().delete()
        for _ in range(n):
            ImportJob.objects.create(kind="orders", file_name="o.csv", requested_by=integration)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/imports/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("persona", ["manager", "integration"])
def test_only_directors_use_the_pages(client, request, persona, director):
    job = ImportJob.objects.create(kind="orders", file_name="o.csv", requested_by=director)
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/imports/").status_code == 403
    assert client.post("/imports/", {"kind": "orders", "file": upload("o.csv", ORDERS_HEADER)}).status_code == 403
    assert client.get(f"/imports/{job.pk}/").status_code == 403
    assert client.get(f"/imports/{job.pk}/errors.csv").status_code == 403


def test_an_unknown_job_is_a_404(client, director):
    client.force_login(director)
    assert client.get("/imports/999999/").status_code == 404


def test_the_status_panel_shows_how_much_of_the_file_is_read(client, director):
    # given a job reading its file
    job = ImportJob.objects.create(
        kind="orders", file_name="o.csv", file_size=2048, requested_by=director, status="running", phase="reading"
    )
    ImportJob.objects.filter(pk=job.pk).update(progress=40)
    client.force_login(director)
    # when the page polls its status
    response = client.get(f"/imports/{job.pk}/status/", HTTP_HX_REQUEST="true")
    # then the bar shows the share read, the first step runs, and the panel asks again in 2 seconds
    content = response.content.decode()
    assert response.status_code == 200 and "<html" not in content
    assert '<progress class="kam-progress" max="100" value="40" aria-label="Import progress"' in content
    assert "40% of 2.0\xa0KB read" in content
    assert 'class="kam-step kam-step-running" aria-current="step"' in content and "Read the file" in content
    assert f'hx-get="/imports/{job.pk}/status/" hx-trigger="every 2s"' in content


def test_the_status_panel_counts_the_rows_being_checked(client, director):
    job = ImportJob.objects.create(
        kind="orders", file_name="o.csv", requested_by=director, status="running", phase="validating", rows=1200
    )
    client.force_login(director)
    content = client.get(f"/imports/{job.pk}/status/").content.decode()
    assert "Checking 1,200 rows…" in content
    assert content.count("kam-step-done") == 1 and "hx-trigger" in content


def test_the_status_panel_of_a_finished_job_has_its_counts_and_stops_polling(client, director):
    job = ImportJob.objects.create(
        kind="orders",
        file_name="o.csv",
        requested_by=director,
        status="succeeded",
        rows=3,
        created=2,
        updated=1,
        progress=100,
    )
    client.force_login(director)
    content = client.get(f"/imports/{job.pk}/status/").content.decode()
    assert "Imported</strong>: 3 rows — 2 created, 1 updated, 0 unchanged." in content
    assert content.count("kam-step-done") == 3
    assert "hx-trigger" not in content and "<progress" not in content


def test_the_status_panel_is_for_directors_and_known_jobs(client, manager, director):
    job = ImportJob.objects.create(kind="orders", file_name="o.csv", requested_by=director, status="running")
    client.force_login(manager)
    assert client.get(f"/imports/{job.pk}/status/", HTTP_HX_REQUEST="true").status_code == 403
    client.force_login(director)
    assert client.get("/imports/999999/status/", HTTP_HX_REQUEST="true").status_code == 404


# --- the API ----------------------------------------------------------------------------------------------------------

API = "/api/v1/imports/"


def test_integration_uploads_through_the_api_and_follows_its_job(api, integration, account):
    client = api(integration)
    response = client.post(
        API, {"kind": "orders", "file": upload("o.csv", ORDERS_HEADER + good_order(1))}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["kind"], body["file_name"]) == ("queued", "orders", "o.csv")
    assert response["Location"].endswith(f"{API}{body['id']}/")
    import_job_execute(job_id=body["id"])
    job = client.get(f"{API}{body['id']}/").json()
    assert (job["status"], job["created"], job["errors"]) == ("succeeded", 1, [])


def test_api_answers_bad_uploads_with_400(api, integration):
    client = api(integration)
    response = client.post(API, {"kind": "orders", "file": upload("x.csv", "colour\n")}, format="multipart")
    assert response.status_code == 400
    assert "Unknown column(s)" in response.json()["file"][0]
    assert client.post(API, {"kind": "planets", "file": upload("x.csv", "a\n")}, format="multipart").status_code == 400
    assert client.post(API, {"kind": "orders"}, format="multipart").status_code == 400
    assert client.post(API, {"kind": "orders"}, format="json").status_code == 415


def test_api_row_errors_are_on_the_job(api, director, account):
    client = api(director)
    text = ORDERS_HEADER + "ERP-ACME,SO-1,2025-03-01,1,0,standard,lost\n"
    job_id = client.post(API, {"kind": "orders", "file": upload("o.csv", text)}, format="multipart").json()["id"]
    import_job_execute(job_id=job_id)
    job = client.get(f"{API}{job_id}/").json()
    assert job["status"] == "failed"
    assert job["errors"] == [
        {"line": 2, "field": "status", "message": "“lost” is not one of: confirmed, fulfilled, cancelled."}
    ]


def test_api_permissions(api, manager, integration, director):
    assert (
        api(manager)
        .post(API, {"kind": "orders", "file": upload("o.csv", ORDERS_HEADER)}, format="multipart")
        .status_code
        == 403
    )
    theirs = ImportJob.objects.create(kind="orders", file_name="o.csv", requested_by=director)
    mine = ImportJob.objects.create(kind="orders", file_name="o.csv", requested_by=integration)
    assert api(integration).get(f"{API}{mine.pk}/").status_code == 200
    assert api(integration).get(f"{API}{theirs.pk}/").status_code == 404  # another's job
    assert api(manager).get(f"{API}{mine.pk}/").status_code == 404
    assert api(director).get(f"{API}{mine.pk}/").status_code == 200
    assert api(director).get(f"{API}999999/").status_code == 404
