"""CSV export (issue 8): every API list and every list page downloads its whole filtered set as CSV, and a
manager's download holds only what the manager may see (export visibility)."""

from __future__ import annotations

import csv
import datetime
import html
import io
import json
import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone
from rest_framework import mixins

from accounts.models import Account
from benefits.models import BenefitType
from kam import webhooks
from kam.api import urls as api_urls
from kam.api.csv import csv_resource
from kam.api_tokens import api_token_create
from kam.csv_export import csv_cell
from kam.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from relationships.models import LadderOverride, PartnerProposal
from tests.benefits.factories import BenefitBudgetFactory, BenefitGrantFactory
from tests.factories import (
    AccountFactory,
    AccountPlanFactory,
    ActionItemFactory,
    AdvocacyEventFactory,
    ContactFactory,
    ContractFactory,
    FeedbackFactory,
    InteractionFactory,
    InvoiceFactory,
    NotificationFactory,
    OrderFactory,
    PlanObjectiveFactory,
    ScoringRunFactory,
    SwotItemFactory,
)

pytestmark = pytest.mark.django_db


def parse(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))


def as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


def list_routes() -> list[tuple[str, bool]]:
    """Every list operation of the API: (URL name, whether it needs an account id)."""
    routes = []
    for pattern in api_urls.urlpatterns:
        assert not isinstance(pattern, URLResolver)
        assert isinstance(pattern, URLPattern)
        view = pattern.callback
        actions = getattr(view, "actions", None)
        if actions is not None:
            is_list = actions.get("get") == "list"
        else:
            is_list = issubclass(view.view_class, mixins.ListModelMixin)
        if is_list:
            routes.append((pattern.name, "<int:pk>" in str(pattern.pattern)))
    return routes


LIST_ROUTES = list_routes()


def test_the_walk_finds_the_lists():
    names = {name for name, _ in LIST_ROUTES}
    assert {"account-list", "order-list", "grant-list", "account-scores", "webhook-delivery-list"} <= names
    assert "account-score" not in names and "order-bulk" not in names  # an object and a write


@pytest.fixture
def everything(manager, colleague, outsider, director, account, outsider_account):
    """A row or more in every list a director reads."""
    for owned in (account, outsider_account):
        contact = ContactFactory(account=owned)
        OrderFactory(account=owned)
        InvoiceFactory(account=owned)
        FeedbackFactory(account=owned, contact=contact)
        AdvocacyEventFactory(account=owned)
        ContractFactory(account=owned)
        InteractionFactory(account=owned, contacts=[contact])
        plan = AccountPlanFactory(account=owned)
        PlanObjectiveFactory(plan=plan)
        SwotItemFactory(plan=plan)
        ActionItemFactory(plan=plan)
        BenefitGrantFactory(account=owned)
    ScoringRunFactory()
    BenefitBudgetFactory()
    NotificationFactory(recipient=director)
    webhooks.webhook_subscription_create(
        actor=director,
        values={"name": "ERP", "url": "https://erp.example.com/hook", "events": ["account.key_status_changed"]},
    )
    return account


@pytest.mark.parametrize(("name", "per_account"), LIST_ROUTES, ids=[name for name, _ in LIST_ROUTES])
def test_every_api_list_answers_csv_with_every_row(api, director, everything, name, per_account):
    # given a director and some rows in every list (a new list is walked too: it cannot forget CSV)
    client = api(director)
    url = reverse(f"api:{name}", kwargs={"pk": everything.pk} if per_account else {})
    listed = client.get(url, {"page_size": 1})
    assert listed.status_code == 200, listed.content
    # when the list is asked for CSV, by format and by Accept
    by_format = client.get(url, {"format": "csv", "page_size": 1})
    by_accept = client.get(url, {"page_size": 1}, HTTP_ACCEPT="text/csv")
    # then both are the whole list (not one page), a header and one line per row, as a download
    for response in (by_format, by_accept):
        assert response.status_code == 200
        assert response.streaming
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        today = timezone.localdate()
        assert response["Content-Disposition"] == f'attachment; filename="{csv_resource(url)}-{today}.csv"'
        header, *rows = parse(response)
        assert "id" in header or "account" in header
        assert len(rows) == listed.json()["count"]
    assert parse(by_format) == parse(by_accept)
    # and the schema says so
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    path = "/" + url.strip("/").replace(f"/{everything.pk}/", "/{id}/") + "/"
    operation = schema["paths"][path]["get"]
    assert "text/csv" in operation["responses"]["200"]["content"]
    assert "format" in [parameter["name"] for parameter in operation["parameters"]]


