"""The benefits API: benefit-types/, grants/ with approve/reject/revoke, benefit-budgets/, benefit-costs/ —
personas, outsiders 404, bad input and every constraint 400 naming the field, constant query counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import KeyStatus
from benefits.choices import GrantStatus
from benefits.models import BenefitBudget, BenefitGrant, BenefitType
from tests.benefits.factories import BenefitBudgetFactory, BenefitGrantFactory, catalog
from tests.factories import AccountFactory, director_factory
from tests.http import if_match

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
GRANTS = "/api/v1/grants/"
TYPES = "/api/v1/benefit-types/"
BUDGETS = "/api/v1/benefit-budgets/"
COSTS = "/api/v1/benefit-costs/"


@pytest.fixture
def key_account(account):
    account.key_status = KeyStatus.KEY
    account.save(update_fields=["key_status"])
    return account


def request_body(for_account, **overrides) -> dict:
    body = {
        "account": for_account.pk,
        "benefit_type": catalog("volume_discount").pk,
        "value": "5.00",
        "valid_from": TODAY.isoformat(),
        "valid_to": (TODAY + datetime.timedelta(days=89)).isoformat(),
        "estimated_annual_cost": "3650.00",
        "justification": "Consolidating their volume with us next year.",
    }
    return {**body, **overrides}


# --- grants --------------------------------------------------------------------------------------------------


def test_a_manager_requests_and_a_director_approves_with_the_budget_moving(api, manager, director, key_account):
    budget = BenefitBudgetFactory()
    created = api(manager).post(GRANTS, request_body(key_account), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["requested_by"], body["roi_method"] != "") == ("requested", manager.pk, True)
    approved = api(director).post(f"{GRANTS}{body['id']}/approve/", {"note": "Yes."}, format="json")
    assert approved.status_code == 200, approved.content
    assert (approved.json()["status"], approved.json()["committed_cost"]) == ("active", "900.00")
    assert [e["to_status"] for e in approved.json()["events"]] == ["active", "approved", "requested"]
    budget.refresh_from_db()
    assert budget.committed == Decimal("900.00")
    assert api(director).get(f"{BUDGETS}{budget.pk}/").json()["available"] == "99100.00"


def test_a_standard_account_is_refused_with_the_rule_named(api, manager, account):
    response = api(manager).post(GRANTS, request_body(account), format="json")
    assert response.status_code == 400
    assert response.json()["account"][0].startswith("min_key_status: Volume discount needs the key status key")


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"value": "15.01"}, "value"),
        ({"value": "-1.00"}, "value"),
        ({"value": 5}, "value"),
        ({"valid_to": (TODAY - datetime.timedelta(days=1)).isoformat()}, "valid_to"),
        ({"valid_from": "2026-02-30"}, "valid_from"),
        ({"estimated_annual_cost": "-5.00"}, "estimated_annual_cost"),
        ({"justification": "Because."}, "justification"),
        ({"benefit_type": 999999}, "benefit_type"),
        ({"status": "active"}, "status"),
        ({"committed_cost": "0.00"}, "committed_cost"),
        ({"account": 999999}, "account"),
    ],
)
def test_bad_requests_are_400_naming_the_field(api, manager, key_account, overrides, field):
    response = api(manager).post(GRANTS, request_body(key_account, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not BenefitGrant.objects.exists()


def test_decisions_by_persona(api, manager, colleague, outsider, director, integration, key_account):
    BenefitBudgetFactory()
    grant = BenefitGrantFactory(account=key_account, requested_by=manager)
    url = f"{GRANTS}{grant.pk}/approve/"
    assert api(outsider).post(url, {}, format="json").status_code == 404
    for user in (manager, colleague, integration):
        assert api(user).post(url, {}, format="json").status_code == 403
    assert api(director).post(url, {"verdict": "yes"}, format="json").status_code == 400
    assert api(director).post(url, {}, format="json").status_code == 200
    again = api(director_factory()).post(f"{GRANTS}{grant.pk}/reject/", {}, format="json")
    assert again.status_code == 400 and "nothing to do" in again.json()["status"][0]
    revoked = api(director).post(f"{GRANTS}{grant.pk}/revoke/", {"note": "Lost the tender."}, format="json")
    assert revoked.status_code == 200 and revoked.json()["status"] == GrantStatus.REVOKED


def test_self_approval_is_a_400_on_status(api, director, key_account):
    BenefitBudgetFactory()
    grant = BenefitGrantFactory(account=key_account, requested_by=director)
    response = api(director).post(f"{GRANTS}{grant.pk}/approve/", {}, format="json")
    assert response.status_code == 400 and "four eyes" in response.json()["status"][0]


def test_integrations_request_nothing_and_outsiders_see_nothing(api, integration, outsider, key_account):
    grant = BenefitGrantFactory(account=key_account)
    assert api(integration).post(GRANTS, request_body(key_account), format="json").status_code == 403
    assert api(outsider).get(f"{GRANTS}{grant.pk}/").status_code == 404
    assert api(outsider).get(GRANTS).json()["results"] == []
    assert api(outsider).post(GRANTS, request_body(key_account), format="json").status_code == 400  # not found


def test_grants_list_costs_the_same_for_more_grants(api, director):
    client = api(director)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(GRANTS).status_code == 200
        return len(queries)

    BenefitGrantFactory(account=AccountFactory(key_status=KeyStatus.KEY))
    count()  # the first request also records the token's use
    one = count()
    for _ in range(9):
        BenefitGrantFactory(account=AccountFactory(key_status=KeyStatus.KEY))
    assert count() == one


def test_the_roi_estimate_compares_the_grant_with_as_many_days_before(api, director, key_account):
    from tests.factories import OrderFactory

    grant = BenefitGrantFactory(
        account=key_account,
        valid_from=TODAY - datetime.timedelta(days=9),
        valid_to=TODAY + datetime.timedelta(days=20),
        status=GrantStatus.ACTIVE,
        decided_by=director,
        decided_at=timezone.now(),
        committed_cost=Decimal("300.00"),
    )
    OrderFactory(account=key_account, order_date=TODAY - datetime.timedelta(days=2), net_amount=Decimal("5000.00"))
    OrderFactory(account=key_account, order_date=TODAY - datetime.timedelta(days=15), net_amount=Decimal("1000.00"))
    OrderFactory(account=key_account, order_date=TODAY - datetime.timedelta(days=25), net_amount=Decimal("700.00"))
    body = api(director).get(f"{GRANTS}{grant.pk}/").json()
    # 10 days elapsed of 30: during 5,000; the 10 days before (day −19 … −10): 1,000; cost 300 · 10/30 = 100
    assert (body["revenue_during"], body["revenue_before"], body["cost"], body["roi"]) == (
        "5000.00", "1000.00", "100.00", "3900.00",
    )  # fmt: skip


# --- the catalog, budgets, costs -------------------------------------------------------------------------------


def test_everyone_reads_the_catalog_and_directors_keep_it(api, manager, director):
    listed = api(manager).get(TYPES, {"category": "social"}).json()["results"]
    assert {t["code"] for t in listed} == {"club_membership", "tours_and_trips", "executive_events"}
    assert listed[0]["rules"] == "stage Supporter or higher, or key status strategic"
    body = {"code": "golf_day", "name": "Golf day", "category": "social", "unit": "invitations", "max_value": "4.00",
            "min_key_status": "strategic", "min_stage": "supporter", "either_rule": True}  # fmt: skip
    assert api(manager).post(TYPES, body, format="json").status_code == 403
    created = api(director).post(TYPES, body, format="json")
    assert created.status_code == 201, created.content
    renamed = api(director).patch(
        f"{TYPES}{created.json()['id']}/",
        {"code": "golf"},
        format="json",
        **if_match(api(director), f"{TYPES}{created.json()['id']}/"),
    )
    assert renamed.status_code == 400 and "code" in renamed.json()


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"code": "volume_discount"}, "code"),
        ({"category": "spiritual"}, "category"),
        ({"max_value": "0.00"}, "max_value"),
        ({"min_c2": "101.00"}, "min_c2"),
        ({"min_key_status": "vip"}, "min_key_status"),
        ({"either_rule": True, "min_stage": ""}, "either_rule"),
        ({"unit": ""}, "unit"),
    ],
)
def test_catalog_constraints_are_400_naming_the_field(api, director, overrides, field):
    body = {"code": "golf_day", "name": "Golf day", "category": "social", "unit": "invitations",
            "min_key_status": "strategic", "min_stage": "supporter", **overrides}  # fmt: skip
    response = api(director).post(TYPES, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not BenefitType.objects.filter(name="Golf day").exists()


def test_budgets_are_for_directors_and_one_per_category_and_period(api, manager, integration, director):
    year = TODAY.year
    body = {"category": "social", "period_start": f"{year}-01-01", "period_end": f"{year}-12-31", "amount": "50000.00"}
    assert api(manager).get(BUDGETS).status_code == 403
    assert api(integration).post(BUDGETS, body, format="json").status_code == 403
    assert api(director).post(BUDGETS, body, format="json").status_code == 201
    overlapping = api(director).post(BUDGETS, {**body, "period_start": f"{year}-06-01"}, format="json")
    assert overlapping.status_code == 400 and "period_start" in overlapping.json()
    inverted = api(director).post(
        BUDGETS, {**body, "category": "monetary", "period_end": f"{year - 1}-12-31"}, format="json"
    )
    assert inverted.status_code == 400 and "period_end" in inverted.json()
    negative = api(director).post(BUDGETS, {**body, "category": "structural", "amount": "-1.00"}, format="json")
    assert negative.status_code == 400 and "amount" in negative.json()
    assert api(integration).get(BUDGETS).status_code == 200
    assert BenefitBudget.objects.count() == 1


def test_costs_are_recorded_by_integrations_and_consumed_from_the_budget(
    api, manager, director, integration, key_account
):
    budget = BenefitBudgetFactory()
    grant = BenefitGrantFactory(account=key_account, requested_by=manager)
    api(director).post(f"{GRANTS}{grant.pk}/approve/", {}, format="json")
    body = {"grant": grant.pk, "incurred_on": TODAY.isoformat(), "amount": "120.00", "note": "Q1 discount credit"}
    assert api(manager).post(COSTS, body, format="json").status_code == 403
    created = api(integration).post(COSTS, body, format="json")
    assert created.status_code == 201, created.content
    assert api(integration).post(COSTS, {**body, "amount": "0.00"}, format="json").status_code == 400
    budget.refresh_from_db()
    assert budget.consumed == Decimal("120.00")


def test_a_budget_amount_below_its_commitments_is_a_400_on_amount(api, manager, director, key_account):
    budget = BenefitBudgetFactory()
    grant = BenefitGrantFactory(account=key_account, requested_by=manager)
    api(director).post(f"{GRANTS}{grant.pk}/approve/", {}, format="json")
    response = api(director).patch(
        f"{BUDGETS}{budget.pk}/",
        {"amount": "899.99"},
        format="json",
        **if_match(api(director), f"{BUDGETS}{budget.pk}/"),
    )
    assert response.status_code == 400
    assert response.json() == {"amount": ["The approved grants would cost more than the budget."]}
    moved = api(director).patch(
        f"{BUDGETS}{budget.pk}/",
        {"category": "social"},
        format="json",
        **if_match(api(director), f"{BUDGETS}{budget.pk}/"),
    )
    assert moved.status_code == 400 and "category" in moved.json()


def test_a_code_is_text_not_a_number(api, director):
    body = {"code": 0, "name": "Golf day", "category": "social", "unit": "invitations"}
    response = api(director).post(TYPES, body, format="json")
    assert response.status_code == 400 and "code" in response.json()
