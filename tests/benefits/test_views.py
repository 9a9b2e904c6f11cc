"""The benefits pages: the account page's Benefits section (offers with their reasons, requests refused at their
fields, a director's decisions, costs), the director's approvals, budgets, the catalog and the ROI report —
status per persona, outsiders 404 on every account-scoped URL, non-directors 403, constant query counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import KeyStatus, LadderStage
from benefits import services
from benefits.choices import BenefitCategory, GrantStatus
from benefits.models import BenefitBudget, BenefitCost, BenefitGrant, BenefitType
from tests.benefits.factories import BenefitBudgetFactory, catalog
from tests.factories import AccountFactory, OrderFactory, director_factory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HTMX = {"HTTP_HX_REQUEST": "true"}
JUSTIFICATION = "Consolidating their volume with us next year."
STANDARD_REFUSAL = "min_key_status: Volume discount needs the key status key or higher: the account is standard."


def section_url(account) -> str:
    return f"/accounts/{account.pk}/benefits/"


def request_url(account) -> str:
    return f"/accounts/{account.pk}/benefits/request/"


def decide_url(grant, decision: str) -> str:
    return f"/accounts/{grant.account_id}/benefits/grants/{grant.pk}/{decision}/"


def cost_url(grant) -> str:
    return f"/accounts/{grant.account_id}/benefits/grants/{grant.pk}/cost/"


def form_data(benefit: str = "volume_discount", **overrides) -> dict:
    data = {
        "benefit_type": str(catalog(benefit).pk),
        "value": "5.00",
        "valid_from": TODAY.isoformat(),
        "valid_to": (TODAY + datetime.timedelta(days=89)).isoformat(),
        "estimated_annual_cost": "3650.00",
        "justification": JUSTIFICATION,
    }
    return {**data, **overrides}


def make_key(account, stage: str = LadderStage.CLIENT):
    account.key_status = KeyStatus.KEY
    account.stage = stage
    account.save(update_fields=["key_status", "stage"])
    return account


def requested(actor, account, **overrides) -> BenefitGrant:
    values = {
        "value": Decimal("5.00"),
        "valid_from": TODAY,
        "valid_to": TODAY + datetime.timedelta(days=89),
        "estimated_annual_cost": Decimal("3650.00"),
        "justification": JUSTIFICATION,
    }
    return services.benefit_grant_request(
        actor=actor, account=account, benefit_type=catalog("volume_discount"), values={**values, **overrides}
    )


def count_queries(client, url: str, **extra) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **extra).status_code == 200
    return len(queries)


@pytest.fixture
def key_account(account):
    return make_key(account)


@pytest.fixture
def budget():
    return BenefitBudgetFactory()


# --- who sees which page -------------------------------------------------------------------------------------------

READER = {"/benefits/": 200, "/benefits/roi/": 200, "/benefits/approvals/": 403, "/benefits/budgets/": 403}


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("manager", READER),
        ("colleague", READER),
        ("outsider", READER),
        ("roleless", READER),
        ("integration", {**READER, "/benefits/budgets/": 200}),
        ("director", {**READER, "/benefits/approvals/": 200, "/benefits/budgets/": 200}),
    ],
)
def test_the_benefits_pages_per_persona(client, request, budget, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    editing = 200 if persona == "director" else 403
    pages = {
        **expected,
        "/benefits/catalog/new/": editing,
        f"/benefits/catalog/{catalog('club_membership').pk}/edit/": editing,
        f"/benefits/budgets/{budget.pk}/edit/": editing,
    }
    assert {url: client.get(url).status_code for url in pages} == pages


@pytest.mark.parametrize("persona", ["manager", "colleague", "director"])
def test_those_working_on_the_account_and_directors_ask_for_benefits(client, request, key_account, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert "Request a benefit" in client.get(section_url(key_account), **HTMX).content.decode()
    assert client.post(request_url(key_account), form_data(), **HTMX).status_code == 200
    assert BenefitGrant.objects.get().requested_by == user


# --- the account page's section ----------------------------------------------------------------------------------


def test_the_section_lists_every_offer_with_why_not_for_a_standard_account(client, manager, account):
    client.force_login(manager)
    response = client.get(section_url(account), **HTMX)
    content = response.content.decode()
    assert response.status_code == 200 and content.count('id="benefits"') == 1
    assert content.count('data-kam="offer"') == BenefitType.objects.filter(is_active=True).count()
    assert 'data-code="volume_discount" data-eligible="false"' in content
    assert "Volume discount needs the key status key or higher: the account is standard." in content
    assert "Request a benefit" in content and 'id="id_grant_benefit_type"' in content


def test_a_key_account_is_eligible_for_a_discount_but_not_for_credit_without_a_payment_record(
    client, manager, key_account
):
    client.force_login(manager)
    content = client.get(section_url(key_account), **HTMX).content.decode()
    assert 'data-code="volume_discount" data-eligible="true"' in content
    assert 'data-code="extended_payment_terms" data-eligible="false"' in content
    assert "it has no payment record scored yet" in content


def test_the_section_alone_is_for_htmx_and_the_page_otherwise(client, manager, account):
    client.force_login(manager)
    response = client.get(section_url(account))
    assert response.status_code == 302 and response["Location"] == f"/accounts/{account.pk}/#benefits"


def test_outsiders_get_404_on_every_account_scoped_url(client, manager, outsider, director, key_account, budget):
    grant = requested(manager, key_account)
    services.benefit_grant_approve(actor=director, grant=grant)
    client.force_login(outsider)
    for url in (section_url(key_account), key_account.get_absolute_url()):
        assert client.get(url, **HTMX).status_code == 404, url
    for url in (
        request_url(key_account),
        decide_url(grant, "approve"),
        decide_url(grant, "reject"),
        decide_url(grant, "revoke"),
        cost_url(grant),
    ):
        assert client.post(url, form_data(), **HTMX).status_code == 404, url
    assert BenefitGrant.objects.count() == 1 and not BenefitCost.objects.exists()


def test_a_grant_of_another_account_is_404_under_this_one(client, manager, director, key_account, budget):
    other = make_key(AccountFactory(owner=manager))
    grant = requested(manager, other)
    client.force_login(director)
    url = f"/accounts/{key_account.pk}/benefits/grants/{grant.pk}/approve/"
    assert client.post(url, **HTMX).status_code == 404
    assert BenefitGrant.objects.get(pk=grant.pk).status == GrantStatus.REQUESTED


def test_a_manager_requests_a_discount_for_a_key_account(client, manager, key_account):
    client.force_login(manager)
    response = client.post(request_url(key_account), form_data(), **HTMX)
    content = response.content.decode()
    grant = BenefitGrant.objects.get()
    assert response.status_code == 200
    assert (grant.account, grant.status, grant.requested_by) == (key_account, GrantStatus.REQUESTED, manager)
    assert "Volume discount of 5.00 % requested: a director decides." in content
    assert f'id="grant-{grant.pk}"' in content and 'data-status="requested"' in content
    assert "id_grant_benefit_type_error" not in content


def test_a_standard_account_is_refused_a_discount_with_the_rule_at_the_benefit(client, manager, account):
    client.force_login(manager)
    response = client.post(request_url(account), form_data(), **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert '<div class="invalid-feedback d-block" id="id_grant_benefit_type_error">' + STANDARD_REFUSAL in content
    assert '<details class="card-footer bg-body kam-inline-form" id="request-benefit" open>' in content
    assert not BenefitGrant.objects.exists()


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"value": "15.01"}, "value", "max_value: Volume discount is at most 15.00 %: 15.01 asked."),
        ({"value": "-1"}, "value", "greater than or equal to 0"),
        ({"valid_from": (TODAY - datetime.timedelta(days=1)).isoformat()}, "valid_from", "starts today or later"),
        ({"valid_to": (TODAY - datetime.timedelta(days=1)).isoformat()}, "valid_to", "may not end before it starts"),
        ({"justification": "Short."}, "justification", "at least a sentence"),
        ({"benefit_type": ""}, "benefit_type", "This field is required."),
    ],
)
def test_bad_input_shows_at_its_field(client, manager, key_account, overrides, field, message):
    client.force_login(manager)
    content = client.post(request_url(key_account), form_data(**overrides), **HTMX).content.decode()
    assert f'id="id_grant_{field}_error"' in content
    error = content.split(f'id="id_grant_{field}_error">', 1)[1].split("</div>", 1)[0]
    assert message in error
    assert not BenefitGrant.objects.exists()


def test_without_htmx_a_refusal_comes_back_as_a_message_on_the_account_page(client, manager, account):
    client.force_login(manager)
    response = client.post(request_url(account), form_data())
    assert response.status_code == 302 and response["Location"] == f"/accounts/{account.pk}/#benefits"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [f"Benefit: {STANDARD_REFUSAL}"]


def test_integrations_and_roleless_users_ask_for_nothing(client, integration, roleless, key_account):
    client.force_login(integration)
    content = client.get(section_url(key_account), **HTMX).content.decode()
    assert "Request a benefit" not in content
    assert client.post(request_url(key_account), form_data(), **HTMX).status_code == 403
    client.force_login(roleless)
    assert client.post(request_url(key_account), form_data(), **HTMX).status_code == 404
    assert not BenefitGrant.objects.exists()


def test_a_director_approves_on_the_section_and_the_budget_moves(client, manager, director, key_account, budget):
    grant = requested(manager, key_account)
    client.force_login(manager)
    assert client.post(decide_url(grant, "approve"), **HTMX).status_code == 403
    shown = client.get(section_url(key_account), **HTMX).content.decode()
    assert 'data-kam="grant-decision"' not in shown  # nor the buttons
    client.force_login(director)
    shown = client.get(section_url(key_account), **HTMX).content.decode()
    assert 'data-kam="grant-decision"' in shown
    response = client.post(decide_url(grant, "approve"), {"note": "Worth it."}, **HTMX)
    content = response.content.decode()
    grant.refresh_from_db()
    budget.refresh_from_db()
    assert (grant.status, grant.committed_cost, budget.committed) == ("active", Decimal("900.00"), Decimal("900.00"))
    assert "Volume discount for Acme Industries approved (active from today): 900.00 committed against the" in content
    assert 'data-status="active"' in content and "Revoke" in content
    history = content.split('data-kam="grant-history"', 1)[1].split("</details>", 1)[0]
    assert "History (3)" in history and "Requested → <strong>Approved</strong>" in history and "Worth it." in history


def test_a_director_does_not_decide_a_request_of_their_own(client, director, key_account, budget):
    grant = requested(director, key_account)
    client.force_login(director)
    shown = client.get(section_url(key_account), **HTMX).content.decode()
    assert "You requested it: another director decides (four eyes)." in shown
    content = client.post(decide_url(grant, "approve"), **HTMX).content.decode()
    assert "You requested this grant: another director decides it (four eyes)." in content
    assert BenefitGrant.objects.get(pk=grant.pk).status == GrantStatus.REQUESTED


def test_a_director_rejects_and_revokes_on_the_section(client, manager, director, key_account, budget):
    rejected = requested(manager, key_account)
    revoked = requested(manager, key_account)
    services.benefit_grant_approve(actor=director, grant=revoked)
    client.force_login(director)
    client.post(decide_url(rejected, "reject"), {"note": "Not this year."}, **HTMX)
    content = client.post(decide_url(revoked, "revoke"), {"note": "Volume fell."}, **HTMX).content.decode()
    assert "revoked; what it had not spent went back to the budget." in content
    assert BenefitGrant.objects.get(pk=rejected.pk).status == GrantStatus.REJECTED
    assert BenefitGrant.objects.get(pk=revoked.pk).status == GrantStatus.REVOKED
    budget.refresh_from_db()
    assert budget.committed == Decimal("0.00")
    again = client.post(decide_url(revoked, "revoke"), **HTMX).content.decode()
    assert "This grant is revoked: nothing to do." in again


def test_an_unknown_decision_is_404(client, manager, director, key_account):
    grant = requested(manager, key_account)
    client.force_login(director)
    assert client.post(decide_url(grant, "bless"), **HTMX).status_code == 404


def test_a_director_records_a_cost_and_a_manager_cannot(client, manager, director, key_account, budget):
    grant = requested(manager, key_account)
    services.benefit_grant_approve(actor=director, grant=grant)
    data = {"incurred_on": TODAY.isoformat(), "amount": "120.00", "note": "Order run 42"}
    client.force_login(manager)
    assert 'data-kam="record-cost"' not in client.get(section_url(key_account), **HTMX).content.decode()
    assert client.post(cost_url(grant), data, **HTMX).status_code == 403
    client.force_login(director)
    refused = client.post(cost_url(grant), {**data, "amount": "0"}, **HTMX).content.decode()
    assert f'id="id_cost_{grant.pk}_amount_error"' in refused and "A cost is positive." in refused
    content = client.post(cost_url(grant), data, **HTMX).content.decode()
    assert "Cost of 120.00 recorded for Volume discount." in content
    budget.refresh_from_db()
    assert budget.consumed == Decimal("120.00")
    assert "120.00 EUR spent" in content and "(recorded)" in content


def test_the_section_costs_the_same_for_one_grant_or_five(client, manager, director, key_account, budget):
    client.force_login(director)
    first = requested(manager, key_account)
    services.benefit_grant_approve(actor=director, grant=first)
    one = count_queries(client, section_url(key_account), **HTMX)
    for n in range(4):
        grant = requested(manager, key_account)
        if n % 2:
            services.benefit_grant_approve(actor=director, grant=grant)
            services.benefit_cost_record(actor=director, grant=grant, values={"incurred_on": TODAY, "amount": 10})
    assert count_queries(client, section_url(key_account), **HTMX) == one


# --- the director's approvals ------------------------------------------------------------------------------------


def test_approvals_are_for_directors(client, manager, integration, director):
    for user in (manager, integration):
        client.force_login(user)
        assert client.get("/benefits/approvals/").status_code == 403
    client.force_login(director)
    assert "No benefit request waits for a decision." in client.get("/benefits/approvals/").content.decode()


def test_the_queue_shows_requests_oldest_first_with_what_approval_commits(
    client, manager, director, key_account, budget
):
    older = requested(manager, key_account)
    newer = requested(manager, key_account, value=Decimal("7.50"))
    client.force_login(director)
    content = client.get("/benefits/approvals/").content.decode()
    assert content.index(f'id="grant-{older.pk}"') < content.index(f'id="grant-{newer.pk}"')
    assert 'data-kam="would-commit">900.00 EUR<' in content
    assert "(100,000.00 EUR available)" in content
    assert "Acme Industries" in content and "Mara Manager" in content and JUSTIFICATION in content


def test_a_director_approves_from_the_queue_and_the_budget_committed_moves(
    client, manager, director, key_account, budget
):
    grant = requested(manager, key_account)
    client.force_login(director)
    response = client.post(decide_url(grant, "approve"), {"next": "queue", "note": ""})
    assert response.status_code == 302 and response["Location"] == "/benefits/approvals/"
    budget.refresh_from_db()
    assert budget.committed == Decimal("900.00")
    budgets = client.get("/benefits/budgets/").content.decode()
    assert 'data-kam="committed">900.00<' in budgets and 'data-kam="available">99,100.00<' in budgets
    assert "0.9% committed" in budgets


@pytest.mark.parametrize(
    "setup,message",
    [
        ("no_budget", "No monetary budget covers"),
        ("small_budget", "left; this grant would commit 900.00."),
        ("lost_eligibility", "min_key_status: Volume discount needs the key status key or higher"),
    ],
)
def test_a_refused_approval_is_a_message_on_the_queue(client, manager, director, key_account, setup, message):
    grant = requested(manager, key_account)
    if setup == "small_budget":
        BenefitBudgetFactory(amount=Decimal("500.00"))
    elif setup == "lost_eligibility":
        BenefitBudgetFactory()
        key_account.key_status = KeyStatus.CANDIDATE
        key_account.save(update_fields=["key_status"])
    client.force_login(director)
    queue = client.get("/benefits/approvals/").content.decode()
    if setup == "lost_eligibility":
        assert 'data-kam="eligibility-lost"' in queue
    response = client.post(decide_url(grant, "approve"), {"next": "queue"}, follow=True)
    content = response.content.decode()
    assert response.status_code == 200 and message in content and 'class="alert alert-danger' in content
    assert BenefitGrant.objects.get(pk=grant.pk).status == GrantStatus.REQUESTED


def test_the_queue_costs_the_same_for_one_request_or_five(client, manager, director, budget):
    client.force_login(director)
    requested(manager, make_key(AccountFactory(owner=manager)))
    one = count_queries(client, "/benefits/approvals/")
    for _ in range(4):
        requested(manager, make_key(AccountFactory(owner=manager)))
    assert count_queries(client, "/benefits/approvals/") == one


# --- budgets -----------------------------------------------------------------------------------------------------


def test_budgets_are_for_directors_and_integrations_may_look(client, manager, integration, director, budget):
    client.force_login(manager)
    assert client.get("/benefits/budgets/").status_code == 403
    client.force_login(integration)
    content = client.get("/benefits/budgets/").content.decode()
    assert f'id="budget-{budget.pk}"' in content and "Add a budget" not in content
    assert client.post("/benefits/budgets/", {"category": "social"}).status_code == 403
    assert client.get(f"/benefits/budgets/{budget.pk}/edit/").status_code == 403
    client.force_login(director)
    assert "Add a budget" in client.get("/benefits/budgets/").content.decode()


def test_a_director_adds_a_budget_and_an_overlapping_one_is_refused_at_its_start(client, director, budget):
    client.force_login(director)
    year = TODAY.year
    data = {"category": "social", "period_start": f"{year}-01-01", "period_end": f"{year}-12-31", "amount": "20000"}
    response = client.post("/benefits/budgets/", data)
    added = BenefitBudget.objects.get(category=BenefitCategory.SOCIAL)
    assert response.status_code == 302 and response["Location"] == f"/benefits/budgets/#budget-{added.pk}"
    overlapping = client.post("/benefits/budgets/", {**data, "period_start": f"{year}-06-01", "amount": "1"})
    content = overlapping.content.decode()
    assert overlapping.status_code == 200
    assert 'id="id_period_start_error"' in content and "Another budget of this category overlaps" in content
    assert BenefitBudget.objects.filter(category=BenefitCategory.SOCIAL).count() == 1


def test_a_director_may_not_cut_a_budget_below_what_is_committed(client, manager, director, key_account, budget):
    services.benefit_grant_approve(actor=director, grant=requested(manager, key_account))
    client.force_login(director)
    url = f"/benefits/budgets/{budget.pk}/edit/"
    data = {
        "category": "monetary",
        "period_start": budget.period_start.isoformat(),
        "period_end": budget.period_end.isoformat(),
        "amount": "100.00",
        "note": "",
    }
    content = client.post(url, data).content.decode()
    assert 'id="id_amount_error"' in content and "would cost more than the budget" in content
    saved = client.post(url, {**data, "amount": "150000.00"})
    assert saved.status_code == 302
    budget.refresh_from_db()
    assert budget.amount == Decimal("150000.00")


def test_the_budgets_page_costs_the_same_for_one_grant_or_five(client, manager, director, budget):
    client.force_login(director)
    BenefitBudgetFactory(category=BenefitCategory.SOCIAL)
    services.benefit_grant_approve(actor=director, grant=requested(manager, make_key(AccountFactory(owner=manager))))
    one = count_queries(client, "/benefits/budgets/")
    for _ in range(4):
        services.benefit_grant_approve(
            actor=director, grant=requested(manager, make_key(AccountFactory(owner=manager)))
        )
    content = client.get("/benefits/budgets/").content.decode()
    assert "5 grants" in content
    assert count_queries(client, "/benefits/budgets/") == one


# --- the catalog -------------------------------------------------------------------------------------------------


def test_everyone_reads_the_catalog_with_eligibility_in_words(client, manager, integration, director):
    for user in (manager, integration):
        client.force_login(user)
        content = client.get("/benefits/").content.decode()
        assert content.count('data-kam="benefit-type"') == BenefitType.objects.count()
        assert "Key status key or higher; payment reliability (C2) ≥ 70.00" in content
        assert "Stage Supporter or higher, or key status strategic" in content
        assert "Add a benefit" not in content
        assert client.get("/benefits/catalog/new/").status_code == 403
        assert client.get(f"/benefits/catalog/{catalog('volume_discount').pk}/edit/").status_code == 403
    client.force_login(director)
    assert "Add a benefit" in client.get("/benefits/").content.decode()


def test_a_director_adds_and_edits_a_benefit_and_its_code_stays(client, director):
    client.force_login(director)
    data = {
        "code": "golf_day",
        "name": "Golf day",
        "category": "social",
        "unit": "persons",
        "max_value": "4",
        "min_key_status": "strategic",
        "min_stage": "",
        "min_c2": "",
        "is_active": "on",
    }
    response = client.post("/benefits/catalog/new/", data)
    golf = BenefitType.objects.get(code="golf_day")
    assert response.status_code == 302 and response["Location"] == f"/benefits/#type-{golf.pk}"
    either = client.post(f"/benefits/catalog/{golf.pk}/edit/", {**data, "either_rule": "on"}).content.decode()
    assert 'id="id_either_rule_error"' in either and "needs both a minimum key status and a minimum stage" in either
    form = client.get(f"/benefits/catalog/{golf.pk}/edit/").content.decode()
    assert 'name="code"' in form and "disabled" in form.split('name="code"', 1)[1].split(">", 1)[0]
    saved = client.post(f"/benefits/catalog/{golf.pk}/edit/", {**data, "code": "renamed", "name": "Golf days"})
    assert saved.status_code == 302
    golf.refresh_from_db()
    assert (golf.code, golf.name) == ("golf_day", "Golf days")


def test_a_benefit_with_a_duplicate_code_is_refused_at_the_code(client, director):
    client.force_login(director)
    data = {"code": "volume_discount", "name": "Again", "category": "monetary", "unit": "%", "is_active": "on"}
    content = client.post("/benefits/catalog/new/", data).content.decode()
    assert 'id="id_code_error"' in content


# --- the ROI report ---------------------------------------------------------------------------------------------


def test_the_roi_report_shows_granted_benefits_with_the_method_and_totals(
    client, manager, outsider, director, key_account, budget
):
    OrderFactory(account=key_account, order_date=TODAY, net_amount=Decimal("5000.00"))
    active = requested(manager, key_account)
    services.benefit_grant_approve(actor=director, grant=active)
    waiting = requested(manager, key_account)
    foreign = make_key(AccountFactory(name="Outsider Holdings", owner=outsider))
    services.benefit_grant_approve(actor=director, grant=requested(outsider, foreign))
    client.force_login(manager)
    content = client.get("/benefits/roi/").content.decode()
    assert "Revenue during the grant (to today while it runs)" in content
    assert f'id="grant-{active.pk}"' in content and f'id="grant-{waiting.pk}"' not in content
    assert "Outsider Holdings" not in content
    totals = content.split('data-kam="roi-totals"', 1)[1].split("</tr>", 1)[0]
    assert "5,000.00" in totals and "Total of 1 grant" in totals
    client.force_login(director)
    assert "Total of 2 grants" in client.get("/benefits/roi/").content.decode()
    assert "Total of 2 grants" in client.get("/benefits/roi/?category=monetary&status=").content.decode()
    assert "No granted benefit matches" in client.get("/benefits/roi/?category=social").content.decode()
    assert "No granted benefit matches" in client.get("/benefits/roi/?status=revoked").content.decode()
    assert "Total of 2 grants" in client.get("/benefits/roi/?status=nonsense").content.decode()


def test_the_roi_report_sorts_by_a_figure_keeping_its_filters(client, manager, outsider, director, key_account, budget):
    # given two approved grants, one on an account with revenue during it
    OrderFactory(account=key_account, order_date=TODAY, net_amount=Decimal("5000.00"))
    earning = requested(manager, key_account)
    services.benefit_grant_approve(actor=director, grant=earning)
    foreign = make_key(AccountFactory(name="Outsider Holdings", owner=outsider))
    idle = requested(outsider, foreign)
    services.benefit_grant_approve(actor=director, grant=idle)
    client.force_login(director)
    # when the director sorts the monetary ones by revenue during the grant, either way
    largest = client.get("/benefits/roi/", {"category": "monetary", "ordering": "-revenue_during"})
    smallest = client.get("/benefits/roi/", {"category": "monetary", "ordering": "revenue_during"})
    # then the rows follow, the header says so and keeps the filter, and the filter form keeps the sort
    assert [grant.pk for grant in largest.context["page"].object_list] == [earning.pk, idle.pk]
    assert [grant.pk for grant in smallest.context["page"].object_list] == [idle.pk, earning.pk]
    content = largest.content.decode()
    assert 'aria-sort="descending"' in content and 'href="?category=monetary&amp;ordering=revenue_during"' in content
    assert 'type="hidden" name="ordering" value="-revenue_during"' in content
    # and a sort it does not know is ignored, as an unknown filter is
    assert client.get("/benefits/roi/", {"ordering": "nonsense"}).status_code == 200


def test_the_roi_report_costs_the_same_for_one_grant_or_five(client, manager, director, budget):
    client.force_login(director)
    services.benefit_grant_approve(actor=director, grant=requested(manager, make_key(AccountFactory(owner=manager))))
    one = count_queries(client, "/benefits/roi/")
    for _ in range(4):
        services.benefit_grant_approve(
            actor=director, grant=requested(manager, make_key(AccountFactory(owner=manager)))
        )
    assert count_queries(client, "/benefits/roi/") == one


def test_anonymous_users_are_sent_to_log_in(client, account):
    for url in ("/benefits/", "/benefits/approvals/", "/benefits/budgets/", "/benefits/roi/", section_url(account)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


# --- the account page (wired by accounts.views.account_detail) ----------------------------------------------------


def test_the_account_page_has_the_benefits_section_and_its_link(client, manager, key_account):
    client.force_login(manager)
    content = client.get(key_account.get_absolute_url()).content.decode()
    assert 'href="#benefits"' in content and content.count('id="benefits"') == 1
    assert 'data-code="volume_discount" data-eligible="true"' in content


def test_the_navbar_leads_to_the_benefits_pages(client, manager, director):
    client.force_login(manager)
    content = client.get("/accounts/").content.decode()
    assert 'href="/benefits/"' in content and 'href="/benefits/roi/"' in content
    assert 'href="/benefits/approvals/"' not in content and 'href="/benefits/budgets/"' not in content
    client.force_login(director)
    content = client.get("/accounts/").content.decode()
    assert 'href="/benefits/approvals/"' in content and 'href="/benefits/budgets/"' in content


def test_the_account_page_costs_the_same_with_one_grant_or_five(client, manager, director, key_account, budget):
    client.force_login(manager)
    requested(manager, key_account)
    one = count_queries(client, key_account.get_absolute_url())
    for _ in range(4):
        services.benefit_grant_approve(actor=director_factory(), grant=requested(manager, key_account))
    assert count_queries(client, key_account.get_absolute_url()) == one