def test_every_list_has_rows_in_the_walk(api, director, everything):
    # The walk above means something only when the lists are not empty.
    client = api(director)
    empty = [
        name
        for name, per_account in LIST_ROUTES
        if not client.get(reverse(f"api:{name}", kwargs={"pk": everything.pk} if per_account else {})).json()["count"]
    ]
    # Scores, ladder overrides, partner proposals, costs, deliveries and tokens need a run or a flow of their own.
    assert set(empty) <= {
        "account-scores",
        "ladder-override-list",
        "partner-proposal-list",
        "benefit-cost-list",
        "webhook-delivery-list",
    }


def test_csv_has_the_lists_filters_and_ordering(api, director, manager):
    # given accounts of both kinds
    for name in ("Delta", "alpha", "Charlie", "Bravo"):
        AccountFactory(name=name, owner=manager)
    AccountFactory(name="Supplier Co", kind="supplier", owner=manager)
    client = api(director)
    query = {"kind": "customer", "ordering": "-name", "page_size": 2}
    # when the filtered, ordered list is read as JSON (every page) and as CSV
    listed = client.get(reverse("api:account-list"), {**query, "page_size": 500}).json()
    exported = as_dicts(parse(client.get(reverse("api:account-list"), {**query, "format": "csv"})))
    # then the CSV has the same rows in the same order
    assert listed["count"] == 4
    assert [row["name"] for row in exported] == [row["name"] for row in listed["results"]]
    assert [row["id"] for row in exported] == [str(row["id"]) for row in listed["results"]]


def test_nested_values_are_flattened_and_foreign_keys_are_ids(api, director, manager, colleague, account):
    # given an account with an owner and a team
    exported = as_dicts(parse(api(director).get(reverse("api:account-list"), {"format": "csv"})))
    # then the owner is an id, the team the JSON list of ids, booleans and nulls as JSON would have them
    (row,) = exported
    assert row["owner"] == str(manager.pk)
    assert json.loads(row["team"]) == [colleague.pk]
    assert row["is_active"] == "true"
    assert row["annual_potential"] == ""


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("account-list", lambda owned: owned),
        ("order-list", lambda owned: OrderFactory(account=owned)),
        ("invoice-list", lambda owned: InvoiceFactory(account=owned)),
        ("contact-list", lambda owned: ContactFactory(account=owned)),
        ("grant-list", lambda owned: BenefitGrantFactory(account=owned)),
        ("interaction-list", lambda owned: InteractionFactory(account=owned)),
        ("account-plan-list", lambda owned: AccountPlanFactory(account=owned)),
    ],
)
def test_export_visibility_a_managers_csv_holds_only_their_accounts(
    api, manager, colleague, outsider, account, outsider_account, name, make
):
    # given a record of the manager's account and one of another manager's
    mine, theirs = make(account), make(outsider_account)
    # when each manager (and a colleague on the team) exports the list
    for user, sees, hidden in ((manager, mine, theirs), (colleague, mine, theirs), (outsider, theirs, mine)):
        rows = as_dicts(parse(api(user).get(reverse(f"api:{name}"), {"format": "csv"})))
        # then the CSV holds exactly the rows of the accounts they see
        assert [row["id"] for row in rows] == [str(sees.pk)], (user, name)
        assert str(hidden.pk) not in {row["id"] for row in rows}


def test_formula_cells_are_neutralised_and_numbers_are_not(api, director, manager):
    # given an account whose name a spreadsheet would run, and a negative amount written as text
    AccountFactory(name='=HYPERLINK("https://evil.example","x")', owner=manager, industry="@SUM(A1)")
    # when it is exported
    (row,) = as_dicts(parse(api(director).get(reverse("api:account-list"), {"format": "csv"})))
    # then text starting with a formula character is quoted with an apostrophe
    assert row["name"] == '\'=HYPERLINK("https://evil.example","x")'
    assert row["industry"] == "'@SUM(A1)"
    assert csv_cell("-12.50") == "-12.50" and csv_cell("-1+2") == "'-1+2" and csv_cell(Decimal("-3")) == Decimal("-3")


def _export_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"format": "csv"})
        rows = parse(response)  # the rows are read while the response streams
    assert response.status_code == 200
    return len(queries), len(rows) - 1


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("account-list", lambda owner, colleague: AccountFactory(owner=owner, team=[colleague])),
        ("contact-list", lambda owner, colleague: ContactFactory(account=AccountFactory(owner=owner))),
        ("order-list", lambda owner, colleague: OrderFactory(account=AccountFactory(owner=owner))),
        ("interaction-list", lambda owner, colleague: InteractionFactory(account=AccountFactory(owner=owner))),
        ("grant-list", lambda owner, colleague: BenefitGrantFactory(account=AccountFactory(owner=owner))),
    ],
)
def test_the_number_of_queries_does_not_grow_with_the_rows(api, manager, colleague, name, make):
    # given 3 rows, then 30
    client = api(manager)
    url = reverse(f"api:{name}")
    client.get(url)  # the token's first use of the minute records it (one UPDATE): not part of the export
    for _ in range(3):
        make(manager, colleague)
    few, few_rows = _export_queries(client, url)
    for _ in range(27):
        make(manager, colleague)
    many, many_rows = _export_queries(client, url)
    # then the export of 30 reads the database as often as the export of 3
    assert (few_rows, many_rows) == (3, 30)
    assert many == few


