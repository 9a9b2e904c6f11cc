"""What the OpenAPI schema says a request may be is what the API takes (issue 9: schemathesis's
``positive_data_acceptance`` and ``negative_data_rejection``). Each rule the schema states beyond a field's type —
plain ASCII digits within a decimal's bounds, no NUL, not blank once trimmed, no unknown key, the rules between
fields (``request_rules``), dates within bounds that name today, a country code as sent — is held here to the
API's answer: a body the schema calls valid is taken, one it calls invalid is a 400 naming the field."""

from __future__ import annotations

import copy
import datetime
import re
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from django.utils import timezone

from accounts.choices import InvoiceStatus
from benefits.choices import BenefitCategory, GrantStatus
from benefits.models import BenefitType
from kam.api.serializers import date_pattern, decimal_pattern, text_pattern
from tests.benefits.factories import BenefitBudgetFactory, BenefitGrantFactory
from tests.factories import AccountPlanFactory
from tests.kam.test_authorization_matrix import schema

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def _openapi_30_as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable`` as JSON Schema says it (the rest is the same)."""
    if isinstance(node, list):
        return [_openapi_30_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _openapi_30_as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def schema_admits(component: str, body: dict[str, Any]) -> bool:
    components = _openapi_30_as_json_schema(copy.deepcopy(schema()["components"]))
    root = {"$ref": f"#/components/schemas/{component}", "components": components}
    return jsonschema.Draft7Validator(root).is_valid(body)


class World:
    """The objects the bodies name, made on demand."""

    def __init__(self, account, manager, director):
        self.account, self.manager, self.director = account, manager, director

    def plan(self):
        return AccountPlanFactory(account=self.account)

    def open_benefit(self):
        return BenefitType.objects.create(code="anything", name="Anything", category=BenefitCategory.MONETARY, unit="x")

    def approved_grant(self):
        return BenefitGrantFactory(
            account=self.account,
            benefit_type=self.open_benefit(),
            requested_by=self.manager,
            status=GrantStatus.APPROVED,
            decided_by=self.director,
            decided_at=timezone.now(),
            budget=BenefitBudgetFactory(),
            committed_cost=Decimal("100.00"),
        )


def order(w: World, **values: Any) -> dict[str, Any]:
    return {"account": w.account.pk, "order_date": "2026-11-02", "net_amount": "10.50", **values}


def invoice(w: World, **values: Any) -> dict[str, Any]:
    base = {"account": w.account.pk, "number": "INV-1", "issue_date": "2026-11-02", "due_date": "2026-12-02"}
    return {**base, "amount": "10.00", **values}


def grant(w: World, **values: Any) -> dict[str, Any]:
    return {
        "account": w.account.pk,
        "benefit_type": w.open_benefit().pk,
        "value": "5",
        "valid_from": TODAY.isoformat(),
        "valid_to": (TODAY + 30 * DAY).isoformat(),
        "justification": "They doubled their volume this year.",
        "estimated_annual_cost": "100",
        **values,
    }


def objective(w: World, **values: Any) -> dict[str, Any]:
    return {"plan": w.plan().pk, "title": "Grow", "target": "More revenue", "due": "2027-06-30", **values}


def interaction(w: World, **values: Any) -> dict[str, Any]:
    return {"account": w.account.pk, "kind": "call", "occurred_at": "2026-11-02T10:00:00Z", "subject": "Hi", **values}


def benefit_type(w: World, **values: Any) -> dict[str, Any]:
    return {"code": "lounge", "name": "Lounge", "category": "social", "unit": "visits", **values}


CASES = [
    # path, request component, body, the field a 400 names (None: taken)
    ("/api/v1/orders/", "OrderRequest", lambda w: order(w), None),
    ("/api/v1/orders/", "OrderRequest", lambda w: order(w, account_external_id="ERP-ACME", account=None), None),
    ("/api/v1/orders/", "OrderRequest", lambda w: order(w, net_amount="٣"), "net_amount"),  # a Unicode digit
    ("/api/v1/orders/", "OrderRequest", lambda w: order(w, net_amount="-0"), "net_amount"),  # never negative
    ("/api/v1/orders/", "OrderRequest", lambda w: order(w, net_amount="0001234.5"), None),
    ("/api/v1/orders/", "OrderRequest", lambda w: order(w, discount_pct="100.00"), None),
    ("/api/v1/orders/", "OrderRequest", lambda w: order(w, discount_pct="100.01"), "discount_pct"),
    ("/api/v1/orders/", "OrderRequest", lambda w: order(w, discount_pct="99.999"), "discount_pct"),
    ("/api/v1/orders/", "OrderRequest", lambda w: order(w, colour="red"), "colour"),  # no unknown key
    ("/api/v1/orders/", "OrderRequest", lambda w: order(w, account=None), "account"),  # names its account
    ("/api/v1/invoices/", "InvoiceRequest", lambda w: invoice(w, amount="0.00"), "amount"),  # positive
    ("/api/v1/invoices/", "InvoiceRequest", lambda w: invoice(w, amount=".01"), None),
    ("/api/v1/invoices/", "InvoiceRequest", lambda w: invoice(w, status=InvoiceStatus.PAID), "paid_date"),
    ("/api/v1/invoices/", "InvoiceRequest", lambda w: invoice(w, paid_date="2026-11-20"), "paid_date"),
    (
        "/api/v1/invoices/",
        "InvoiceRequest",
        lambda w: invoice(w, status=InvoiceStatus.PAID, paid_date="2026-11-20"),
        None,
    ),
    ("/api/v1/contacts/", "ContactRequest", lambda w: {"account": w.account.pk, "name": "Ann\x00"}, "name"),
    ("/api/v1/contacts/", "ContactRequest", lambda w: {"account": w.account.pk, "name": " \u00a0\t"}, "name"),
    ("/api/v1/contacts/", "ContactRequest", lambda w: {"account": w.account.pk, "name": " Ann "}, None),
    ("/api/v1/interactions/", "InteractionRequest", lambda w: interaction(w, next_step_due="2026-12-01"), "next_step"),
    (
        "/api/v1/interactions/",
        "InteractionRequest",
        lambda w: interaction(w, next_step=" ", next_step_due="2026-12-01"),
        "next_step",
    ),
    (
        "/api/v1/interactions/",
        "InteractionRequest",
        lambda w: interaction(w, next_step="Send the offer", next_step_due="2026-12-01"),
        None,
    ),
    ("/api/v1/plan-objectives/", "PlanObjectiveRequest", lambda w: objective(w, target_unit="EUR"), "target_value"),
    ("/api/v1/plan-objectives/", "PlanObjectiveRequest", lambda w: objective(w, target_unit="  "), None),
    (
        "/api/v1/plan-objectives/",
        "PlanObjectiveRequest",
        lambda w: objective(w, target_unit="EUR", target_value="2500000"),
        None,
    ),
    (
        "/api/v1/benefit-types/",
        "BenefitTypeRequest",
        lambda w: benefit_type(w, either_rule=True, min_key_status="key"),
        "either_rule",
    ),
    (
        "/api/v1/benefit-types/",
        "BenefitTypeRequest",
        lambda w: benefit_type(w, either_rule=True, min_key_status="key", min_stage="supporter"),
        None,
    ),
    ("/api/v1/benefit-types/", "BenefitTypeRequest", lambda w: benefit_type(w, max_value="0.00"), "max_value"),
    ("/api/v1/grants/", "BenefitGrantRequest", lambda w: grant(w), None),
    ("/api/v1/grants/", "BenefitGrantRequest", lambda w: grant(w, valid_from=(TODAY - DAY).isoformat()), "valid_from"),
    ("/api/v1/grants/", "BenefitGrantRequest", lambda w: grant(w, justification="   too short  "), "justification"),
    (
        "/api/v1/benefit-costs/",
        "BenefitCostRequest",
        lambda w: {"grant": w.approved_grant().pk, "incurred_on": "2026-11-02", "amount": "0"},
        "amount",
    ),
    (
        "/api/v1/benefit-costs/",
        "BenefitCostRequest",
        lambda w: {"grant": w.approved_grant().pk, "incurred_on": "2026-11-02", "amount": "0.01"},
        None,
    ),
    ("/api/v1/scoring-runs/", "ScoringRunCreateRequest", lambda w: {"as_of": "1970-01-01"}, None),
    ("/api/v1/scoring-runs/", "ScoringRunCreateRequest", lambda w: {"as_of": "1969-12-31"}, "as_of"),
    ("/api/v1/scoring-runs/", "ScoringRunCreateRequest", lambda w: {"as_of": (TODAY + DAY).isoformat()}, "as_of"),
    ("/api/v1/accounts/", "AccountRequest", lambda w: {"name": "Beta", "country": "DE"}, None),
    ("/api/v1/accounts/", "AccountRequest", lambda w: {"name": "Beta", "country": " DE"}, "country"),
    ("/api/v1/api-tokens/", "ApiTokenCreateRequest", lambda w: {"name": "ERP", "user": w.manager.pk}, "user"),
]


@pytest.mark.parametrize(("path", "component", "body", "field"), CASES)
def test_the_schema_admits_what_the_api_takes(api, director, manager, account, path, component, body, field):
    # given a body the schema admits or not
    values = {key: value for key, value in body(World(account, manager, director)).items() if value is not None}
    admitted = schema_admits(component, values)
    # when it is sent
    response = api(director).post(path, values, format="json")
    # then the API takes it exactly when the schema admits it, else names the field
    if field is None:
        assert admitted and response.status_code in (201, 202), response.json()
    else:
        assert not admitted, f"the schema admits what {path} refuses on {field}"
        assert response.status_code == 400 and field in response.json(), response.json()


@pytest.mark.parametrize(
    ("expires_on", "reason", "field"),
    [
        (TODAY, "The rules cannot see the framework contract signed last week.", "expires_on"),
        (TODAY + 367 * DAY, "The rules cannot see the framework contract signed last week.", "expires_on"),
        (TODAY + 30 * DAY, "   Too short.   ", "reason"),
        (TODAY + 366 * DAY, "The rules cannot see the framework contract signed last week.", None),
    ],
)
def test_an_override_request_is_admitted_as_the_api_takes_it(api, director, account, expires_on, reason, field):
    values = {"stage": "client", "reason": reason, "expires_on": expires_on.isoformat()}
    admitted = schema_admits("LadderOverrideRequestRequest", values)
    response = api(director).post(f"/api/v1/accounts/{account.pk}/ladder/override/", values, format="json")
    assert admitted == (field is None)
    if field is None:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 400 and field in response.json(), response.json()


def test_a_decision_takes_a_note_and_nothing_else(api, director, manager, account):
    grant = BenefitGrantFactory(account=account, requested_by=manager)
    assert not schema_admits("DecisionRequest", {"note": "ok", "colour": "red"})
    response = api(director).post(f"/api/v1/grants/{grant.pk}/reject/", {"colour": "red"}, format="json")
    assert response.status_code == 400 and response.json() == {"colour": ["Unknown field."]}


def test_every_strict_request_body_refuses_unknown_keys_in_its_schema():
    components = schema()["components"]["schemas"]
    for name in ("OrderRequest", "PatchedOrderRequest", "OrderBulkItemRequest", "DecisionRequest"):
        assert components[name]["additionalProperties"] is False, name


@pytest.mark.parametrize(("name", "value"), [("search", "Acme\x00"), ("industry", "\x00"), ("external_id", "E\x00")])
def test_a_nul_in_a_free_text_filter_is_a_400_naming_it(api, director, name, value):
    parameters = schema()["paths"]["/api/v1/accounts/"]["get"]["parameters"]
    [stated] = [parameter["schema"] for parameter in parameters if parameter["name"] == name]
    assert not re.search(stated["pattern"], value)
    response = api(director).get("/api/v1/accounts/", {name: value})
    assert response.status_code == 400 and name in response.json()


# --- the patterns themselves ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "taken", "refused"),
    [
        (decimal_pattern(14, 2), ["-5", "0", "5.", ".5", "000000000000001.25"], ["", "+5", "1e3", "٣", "0.125"]),
        (decimal_pattern(14, 2, min_value=Decimal(0)), ["0", "12.50"], ["-0", "-1"]),
        (decimal_pattern(14, 2, min_value=Decimal("0.01")), ["0.01", "1", ".10"], ["0", "0.00", ".0", "00.00"]),
        (
            decimal_pattern(5, 2, min_value=Decimal(0), max_value=Decimal(100)),
            ["0", "99.99", "100", "100.00", "0100"],
            ["100.01", "101", "1000", "-0"],
        ),
        (decimal_pattern(14, 2, empty=True), ["", "-5"], [" ", "-", "."]),
        (text_pattern(), ["", " ", "é"], ["\x00", "a\x00b"]),
        (text_pattern(min_length=1), [" a ", "a"], ["", " \t\n\u00a0\u3000", "a\x00"]),
        (text_pattern(min_length=10), ["  0123456789  "], ["  012345678  ", "0123456789\x00"]),
    ],
)
def test_a_pattern_takes_what_it_says(pattern, taken, refused):
    assert all(re.fullmatch(pattern, value) for value in taken)
    assert not any(re.fullmatch(pattern, value) for value in refused)


def test_a_pattern_cannot_state_other_bounds():
    with pytest.raises(ValueError, match="minimum"):
        decimal_pattern(14, 2, min_value=Decimal(5))
    with pytest.raises(ValueError, match="maximum"):
        decimal_pattern(5, 2, max_value=Decimal(50))


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (datetime.date(1970, 1, 1), datetime.date(2026, 12, 1)),
        (datetime.date(2026, 12, 1), None),
        (datetime.date(2026, 2, 28), datetime.date(2027, 2, 28)),
        (datetime.date(2026, 3, 15), datetime.date(2026, 3, 20)),
        (None, datetime.date(1999, 12, 31)),
    ],
)
def test_a_date_pattern_takes_the_days_between_its_bounds(first, last):
    pattern = re.compile(date_pattern(first, last))
    low, high = first or datetime.date.min, last or datetime.date.max
    # every day within two years of either bound, and the first day of every year
    days = {bound + offset * DAY for bound in (low, high) for offset in range(-731, 732) if _fits(bound, offset)}
    days |= {datetime.date(year, 1, 1) for year in range(1, 10000)}
    for day in days:
        assert bool(pattern.fullmatch(day.isoformat())) == (low <= day <= high), day


def _fits(bound: datetime.date, offset: int) -> bool:
    try:
        bound + offset * DAY
    except OverflowError:
        return False
    return True
