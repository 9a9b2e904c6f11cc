"""Account pages: who sees what (outsiders get 404), the portfolio's filters, sorting and paging, the forms
going through the services, and query counts that do not grow with the number of rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import AccountKind, BuyingRole, InvoiceStatus, KeyStatus, LadderStage, OrderStatus, ServiceLevel
from accounts.models import Account, Contact
from tests.factories import (
    PASSWORD,
    AccountFactory,
    AdvocacyEventFactory,
    ContactFactory,
    ContractFactory,
    FeedbackFactory,
    InteractionFactory,
    InvoiceFactory,
    OrderFactory,
    manager_factory,
    score_current,
)

pytestmark = pytest.mark.django_db

PORTFOLIO = reverse("accounts:account_list")
CREATE = reverse("accounts:account_create")


def detail_url(account: Account) -> str:
    return reverse("accounts:account_detail", args=[account.pk])


def edit_url(account: Account) -> str:
    return reverse("accounts:account_update", args=[account.pk])


def contact_create_url(account: Account) -> str:
    return reverse("accounts:contact_create", args=[account.pk])


def contact_edit_url(contact: Contact) -> str:
    return reverse("accounts:contact_update", args=[contact.account_id, contact.pk])


def contact_delete_url(contact: Contact) -> str:
    return reverse("accounts:contact_delete", args=[contact.account_id, contact.pk])


def names_listed(response) -> list[str]:
    """Account names in the order the portfolio lists them."""
    return [account.name for account in response.context["page"].object_list]


def account_form_data(**overrides) -> dict[str, object]:
    data = {
        "name": "Globex Corporation",
        "kind": AccountKind.CUSTOMER,
        "industry": "Energy",
        "country": "FR",
        "external_id": "ERP-GLOBEX",
        "annual_potential": "1250000.00",
        "payment_terms_days": "45",
        "credit_limit": "200000",
        "is_active": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def contact_form_data(**overrides) -> dict[str, object]:
    data = {
        "name": "Grace Hopper",
        "job_title": "CFO",
        "email": "grace@acme.example",
        "phone": "+49 30 1234567",
        "buying_role": BuyingRole.ECONOMIC_BUYER,
        "influence": "5",
        "attitude": "1",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# --- anonymous --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["account_list", "account_create"])
def test_anonymous_is_sent_to_login(client, name):
    # given nobody is logged in / when they open a page
    response = client.get(reverse(f"accounts:{name}"))
    # then they are sent to the login page, which brings them back afterwards
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_anonymous_is_sent_to_login_from_account_page(client, account):
    # given nobody is logged in / when they open an account / then login brings them back to it
    response = client.get(detail_url(account))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={detail_url(account)}"


def test_login_form_signs_in_and_lands_on_the_dashboard(client, manager, account):
    # given the login page
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b"<title>Sign in \xc2\xb7 KAM</title>" in page.content
    # when the manager signs in with the right password
    response = client.post(reverse("login"), {"username": "manager", "password": PASSWORD}, follow=True)
    # then they land on their dashboard, and their portfolio is a click away
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.templates[0].name == "kam/dashboard.html"
    assert f'href="{PORTFOLIO}"' in response.content.decode()
    assert "Acme Industries" in names_listed(client.get(PORTFOLIO))


def test_login_with_a_wrong_password_shows_the_error(client, manager):
    # given a manager / when they sign in with a wrong password / then the form says so
    response = client.post(reverse("login"), {"username": "manager", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_logout_is_a_post_form_in_the_navbar(client, manager):
    client.force_login(manager)
    response = client.get(PORTFOLIO)
    assert f'<form method="post" action="{reverse("logout")}"'.encode() in response.content
    # when the user logs out / then the session ends
    client.post(reverse("logout"))
    assert client.get(PORTFOLIO).status_code == 302


# --- portfolio: who sees what -----------------------------------------------------------------------------


def test_manager_sees_owned_and_team_accounts_but_not_others(client, manager, outsider, account, outsider_account):
    # given the manager owns `account` and is on the team of one of the outsider's accounts
    shared = AccountFactory(name="Shared Logistics", owner=outsider, team=[manager])
    client.force_login(manager)
    # when they open the portfolio
    response = client.get(PORTFOLIO)
    # then both of theirs are listed, the outsider's own account is not
    assert response.status_code == 200
    assert sorted(names_listed(response)) == ["Acme Industries", shared.name]
    assert b"2 accounts" in response.content
    assert b"Outsider Holdings" not in response.content


def test_colleague_sees_the_account_they_are_on_the_team_of(client, colleague, account, outsider_account):
    # given a team member / when they open the portfolio / then the team's account is there, nothing else
    client.force_login(colleague)
    response = client.get(PORTFOLIO)
    assert names_listed(response) == ["Acme Industries"]
    assert b"1 account<" in response.content


def test_director_sees_every_account(client, director, account, outsider_account):
    # given a director / when they open the portfolio / then every account is listed, and they may add one
    client.force_login(director)
    response = client.get(PORTFOLIO)
    assert names_listed(response) == ["Acme Industries", "Outsider Holdings"]
    assert reverse("accounts:account_create").encode() in response.content


def test_manager_without_accounts_gets_a_friendly_empty_portfolio(client, outsider, account):
    # given a manager with no accounts / when they open the portfolio / then they are told why it is empty
    client.force_login(outsider)
    response = client.get(PORTFOLIO)
    assert response.status_code == 200
    assert b"Your portfolio is empty for now" in response.content
    assert b"Acme Industries" not in response.content


def test_roleless_user_sees_nothing(client, roleless, account):
    # given a user without a role / when they open the portfolio / then it lists nothing
    client.force_login(roleless)
    response = client.get(PORTFOLIO)
    assert response.status_code == 200
    assert names_listed(response) == []


def test_new_account_link_only_for_directors(client, manager, director):
    # given a manager and a director / when each opens the portfolio / then only the director is offered "New account"
    client.force_login(manager)
    assert CREATE.encode() not in client.get(PORTFOLIO).content
    client.force_login(director)
    assert CREATE.encode() in client.get(PORTFOLIO).content


# --- portfolio: filters, sorting, paging ------------------------------------------------------------------


@pytest.fixture
def portfolio(manager, outsider):
    """Four accounts of the manager's that differ in every filtered column, plus one of the outsider's."""
    return {
        "acme": AccountFactory(name="Acme Industries", owner=manager, industry="Manufacturing", country="DE"),
        "bolt": AccountFactory(
            name="Bolt Supplies", owner=manager, kind=AccountKind.SUPPLIER, industry="Logistics", country="NL"
        ),
        "cargo": AccountFactory(
            name="Cargo Bank", owner=manager, industry="Banking", stage=LadderStage.CLIENT, key_status=KeyStatus.KEY
        ),
        "delta": AccountFactory(
            name="Delta Pharma",
            owner=manager,
            industry="Pharmaceuticals",
            stage=LadderStage.PARTNER,
            key_status=KeyStatus.STRATEGIC,
            kas=Decimal("91.50"),
            external_id="ERP-DELTA",
        ),
        "other": AccountFactory(name="Outsider Retail", owner=outsider, industry="Banking"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "supplier"}, ["Bolt Supplies"]),
        ({"stage": "client"}, ["Cargo Bank"]),
        ({"stage": ["client", "partner"]}, ["Cargo Bank", "Delta Pharma"]),
        ({"key_status": "strategic"}, ["Delta Pharma"]),
        ({"search": "pharm"}, ["Delta Pharma"]),
        ({"search": "erp-delta"}, ["Delta Pharma"]),
        ({"industry": "banking"}, ["Cargo Bank"]),
        ({"search": "  ", "kind": ""}, ["Acme Industries", "Bolt Supplies", "Cargo Bank", "Delta Pharma"]),
    ],
)
def test_portfolio_filters(client, manager, portfolio, query, expected):
    # given the manager's portfolio / when they filter it
    client.force_login(manager)
    response = client.get(PORTFOLIO, query)
    # then only matching accounts they may see are listed
    assert response.status_code == 200
    assert names_listed(response) == expected


def test_filter_by_owner(client, director, manager, outsider, portfolio):
    # given a director / when they filter by owner / then only that owner's accounts are listed
    client.force_login(director)
    response = client.get(PORTFOLIO, {"owner": outsider.pk})
    assert names_listed(response) == ["Outsider Retail"]


def test_owner_choices_are_the_assignable_users(client, director, manager, roleless, integration):
    # given users with and without a manager or director role / when the filter bar is shown / then only those
    # who may own an account are owner choices
    client.force_login(director)
    owners = client.get(PORTFOLIO).context["form"].fields["owner"].queryset
    assert set(owners) == {director, manager}


def test_filters_matching_nothing_show_the_empty_state_with_a_reset_link(client, manager, portfolio):
    # given a portfolio / when a search matches nothing / then the empty state offers to reset the filters
    client.force_login(manager)
    response = client.get(PORTFOLIO, {"search": "no such account"})
    assert response.status_code == 200
    assert b"No accounts match these filters" in response.content
    assert f'href="{PORTFOLIO}"'.encode() in response.content


@pytest.mark.parametrize(
    ("query", "field"),
    [({"kind": "bogus"}, "kind"), ({"stage": "heaven"}, "stage"), ({"owner": "999999"}, "owner")],
)
def test_invalid_filter_value_shows_the_error_not_a_crash(client, manager, portfolio, query, field):
    # given a stale bookmark with a value the filter does not know
    client.force_login(manager)
    # when it is opened
    response = client.get(PORTFOLIO, query)
    # then the page explains which filter is wrong instead of failing
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert b"These filters could not be applied" in response.content
    assert b"Select a valid choice" in response.content


def test_owner_filter_rejects_users_who_cannot_own_accounts(client, director, roleless, portfolio):
    # given a director / when they filter by a user without a role / then the owner filter reports the error
    client.force_login(director)
    response = client.get(PORTFOLIO, {"owner": roleless.pk})
    assert "owner" in response.context["form"].errors


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["Acme Industries", "Bolt Supplies", "Cargo Bank", "Delta Pharma"]),
        ("-name", ["Delta Pharma", "Cargo Bank", "Bolt Supplies", "Acme Industries"]),
        # unscored accounts (no KAS) come last in both directions
        ("-kas", ["Delta Pharma", "Acme Industries", "Bolt Supplies", "Cargo Bank"]),
        ("kas", ["Delta Pharma", "Acme Industries", "Bolt Supplies", "Cargo Bank"]),
        ("kind", ["Acme Industries", "Cargo Bank", "Delta Pharma", "Bolt Supplies"]),
        # stages by their rung and key statuses by their rank, not alphabetically
        ("stage", ["Acme Industries", "Bolt Supplies", "Cargo Bank", "Delta Pharma"]),
        ("-stage", ["Delta Pharma", "Cargo Bank", "Acme Industries", "Bolt Supplies"]),
        ("key_status", ["Acme Industries", "Bolt Supplies", "Cargo Bank", "Delta Pharma"]),
        ("-key_status", ["Delta Pharma", "Cargo Bank", "Acme Industries", "Bolt Supplies"]),
    ],
)
def test_portfolio_ordering(client, manager, portfolio, ordering, expected):
    # given the manager's portfolio / when it is sorted by a column / then the rows follow that order
    client.force_login(manager)
    assert names_listed(client.get(PORTFOLIO, {"ordering": ordering})) == expected


def test_sorted_column_header_toggles_the_direction(client, manager, portfolio):
    # given the portfolio sorted by name, ascending, and filtered by kind
    client.force_login(manager)
    response = client.get(PORTFOLIO, {"ordering": "name", "kind": "customer"})
    content = response.content.decode()
    # then the name header links to the descending order, keeps the filter and shows the arrow
    assert 'aria-sort="ascending"' in content
    assert 'href="?kind=customer&amp;ordering=-name"' in content
    assert "▲" in content
    # and another column starts ascending, a column of figures with the largest
    assert 'href="?kind=customer&amp;ordering=industry"' in content
    assert 'href="?kind=customer&amp;ordering=-kas"' in content


def test_portfolio_sorts_by_owner_name_with_unassigned_accounts_last(client, director, manager, outsider):
    # given accounts of two managers and one without an owner
    manager.first_name, outsider.first_name = "Zoe", "Adam"
    manager.save()
    outsider.save()
    AccountFactory(name="Of Zoe", owner=manager)
    AccountFactory(name="Nobody's", owner=None)
    AccountFactory(name="Of Adam", owner=outsider)
    client.force_login(director)
    # when the director sorts the portfolio by owner, either way / then by the owner's name, unassigned last
    assert names_listed(client.get(PORTFOLIO, {"ordering": "owner"})) == ["Of Adam", "Of Zoe", "Nobody's"]
    assert names_listed(client.get(PORTFOLIO, {"ordering": "-owner"})) == ["Of Zoe", "Of Adam", "Nobody's"]


def test_pagination_keeps_the_filters(client, director):
    # given 30 retail accounts and a few others
    AccountFactory.create_batch(30, industry="Retail")
    AccountFactory.create_batch(3, industry="Energy")
    client.force_login(director)
    # when the first page of retail accounts is shown
    response = client.get(PORTFOLIO, {"industry": "Retail", "search": ""})
    # then it holds 25 of the 30, and the link to page 2 keeps the filter (and drops the empty one)
    page = response.context["page"]
    assert (page.paginator.count, len(page.object_list)) == (30, 25)
    assert b"30 accounts" in response.content
    assert b'href="?industry=Retail&amp;page=2"' in response.content
    second = client.get(PORTFOLIO, {"industry": "Retail", "page": 2})
    assert len(second.context["page"].object_list) == 5
    assert not {a.pk for a in page.object_list} & {a.pk for a in second.context["page"].object_list}


def test_out_of_range_page_shows_the_last_page(client, manager, portfolio):
    # given four accounts / when page 99 is asked for / then the last page is shown instead of an error
    client.force_login(manager)
    response = client.get(PORTFOLIO, {"page": "99"})
    assert response.status_code == 200
    assert len(names_listed(response)) == 4


def test_htmx_filter_request_gets_only_the_table(client, manager, portfolio):
    # given the filter form sends its request with htmx
    client.force_login(manager)
    # when the manager types a search
    response = client.get(PORTFOLIO, {"search": "bolt", "ordering": "-name"}, headers={"HX-Request": "true"})
    # then only the results partial comes back, with the sort order for the form out of band
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="account-results"' in content
    assert 'id="portfolio-ordering" value="-name" hx-swap-oob="true"' in content
    assert names_listed(response) == ["Bolt Supplies"]
    assert "HX-Request" in response["Vary"]


def test_full_page_is_served_without_htmx(client, manager, portfolio):
    # given a plain GET (no JavaScript) / when the portfolio is filtered / then the whole page comes back
    client.force_login(manager)
    response = client.get(PORTFOLIO, {"search": "bolt"})
    content = response.content.decode()
    assert "<html" in content
    assert 'hx-get="/accounts/"' in content
    assert "hx-swap-oob" not in content
    assert "<title>Portfolio · KAM</title>" in content


def test_portfolio_query_count_does_not_grow_with_accounts(client, manager, colleague):
    # given a manager with one account (with a team and contacts), measured
    def add_account():
        account = AccountFactory(owner=manager, team=[colleague])
        ContactFactory.create_batch(2, account=account)

    add_account()
    client.force_login(manager)
    with_one = count_queries(client, PORTFOLIO)
    # when they have ten
    for _ in range(9):
        add_account()
    with_ten = count_queries(client, PORTFOLIO)
    # then the page costs the same seven queries: session, user, the user's roles, the count, the page of rows
    # (owner joined, contacts counted, contact cadence looked up), the owner choices of the filter bar, the
    # navbar's unread notifications (a GET sets no audit actor: audit.actor.writes_audited)
    assert with_ten == with_one == 7


def test_portfolio_shows_annotated_columns(client, manager, colleague, account):
    # given an account with two active contacts and one inactive
    ContactFactory.create_batch(2, account=account)
    ContactFactory(account=account, is_active=False)
    client.force_login(manager)
    # when the portfolio is shown / then the row carries what a manager needs
    response = client.get(PORTFOLIO)
    row = response.context["page"].object_list[0]
    assert row.contact_count == 2
    content = response.content.decode()
    assert 'href="' + detail_url(account) + '"' in content
    assert "Mara Manager" in content
    assert "kam-stage-prospect" in content
    assert "kam-key-status-standard" in content


# --- account page -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["manager", "colleague", "director", "integration"])
def test_account_page_is_open_to_who_may_see_it(request, client, account, persona):
    # given someone who may see the account / when they open it / then it is shown
    client.force_login(request.getfixturevalue(persona))
    response = client.get(detail_url(account))
    assert response.status_code == 200
    assert "<title>Acme Industries · KAM</title>" in response.content.decode()


@pytest.mark.parametrize("persona", ["outsider", "roleless"])
def test_account_page_is_404_for_who_may_not_see_it(request, client, account, persona):
    # given someone who may not see the account / when they open it / then it does not exist for them
    client.force_login(request.getfixturevalue(persona))
    response = client.get(detail_url(account))
    assert response.status_code == 404
    assert b"We couldn't find that page" in response.content
    assert b"Acme Industries" not in response.content


def test_unknown_account_is_404(client, director):
    # given a director / when they open an account that does not exist / then it is 404
    client.force_login(director)
    assert client.get(reverse("accounts:account_detail", args=[987654])).status_code == 404


def test_account_page_shows_profile_team_and_contacts(client, manager, colleague, account, settings):
    # given an account with money amounts, a score and two contacts
    settings.KAM_CURRENCY = "EUR"
    Account.objects.filter(pk=account.pk).update(
        annual_potential=Decimal("1250000.00"),
        credit_limit=Decimal("50000"),
        payment_terms_days=60,
        stage=LadderStage.SUPPORTER,
        key_status=KeyStatus.KEY,
    )
    score_current(account, kas="74.25")
    ContactFactory(account=account, name="Ada Lovelace", job_title="CTO", buying_role=BuyingRole.CHAMPION)
    ContactFactory(account=account, name="Former Buyer", is_active=False)
    client.force_login(manager)
    # when the owner opens the account
    content = client.get(detail_url(account)).content.decode()
    # then profile, derived status, team and contacts are all there
    assert "1,250,000.00 EUR" in content
    assert "50,000.00 EUR" in content
    assert "60 days" in content
    assert "ERP-ACME" in content
    assert "74.2" in content
    assert "Supporter" in content and "kam-stage-supporter" in content
    assert "kam-key-status-key" in content
    assert "Colin Colleague" in content
    assert "Ada Lovelace" in content and "CTO" in content and "Champion" in content
    assert "Former Buyer" in content
    assert edit_url(account) in content
    assert contact_create_url(account) in content


def test_colleague_sees_no_edit_button_but_may_add_contacts(client, colleague, account):
    # given a team member / when they open the account / then they may add contacts but not edit the account
    client.force_login(colleague)
    content = client.get(detail_url(account)).content.decode()
    assert edit_url(account) not in content
    assert contact_create_url(account) in content


def _one_of_each(account, user, **kwargs) -> None:
    """One more of every record the account page lists: contact, order, invoice, interaction (with the contact),
    NPS answer, advocacy event (logged by ``user``, with a referred account) and contract."""
    contact = ContactFactory(account=account)
    OrderFactory(account=account)
    InvoiceFactory(account=account)
    InteractionFactory(account=account, user=user, contacts=[contact])
    FeedbackFactory(account=account, contact=contact)
    AdvocacyEventFactory(account=account, logged_by=user, referred_account=AccountFactory())
    ContractFactory(account=account)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        # session, user, the user's roles, the account with its owner; interactions (user joined), their contacts
        # (prefetch); advocacy events (logger, verifier, referred account joined; "may the user open the referred
        # account" annotated); orders: totals, revenue per month; invoice totals; NPS mean; the log form's contact
        # choices; the latest NPS answers (contact joined); the latest ten orders;
        # the latest ten invoices; the contacts; the contracts; the team; the account's last scores (run
        # and policy joined) and, as it has none, the nightly scoring entry (its schedule joined); the ladder:
        # its state, today's evidence (orders, NPS answers, advocacy, a partner contract), overrides, the open
        # proposal, the latest moves (actor joined); the NPS form's contact choices; the account's plans (none
        # here: tests/relationships/test_plans_views.py counts a page with a plan); the stakeholder map: the
        # contacts with their last completed interaction and 12-month count, the account's own last completed
        # interaction and count, its contact-cadence flag; the navbar's unread notifications; the benefits: the
        # account's C2, the active catalog, the account's grants (with their history once there are some); the
        # history: its latest entries and the users they name (a GET sets no audit actor)
        ("manager", 39),
        # the same, and "is the user on the team" once (remembered for the other predicates that ask it)
        ("colleague", 40),
    ],
)
def test_account_page_query_count_does_not_grow_with_its_records(request, client, account, persona, expected):
    # given the account with one of every record, measured for the owner and for a team member
    user = request.getfixturevalue(persona)
    _one_of_each(account, user)
    client.force_login(user)
    with_one = count_queries(client, detail_url(account))
    # when it has ten of each
    for _ in range(9):
        _one_of_each(account, user)
    with_ten = count_queries(client, detail_url(account))
    # then the page costs the same
    assert with_ten == with_one == expected


# --- account page: orders and invoices summary ------------------------------------------------------------


def _days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.fixture
def order_history(account):
    """Two orders that count (1,000.00 ten days ago, 2,500.50 a hundred days ago), a cancelled one (9,999.00),
    and one older than twelve months (7,000.00)."""
    return {
        "recent": OrderFactory(account=account, order_date=_days_ago(10), net_amount=Decimal("1000.00")),
        "earlier": OrderFactory(
            account=account,
            order_date=_days_ago(100),
            net_amount=Decimal("2500.50"),
            status=OrderStatus.FULFILLED,
            service_level=ServiceLevel.PREMIUM,
        ),
        "cancelled": OrderFactory(
            account=account, order_date=_days_ago(20), net_amount=Decimal("9999.00"), status=OrderStatus.CANCELLED
        ),
        "old": OrderFactory(account=account, order_date=_days_ago(400), net_amount=Decimal("7000.00")),
    }


@pytest.fixture
def invoice_history(account):
    """Open and overdue by 30 days (1,000), paid 10 days late (2,000), paid early (3,000), open and not yet due
    (500), cancelled (800), and a write-off due 370 days ago (400)."""

    def invoice(number, issued, due, amount, status=InvoiceStatus.OPEN, paid=None):
        return InvoiceFactory(
            account=account,
            number=number,
            issue_date=_days_ago(issued),
            due_date=_days_ago(due),
            amount=Decimal(amount),
            status=status,
            paid_date=_days_ago(paid) if paid is not None else None,
        )

    return {
        "overdue": invoice("R-OVERDUE", 60, 30, "1000"),
        "late": invoice("R-LATE", 90, 60, "2000", InvoiceStatus.PAID, paid=50),
        "early": invoice("R-EARLY", 120, 90, "3000", InvoiceStatus.PAID, paid=95),
        "not_due": invoice("R-NOTDUE", 5, -25, "500"),
        "cancelled": invoice("R-CANCELLED", 70, 40, "800", InvoiceStatus.CANCELLED),
        "written_off": invoice("R-WRITTENOFF", 400, 370, "400", InvoiceStatus.WRITTEN_OFF),
    }


def test_revenue_summary_counts_the_last_12_months_without_cancelled_orders(client, manager, account, order_history):
    # given the order history above
    client.force_login(manager)
    # when the owner opens the account
    response = client.get(detail_url(account))
    summary = response.context["order_summary"]
    # then revenue is 1,000.00 + 2,500.50: the cancelled order and the one older than a year do not count
    assert summary.revenue_12m == Decimal("3500.50")
    assert (summary.orders_12m, summary.order_count) == (2, 4)
    assert summary.last_order_date == _days_ago(10)
    # and the 13 monthly bars (12 complete months and this one) hold each counted order in its month
    assert len(summary.months) == 13
    assert summary.months[-1].is_current and summary.months[-1].month == timezone.localdate().replace(day=1)
    by_month = {month.month: month.amount for month in summary.months}
    assert by_month[_days_ago(10).replace(day=1)] >= Decimal("1000.00")
    assert by_month[_days_ago(100).replace(day=1)] == Decimal("2500.50")
    assert sum(by_month.values()) == Decimal("3500.50")
    content = response.content.decode()
    assert 'data-kam="revenue-12m">3,500.50<span class="kam-currency"> EUR</span>' in content
    assert "2,500.50 EUR</title>" in content  # the bar's tooltip
    assert "<caption>Revenue per month in EUR</caption>" in content  # the table for screen readers


def test_latest_orders_table(client, manager, account, order_history):
    # given the order history / when the page is shown / then the latest orders are listed, newest first,
    # with their amount, discount, service level and status
    client.force_login(manager)
    response = client.get(detail_url(account))
    assert list(response.context["latest_orders"]) == [
        order_history["recent"],
        order_history["cancelled"],
        order_history["earlier"],
        order_history["old"],
    ]
    section = response.content.decode().split('id="orders"')[1].split("</section>")[0]
    assert order_history["earlier"].external_id in section
    assert "2,500.50 EUR" in section and "5 %" in section
    assert "kam-service-level-premium" in section and "kam-order-status-cancelled" in section


def test_latest_orders_and_invoices_are_ten(client, manager, account):
    # given twelve orders and twelve invoices / when the page is shown / then the ten latest of each are listed
    for days in range(12):
        OrderFactory(account=account, order_date=_days_ago(days))
        InvoiceFactory(account=account, issue_date=_days_ago(days + 30))
    client.force_login(manager)
    response = client.get(detail_url(account))
    assert len(response.context["latest_orders"]) == len(response.context["latest_invoices"]) == 10
    assert response.context["latest_orders"][0].order_date == _days_ago(0)
    assert "Latest 10" in response.content.decode()


def test_invoice_summary_open_overdue_and_payment_behaviour(client, manager, account, invoice_history):
    # given the invoice history above
    client.force_login(manager)
    # when the owner opens the account
    response = client.get(detail_url(account))
    summary = response.context["invoice_summary"]
    # then open is 1,000 + 500 (cancelled, paid and written-off are not), overdue the 1,000 due 30 days ago
    assert (summary.open_amount, summary.open_count) == (Decimal("1500.00"), 2)
    assert (summary.overdue_amount, summary.overdue_count) == (Decimal("1000.00"), 1)
    assert summary.oldest_overdue_due == _days_ago(30)
    # and of the 6,000 due in the last 12 months, days late weighted by amount are
    # (1,000 × 30 + 2,000 × 10 + 3,000 × 0) / 6,000 = 8.3, and 3,000 / 6,000 was paid on time
    assert summary.due_12m_amount == Decimal("6000.00")
    assert summary.avg_days_late == Decimal("8.3")
    assert summary.paid_on_time_share == Decimal("0.5")
    # and the write-off (due in the last three years) is flagged
    assert (summary.written_off_count, summary.written_off_amount) == (1, Decimal("400.00"))
    content = response.content.decode()
    assert 'data-kam="open-amount">1,500.00<span class="kam-currency"> EUR</span>' in content
    assert 'data-kam="overdue-amount">1,000.00<span class="kam-currency"> EUR</span>' in content
    assert 'data-kam="avg-days-late">8.3' in content
    assert 'data-kam="paid-on-time">50 %' in content
    assert 'data-kam="written-off"' in content and "400.00 EUR" in content
    # and the overdue invoice says so in the table, the one paid late says by how much
    invoices = content.split('id="invoices"')[1].split("</section>")[0]
    assert "Overdue · 30 d" in invoices
    assert "+10 d" in invoices


def test_summary_of_an_account_without_orders_or_invoices(client, manager, account):
    # given an account with no commercial history / when the page is shown / then it says so, without errors
    client.force_login(manager)
    response = client.get(detail_url(account))
    orders, invoices = response.context["order_summary"], response.context["invoice_summary"]
    assert orders.revenue_12m == Decimal("0.00") and orders.last_order_date is None
    assert invoices.avg_days_late is None and invoices.paid_on_time_share is None
    content = response.content.decode()
    assert "No order yet" in content
    assert "No invoice fell due in the last 12 months" in content
    assert "No revenue in these months." in content


@pytest.mark.parametrize("persona", ["manager", "colleague", "director", "integration"])
def test_every_persona_who_sees_the_account_sees_every_section(request, client, account, persona):
    # given an account with one of every record
    _one_of_each(account, request.getfixturevalue("manager"))
    client.force_login(request.getfixturevalue(persona))
    # when they open it / then every section is there, reachable by its anchor
    content = client.get(detail_url(account)).content.decode()
    for anchor in ("revenue", "orders", "invoices", "interactions", "feedback", "advocacy", "contracts", "contacts"):
        assert f'id="{anchor}"' in content
        assert f'href="#{anchor}"' in content


# --- outsiders get 404 on every page of an account; forbidden actions are 403 -----------------------------


@pytest.fixture
def contact(account):
    return ContactFactory(account=account, name="Ada Lovelace", email="ada@acme.example")


@pytest.mark.parametrize(
    ("target", "method"),
    [("detail", "get")]
    + [
        (target, method)
        for target in ("edit", "contact_create", "contact_edit", "contact_delete")
        for method in ("get", "post")
    ],
)
def test_outsider_gets_404_on_every_account_page(client, outsider, account, contact, target, method):
    # given a manager who has nothing to do with the account
    urls = {
        "detail": detail_url(account),
        "edit": edit_url(account),
        "contact_create": contact_create_url(account),
        "contact_edit": contact_edit_url(contact),
        "contact_delete": contact_delete_url(contact),
    }
    client.force_login(outsider)
    # when they open or post to any of its pages
    response = getattr(client, method)(urls[target], account_form_data() | contact_form_data(name="Hacked"))
    # then the account does not exist for them, and nothing changed
    assert response.status_code == 404
    assert Account.objects.get(pk=account.pk).name == "Acme Industries"
    assert Contact.objects.filter(pk=contact.pk, name="Ada Lovelace").exists()
    assert not Contact.objects.filter(name="Hacked").exists()


@pytest.mark.parametrize("url_name", ["accounts:contact_update", "accounts:contact_delete"])
def test_contact_must_belong_to_the_account_in_the_url(client, director, account, outsider_account, url_name):
    # given a contact of another account the director can also see
    other = ContactFactory(account=outsider_account)
    url = reverse(url_name, args=[account.pk, other.pk])
    client.force_login(director)
    # when it is reached through the wrong account / then it is not found
    assert client.get(url).status_code == 404
    assert client.post(url, contact_form_data()).status_code == 404
    assert Contact.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_colleague_cannot_edit_the_account(client, colleague, account, method):
    # given a team member, who can see the account but not change it
    client.force_login(colleague)
    # when they open or post the edit form
    response = getattr(client, method)(edit_url(account), account_form_data(name="Renamed"))
    # then they are refused, and the account is unchanged
    assert response.status_code == 403
    assert b"You can't do that here" in response.content
    assert Account.objects.get(pk=account.pk).name == "Acme Industries"


@pytest.mark.parametrize("persona", ["manager", "colleague", "roleless"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_managers_do_not_create_accounts(request, client, persona, method):
    # given a manager or a role-less user / when they open or post the create form / then 403, nothing saved
    client.force_login(request.getfixturevalue(persona))
    response = getattr(client, method)(CREATE, account_form_data())
    assert response.status_code == 403
    assert not Account.objects.filter(name="Globex Corporation").exists()


# --- create and edit accounts -----------------------------------------------------------------------------


def test_director_creates_an_account(client, director, manager, colleague):
    # given the create form
    client.force_login(director)
    page = client.get(CREATE)
    assert page.status_code == 200
    assert b'list="industry-suggestions"' in page.content and b'<option value="Pharmaceuticals">' in page.content
    # when a director fills it in
    response = client.post(
        CREATE, account_form_data(owner=manager.pk, team=[colleague.pk], country="fr", external_id=" ERP-GLOBEX ")
    )
    # then the account exists, as the service normalised it, and the director lands on its page
    account = Account.objects.get(name="Globex Corporation")
    assert response.status_code == 302
    assert response["Location"] == detail_url(account)
    assert (account.owner, list(account.team.all())) == (manager, [colleague])
    assert (account.country, account.external_id, account.annual_potential) == ("FR", "ERP-GLOBEX", Decimal("1250000"))
    assert b"Account \xe2\x80\x9cGlobex Corporation\xe2\x80\x9d created." in client.get(response["Location"]).content


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"payment_terms_days": "400"}, "payment_terms_days", "less than or equal to 365"),
        ({"country": "Germany"}, "country", "at most 2 characters"),
        ({"country": "D1"}, "country", "two-letter ISO 3166"),
        ({"external_id": "ERP-ACME"}, "external_id", "Another account already has this external id."),
        ({"name": ""}, "name", "This field is required."),
        ({"credit_limit": "-5"}, "credit_limit", "greater than or equal to 0"),
        ({"kind": "partner"}, "kind", "Select a valid choice"),
    ],
)
def test_create_with_bad_input_names_the_field_and_saves_nothing(client, director, account, overrides, field, message):
    # given a director and an existing account "ERP-ACME"
    client.force_login(director)
    before = Account.objects.count()
    # when the form is posted with one bad value
    response = client.post(CREATE, account_form_data(**overrides))
    # then the form comes back with the error on that field, and nothing was saved
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert Account.objects.count() == before


def test_owner_edits_the_profile_and_team(client, manager, colleague, outsider, account):
    # given the owner on the edit form: no owner field (directors assign owners), but the team
    client.force_login(manager)
    form = client.get(edit_url(account)).context["form"]
    assert "owner" not in form.fields and "team" in form.fields
    assert form["name"].value() == "Acme Industries"
    # when they change the profile and add the outsider to the team
    response = client.post(
        edit_url(account), account_form_data(name="Acme Industries AG", team=[colleague.pk, outsider.pk])
    )
    # then it is saved and they are back on the account page
    assert response.status_code == 302 and response["Location"] == detail_url(account)
    account.refresh_from_db()
    assert (account.name, account.industry, account.payment_terms_days) == ("Acme Industries AG", "Energy", 45)
    assert set(account.team.all()) == {colleague, outsider}


def test_manager_cannot_change_the_owner(client, manager, outsider, account):
    # given the owner of the account
    client.force_login(manager)
    # when they post an owner anyway (the field is not on their form)
    response = client.post(edit_url(account), account_form_data(name="Acme Industries", owner=outsider.pk))
    # then the rest is saved and the owner is still them
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.owner == manager
    assert b"Only a KAM director can assign" in client.get(edit_url(account)).content


def test_director_reassigns_the_owner(client, director, outsider, account):
    # given a director / when they pick another owner / then the account changes hands
    client.force_login(director)
    response = client.post(edit_url(account), account_form_data(name="Acme Industries", owner=outsider.pk))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.owner == outsider


def test_owner_cannot_be_someone_without_a_role(client, director, roleless, account):
    # given a director / when they pick an owner without a role / then the service's error lands on the owner field
    client.force_login(director)
    response = client.post(edit_url(account), account_form_data(owner=roleless.pk))
    assert "owner" in response.context["form"].errors
    account.refresh_from_db()
    assert account.owner.username == "manager"


def test_edit_with_bad_input_keeps_the_stored_account(client, manager, account, outsider_account):
    # given the owner / when they post an external id another account already has
    client.force_login(manager)
    response = client.post(edit_url(account), account_form_data(name="Renamed", external_id="ERP-OUT"))
    # then the error names the field, the heading still shows the stored name, and nothing changed
    assert response.status_code == 200
    assert "external_id" in response.context["form"].errors
    assert "<title>Edit Acme Industries · KAM</title>" in response.content.decode()
    account.refresh_from_db()
    assert (account.name, account.external_id) == ("Acme Industries", "ERP-ACME")


# --- contacts ---------------------------------------------------------------------------------------------


def test_add_contact_with_a_plain_post(client, colleague, account):
    # given a team member without JavaScript
    client.force_login(colleague)
    # when they post the inline form
    response = client.post(contact_create_url(account), contact_form_data())
    # then the contact is saved and they are back at it on the account page
    contact = Contact.objects.get(account=account, name="Grace Hopper")
    assert response.status_code == 302
    assert response["Location"] == f"{detail_url(account)}#contact-{contact.pk}"
    assert (contact.influence, contact.attitude, contact.buying_role) == (5, 1, BuyingRole.ECONOMIC_BUYER)


def test_add_contact_with_htmx_swaps_the_contacts_section(client, manager, account):
    # given the owner with JavaScript / when they add a contact / then only the contacts section comes back, with
    # the confirmation out of band
    client.force_login(manager)
    response = client.post(contact_create_url(account), contact_form_data(), headers={"HX-Request": "true"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="contacts"' in content and "Grace Hopper" in content
    assert 'id="messages" class="kam-messages" hx-swap-oob="true"' in content
    assert "Contact “Grace Hopper” added." in content


def test_add_contact_form_page_works_without_javascript(client, manager, account):
    # given the owner without JavaScript / when they follow "Add contact" / then a page with the form is shown
    client.force_login(manager)
    response = client.get(contact_create_url(account))
    assert response.status_code == 200
    assert b"Add a contact at Acme Industries" in response.content


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"influence": "9"}, "influence", "less than or equal to 5"),
        ({"attitude": "-3"}, "attitude", "greater than or equal to -2"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"email": "ADA@acme.example"}, "email", "already has a contact with this email address"),
        ({"name": ""}, "name", "required"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_add_contact_with_bad_input_names_the_field(client, manager, account, contact, overrides, field, message, htmx):
    # given an account that already has ada@acme.example
    client.force_login(manager)
    headers = {"HX-Request": "true"} if htmx else {}
    # when a contact is posted with one bad value
    response = client.post(contact_create_url(account), contact_form_data(**overrides), headers=headers)
    # then the form comes back with the error on that field, and nothing was saved
    assert response.status_code == 200
    form = response.context["contact_form" if htmx else "form"]
    assert message in " ".join(form.errors[field]), form.errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert list(account.contacts.values_list("name", flat=True)) == ["Ada Lovelace"]


def test_same_email_is_fine_on_another_account(client, director, contact, outsider_account):
    # given ada@acme.example at Acme / when the same address is added to another account / then it is accepted
    client.force_login(director)
    response = client.post(contact_create_url(outsider_account), contact_form_data(email="ada@acme.example"))
    assert response.status_code == 302
    assert outsider_account.contacts.filter(email="ada@acme.example").exists()


def test_edit_contact(client, colleague, contact):
    # given a team member on the edit page / when they rename the contact and mark it inactive / then it is saved
    client.force_login(colleague)
    page = client.get(contact_edit_url(contact))
    assert page.status_code == 200
    assert page.context["form"]["name"].value() == "Ada Lovelace"
    response = client.post(contact_edit_url(contact), contact_form_data(name="Ada King", is_active=""))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.is_active) == ("Ada King", False)


def test_edit_contact_with_bad_input_saves_nothing(client, manager, contact):
    # given the owner / when they post an influence of 0 / then the error names the field and nothing changed
    client.force_login(manager)
    response = client.post(contact_edit_url(contact), contact_form_data(name="Ada King", influence="0"))
    assert "influence" in response.context["form"].errors
    assert "<title>Edit Ada Lovelace · Acme Industries · KAM</title>" in response.content.decode()
    contact.refresh_from_db()
    assert (contact.name, contact.influence) == ("Ada Lovelace", 4)


def test_delete_contact_asks_first_then_deletes(client, manager, account, contact):
    client.force_login(manager)
    # given the confirmation page (the link without JavaScript)
    page = client.get(contact_delete_url(contact))
    assert page.status_code == 200 and b"Delete Ada Lovelace?" in page.content
    assert Contact.objects.filter(pk=contact.pk).exists()
    # when it is confirmed
    response = client.post(contact_delete_url(contact))
    # then the contact is gone
    assert response.status_code == 302 and response["Location"] == f"{detail_url(account)}#contacts"
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_delete_contact_with_htmx_swaps_the_contacts_section(client, manager, account, contact):
    # given the owner with JavaScript / when they delete a contact / then the contacts section comes back without it
    client.force_login(manager)
    response = client.post(contact_delete_url(contact), headers={"HX-Request": "true"})
    content = response.content.decode()
    assert 'id="contacts"' in content and "No contacts yet" in content
    assert "Contact “Ada Lovelace” deleted." in content
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_a_new_manager_on_the_team_can_keep_contacts_up_to_date(client, account):
    # given a manager added to the team later
    newcomer = manager_factory(username="newcomer")
    account.team.add(newcomer)
    client.force_login(newcomer)
    # when they add a contact / then it is saved
    assert client.post(contact_create_url(account), contact_form_data()).status_code == 302