def test_anonymous_csv_is_a_json_401(api, account):
    for response in (
        api().get(reverse("api:account-list"), {"format": "csv"}),
        api().get(reverse("api:account-list"), HTTP_ACCEPT="text/csv"),
    ):
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "not_authenticated"


def test_bad_filters_and_page_sizes_are_json_400s_not_csv(api, director, account):
    client = api(director)
    for query in ({"kind": "bogus"}, {"page_size": "0"}, {"page_size": "x"}, {"page": "x"}):
        response = client.get(reverse("api:account-list"), {**query, "format": "csv"})
        assert response.status_code == 400, query
        assert response["Content-Type"] == "application/json"


def test_a_format_the_api_does_not_have_is_a_404(api, director, account):
    response = api(director).get(reverse("api:account-list"), {"format": "xml"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_details_and_writes_stay_json(api, director, account):
    client = api(director)
    detail = reverse("api:account-detail", kwargs={"pk": account.pk})
    # Accept: text/csv on an object is refused (406), ?format=csv is a format it does not have (404)
    assert client.get(detail, HTTP_ACCEPT="text/csv").status_code == 406
    assert client.get(detail, {"format": "csv"}).status_code == 404
    assert (
        client.get(reverse("api:account-score", kwargs={"pk": account.pk}), HTTP_ACCEPT="text/csv").status_code == 406
    )
    created = client.post(
        reverse("api:account-list"), {"name": "New", "kind": "customer"}, format="json", HTTP_ACCEPT="text/csv"
    )
    assert created.status_code == 406
    assert not Account.objects.filter(name="New").exists()
    # and JSON is still the default
    assert client.get(detail)["Content-Type"] == "application/json"


def test_the_csv_of_an_outsiders_account_history_is_a_404(api, outsider, account):
    response = api(outsider).get(reverse("api:account-scores", kwargs={"pk": account.pk}), {"format": "csv"})
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_dates_are_iso(api, director, account):
    OrderFactory(account=account, order_date=datetime.date(2024, 2, 29))
    (row,) = as_dicts(parse(api(director).get(reverse("api:order-list"), {"format": "csv"})))
    assert row["order_date"] == "2024-02-29"


# --- pages ------------------------------------------------------------------------------------------------------


def export_link(response) -> str:
    """The href of the page's Export CSV link."""
    assert response.status_code == 200
    found = re.findall(
        r'<a class="[^"]*kam-export-csv[^"]*" href="([^"]+)"[^>]*>Export CSV</a>', response.content.decode()
    )
    assert len(found) == 1, "one Export CSV link"
    return html.unescape(found[0])


def active_grant(account, *, decided_by):
    return BenefitGrantFactory(
        account=account, status="active", decided_by=decided_by, decided_at=timezone.now(), committed_cost=Decimal(1)
    )


@pytest.fixture
def pages_data(everything, director, manager, account):
    """Rows for every list page: the API data, a token, a webhook delivery, queued approvals."""
    api_token_create(user=director, name="BI")
    subscription = WebhookSubscription.objects.get()
    event = OutboxEvent.objects.create(
        uid=uuid.uuid4(),
        event="account.key_status_changed",
        payload={"account": account.pk},
        occurred_at=timezone.now(),
    )
    WebhookDelivery.objects.create(subscription=subscription, event=event)
    PartnerProposal.objects.create(account=account, as_of=timezone.localdate(), evidence={})
    LadderOverride.objects.create(
        account=account,
        stage="client",
        reason="Strategic for the region.",
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
        requested_by=manager,
    )
    active_grant(account, decided_by=director)
    return subscription


PAGES = [
    ("accounts:account_list", {}, 2),
    ("accounts:scoring_run_list", {}, 1),
    ("notification_list", {}, 1),
    ("tokens", {}, 1),
    ("webhooks:list", {}, 1),
    ("webhooks:detail", {"pk": "subscription"}, 1),
    ("benefits:catalog", {}, None),
    ("benefits:approvals", {}, 2),
    ("benefits:budgets", {}, 1),
    ("benefits:roi", {}, 1),
    ("ladder:queue", {}, 2),
]


@pytest.mark.parametrize(("name", "kwargs", "rows"), PAGES, ids=[name for name, _, _ in PAGES])
def test_every_list_page_links_its_csv_download(client, director, pages_data, name, kwargs, rows):
    # given a director on a list page with rows
    client.force_login(director)
    url = reverse(name, kwargs=dict.fromkeys(kwargs, pages_data.pk))
    # when they follow its Export CSV link
    link = export_link(client.get(url))
    response = client.get(link)
    # then it downloads the page's rows as CSV
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    header, *body = parse(response)
    assert header and all(header)
    if rows is not None:
        assert len(body) == rows, body
    else:
        assert len(body) == BenefitType.objects.count()


def test_the_portfolio_export_has_every_page_in_the_pages_filters_and_sort(client, manager, outsider):
    # given 30 customer accounts of a manager (two pages), a supplier, and another manager's account
    for number in range(30):
        AccountFactory(name=f"Customer {number:02d}", owner=manager)
    AccountFactory(name="Supplier", kind="supplier", owner=manager)
    AccountFactory(name="Not mine", owner=outsider)
    client.force_login(manager)
    # when they filter to customers sorted by name descending, on page 2, and follow Export CSV
    page = client.get(reverse("accounts:account_list"), {"kind": "customer", "ordering": "-name", "page": 2})
    link = export_link(page)
    assert "page=" not in link and "kind=customer" in link and "ordering=-name" in link
    rows = as_dicts(parse(client.get(link)))
    # then the CSV has all 30 (not page 2's 5), in the page's order, and nothing of anyone else
    assert [row["Name"] for row in rows] == [f"Customer {number:02d}" for number in reversed(range(30))]
    assert {row["Owner"] for row in rows} == {"manager"}
    # and choices are shown by their label, as on the page
    assert {row["Kind"] for row in rows} == {"Customer"}


def test_the_portfolios_htmx_partial_carries_the_link_with_the_filters(client, manager, account):
    client.force_login(manager)
    partial = client.get(reverse("accounts:account_list"), {"search": "Acme"}, HTTP_HX_REQUEST="true")
    assert "search=Acme" in export_link(partial)


def test_export_visibility_on_pages(client, manager, outsider, director, account, outsider_account):
    # given a grant and a notification on each manager's account
    active_grant(account, decided_by=director)
    active_grant(outsider_account, decided_by=director)
    NotificationFactory(recipient=manager, account=account)
    NotificationFactory(recipient=outsider, account=outsider_account)
    client.force_login(manager)
    # when the manager exports the portfolio, the ROI report and their notifications
    accounts = as_dicts(parse(client.get(reverse("accounts:account_list"), {"export": "csv"})))
    roi = as_dicts(parse(client.get(reverse("benefits:roi"), {"export": "csv"})))
    notifications = as_dicts(parse(client.get(reverse("notification_list"), {"export": "csv"})))
    # then each holds only what the manager's pages show
    assert [row["Name"] for row in accounts] == ["Acme Industries"]
    assert [row["Account"] for row in roi] == ["Acme Industries"]
    assert [row["Account"] for row in notifications] == ["Acme Industries"]


def test_a_page_the_user_may_not_see_is_not_exported_either(client, manager, outsider, director, pages_data):
    # given a manager, who may not see webhooks, scoring runs or the approval queues
    client.force_login(manager)
    # then the export answers as the page does: 404 for a subscription, 403 for a director's page
    detail = reverse("webhooks:detail", kwargs={"pk": pages_data.pk})
    assert client.get(detail).status_code == client.get(detail, {"export": "csv"}).status_code == 404
    for name in ("accounts:scoring_run_list", "webhooks:list", "benefits:approvals", "ladder:queue"):
        assert client.get(reverse(name), {"export": "csv"}).status_code == 403, name


def test_anonymous_page_export_goes_to_the_login(client, account):
    response = client.get(reverse("accounts:account_list"), {"export": "csv"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_bad_filter_is_the_pages_400_not_a_csv(client, manager, account):
    client.force_login(manager)
    response = client.get(reverse("notification_list"), {"unread": "maybe", "export": "csv"})
    assert response.status_code == 400 and not response.streaming


def test_page_cells_are_formula_safe(client, manager):
    AccountFactory(name="=cmd|' /C calc'!A0", owner=manager)
    client.force_login(manager)
    (row,) = as_dicts(parse(client.get(reverse("accounts:account_list"), {"export": "csv"})))
    assert row["Name"] == "'=cmd|' /C calc'!A0"


def test_the_portfolio_export_reads_as_often_for_30_accounts_as_for_3(client, manager, colleague):
    client.force_login(manager)
    url = reverse("accounts:account_list")

    def export() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            rows = parse(client.get(url, {"export": "csv"}))
        return len(queries), len(rows) - 1

    for _ in range(3):
        ContactFactory(account=AccountFactory(owner=manager, team=[colleague]))
    few = export()
    for _ in range(27):
        ContactFactory(account=AccountFactory(owner=manager, team=[colleague]))
    many = export()
    assert (few[1], many[1]) == (3, 30)
    assert few[0] == many[0]
