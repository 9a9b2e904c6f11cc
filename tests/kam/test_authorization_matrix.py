"""The authorization matrix (issue 9): every API operation of the OpenAPI schema × every persona, with the outcome
the roles say it must have (README "Roles and visibility").

Personas: ``anon`` (no credentials), ``manager`` (owns the account), ``colleague`` (on its team), ``outsider`` (a
manager of another account), ``director``, ``integration`` (the ERP's user). Each operation is called by each
persona against one world — an account of the manager with one record of every kind — in a transaction rolled
back after each call, so every persona meets the same state. Writes send ``If-Match: *`` and a valid body, so
that what refuses them is the authorization, not the input.

Outcomes: an HTTP status (``200``, ``201``, ``202``, ``204``, ``401``, ``403``, ``404``), or for lists ``seen``
(200 and the world's object is in it) / ``unseen`` (200 and it is not). A new operation without an entry in
``EXPECTED`` fails the test: decide who may call it before it ships.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from relationships.models import LadderOverride

pytestmark = pytest.mark.django_db

PERSONAS = ("anon", "manager", "colleague", "outsider", "director", "integration")
TODAY = timezone.localdate()


def _row(text: str) -> dict[str, str]:
    outcomes = text.split()
    assert len(outcomes) == len(PERSONAS), text
    return dict(zip(PERSONAS, outcomes, strict=True))


# 400 where a persona is refused by a rule about the input: an outsider naming an account they cannot see (it
# "does not exist" for them), the logger verifying their own advocacy (someone else must).
#                                                   anon manager colleague outsider director integration
EXPECTED: dict[str, dict[str, str]] = {
    "GET /api/v1/account-plans/": _row("401 seen seen unseen seen seen"),
    "POST /api/v1/account-plans/": _row("401 201 201 400 201 403"),
    "GET /api/v1/account-plans/{id}/": _row("401 200 200 404 200 200"),
    "PATCH /api/v1/account-plans/{id}/": _row("401 200 200 404 200 403"),
    "DELETE /api/v1/account-plans/{id}/": _row("401 204 403 404 204 403"),
    "GET /api/v1/accounts/": _row("401 seen seen unseen seen seen"),
    "POST /api/v1/accounts/": _row("401 403 403 403 201 201"),
    "GET /api/v1/accounts/{id}/": _row("401 200 200 404 200 200"),
    "PATCH /api/v1/accounts/{id}/": _row("401 200 403 404 200 200"),
    "DELETE /api/v1/accounts/{id}/": _row("401 403 403 404 204 403"),
    "GET /api/v1/accounts/{id}/ladder/": _row("401 200 200 404 200 200"),
    "POST /api/v1/accounts/{id}/ladder/override/": _row("401 201 201 404 201 403"),
    "GET /api/v1/accounts/{id}/score/": _row("401 200 200 404 200 200"),
    "GET /api/v1/accounts/{id}/scores/": _row("401 200 200 404 200 200"),
    "GET /api/v1/action-items/": _row("401 seen seen unseen seen seen"),
    "POST /api/v1/action-items/": _row("401 201 201 400 201 403"),
    "GET /api/v1/action-items/{id}/": _row("401 200 200 404 200 200"),
    "PATCH /api/v1/action-items/{id}/": _row("401 200 200 404 200 403"),
    "DELETE /api/v1/action-items/{id}/": _row("401 204 204 404 204 403"),
    "GET /api/v1/advocacy-events/": _row("401 seen seen unseen seen seen"),
    "POST /api/v1/advocacy-events/": _row("401 201 201 400 201 201"),
    "GET /api/v1/advocacy-events/{id}/": _row("401 200 200 404 200 200"),
    "PATCH /api/v1/advocacy-events/{id}/": _row("401 200 403 404 200 200"),
    "DELETE /api/v1/advocacy-events/{id}/": _row("401 204 403 404 204 204"),
    "POST /api/v1/advocacy-events/{id}/verify/": _row("401 400 200 404 200 403"),
    "GET /api/v1/api-tokens/": _row("401 seen unseen unseen seen unseen"),
    "POST /api/v1/api-tokens/": _row("401 201 201 201 201 201"),
    "GET /api/v1/api-tokens/{id}/": _row("401 200 404 404 200 404"),
    "POST /api/v1/api-tokens/{id}/revoke/": _row("401 200 404 404 200 404"),
    "GET /api/v1/benefit-budgets/": _row("401 403 403 403 seen seen"),
    "POST /api/v1/benefit-budgets/": _row("401 403 403 403 201 403"),
    "GET /api/v1/benefit-budgets/{id}/": _row("401 403 403 403 200 200"),
    "PATCH /api/v1/benefit-budgets/{id}/": _row("401 403 403 403 200 403"),
    "GET /api/v1/benefit-costs/": _row("401 403 403 403 seen seen"),
    "POST /api/v1/benefit-costs/": _row("401 403 403 403 201 201"),
    "GET /api/v1/benefit-costs/{id}/": _row("401 403 403 403 200 200"),
    "GET /api/v1/benefit-types/": _row("401 seen seen seen seen seen"),
    "POST /api/v1/benefit-types/": _row("401 403 403 403 201 403"),
    "GET /api/v1/benefit-types/{id}/": _row("401 200 200 200 200 200"),
    "PATCH /api/v1/benefit-types/{id}/": _row("401 403 403 403 200 403"),
    "GET /api/v1/contacts/": _row("401 seen seen unseen seen seen"),
    "POST /api/v1/contacts/": _row("401 201 201 400 201 201"),
    "GET /api/v1/contacts/{id}/": _row("401 200 200 404 200 200"),
    "PATCH /api/v1/contacts/{id}/": _row("401 200 200 404 200 200"),
    "DELETE /api/v1/contacts/{id}/": _row("401 204 204 404 204 204"),
    "GET /api/v1/contracts/": _row("401 seen seen unseen seen seen"),
    "POST /api/v1/contracts/": _row("401 403 403 400 201 201"),
    "GET /api/v1/contracts/{id}/": _row("401 200 200 404 200 200"),
    "PATCH /api/v1/contracts/{id}/": _row("401 403 403 404 200 200"),
    "DELETE /api/v1/contracts/{id}/": _row("401 403 403 404 204 204"),
    "GET /api/v1/feedback/": _row("401 seen seen unseen seen seen"),
    "POST /api/v1/feedback/": _row("401 201 201 400 201 201"),
    "GET /api/v1/feedback/{id}/": _row("401 200 200 404 200 200"),
    "PATCH /api/v1/feedback/{id}/": _row("401 403 403 404 200 200"),
    "DELETE /api/v1/feedback/{id}/": _row("401 403 403 404 204 204"),
    "GET /api/v1/grants/": _row("401 seen seen unseen seen seen"),
    "POST /api/v1/grants/": _row("401 201 201 400 201 403"),
    "GET /api/v1/grants/{id}/": _row("401 200 200 404 200 200"),
    "POST /api/v1/grants/{id}/approve/": _row("401 403 403 404 200 403"),
    "POST /api/v1/grants/{id}/reject/": _row("401 403 403 404 200 403"),
    "POST /api/v1/grants/{id}/revoke/": _row("401 403 403 404 200 403"),
    "POST /api/v1/imports/": _row("401 403 403 403 201 201"),
    "GET /api/v1/imports/{id}/": _row("401 404 404 404 200 200"),
    "GET /api/v1/interactions/": _row("401 seen seen unseen seen seen"),
    "POST /api/v1/interactions/": _row("401 201 201 400 201 403"),
    "GET /api/v1/interactions/{id}/": _row("401 200 200 404 200 200"),
    "PATCH /api/v1/interactions/{id}/": _row("401 200 403 404 200 403"),
    "DELETE /api/v1/interactions/{id}/": _row("401 204 403 404 204 403"),
    "GET /api/v1/invoices/": _row("401 seen seen unseen seen seen"),
    "POST /api/v1/invoices/": _row("401 403 403 400 201 201"),
    "GET /api/v1/invoices/{id}/": _row("401 200 200 404 200 200"),
    "PATCH /api/v1/invoices/{id}/": _row("401 403 403 404 200 200"),
    "DELETE /api/v1/invoices/{id}/": _row("401 403 403 404 204 204"),
    "POST /api/v1/invoices/bulk/": _row("401 403 403 403 200 200"),
    "GET /api/v1/ladder-overrides/": _row("401 seen seen unseen seen seen"),
    "GET /api/v1/ladder-overrides/{id}/": _row("401 200 200 404 200 200"),
    "POST /api/v1/ladder-overrides/{id}/approve/": _row("401 403 403 404 200 403"),
    "POST /api/v1/ladder-overrides/{id}/reject/": _row("401 403 403 404 200 403"),
    "POST /api/v1/ladder-overrides/{id}/revoke/": _row("401 200 403 404 200 403"),
    "GET /api/v1/notifications/": _row("401 seen unseen unseen unseen unseen"),
    "GET /api/v1/notifications/{id}/": _row("401 200 404 404 404 404"),
    "POST /api/v1/notifications/{id}/read/": _row("401 200 404 404 404 404"),
    "POST /api/v1/notifications/read-all/": _row("401 200 200 200 200 200"),
    "GET /api/v1/orders/": _row("401 seen seen unseen seen seen"),
    "POST /api/v1/orders/": _row("401 403 403 400 201 201"),
    "GET /api/v1/orders/{id}/": _row("401 200 200 404 200 200"),
    "PATCH /api/v1/orders/{id}/": _row("401 403 403 404 200 200"),
    "DELETE /api/v1/orders/{id}/": _row("401 403 403 404 204 204"),
    "POST /api/v1/orders/bulk/": _row("401 403 403 403 200 200"),
    "GET /api/v1/partner-proposals/": _row("401 403 403 403 seen 403"),
    "GET /api/v1/partner-proposals/{id}/": _row("401 403 403 404 200 403"),
    "POST /api/v1/partner-proposals/{id}/approve/": _row("401 403 403 404 200 403"),
    "POST /api/v1/partner-proposals/{id}/reject/": _row("401 403 403 404 200 403"),
    "GET /api/v1/plan-objectives/": _row("401 seen seen unseen seen seen"),
    "POST /api/v1/plan-objectives/": _row("401 201 201 400 201 403"),
    "GET /api/v1/plan-objectives/{id}/": _row("401 200 200 404 200 200"),
    "PATCH /api/v1/plan-objectives/{id}/": _row("401 200 200 404 200 403"),
    "DELETE /api/v1/plan-objectives/{id}/": _row("401 204 204 404 204 403"),
    "GET /api/v1/scoring-runs/": _row("401 403 403 403 seen seen"),
    "POST /api/v1/scoring-runs/": _row("401 403 403 403 202 202"),
    "GET /api/v1/scoring-runs/{id}/": _row("401 404 404 404 200 200"),
    "GET /api/v1/swot-items/": _row("401 seen seen unseen seen seen"),
    "POST /api/v1/swot-items/": _row("401 201 201 400 201 403"),
    "GET /api/v1/swot-items/{id}/": _row("401 200 200 404 200 200"),
    "PATCH /api/v1/swot-items/{id}/": _row("401 200 200 404 200 403"),
    "DELETE /api/v1/swot-items/{id}/": _row("401 204 204 404 204 403"),
    "GET /api/v1/webhook-deliveries/": _row("401 unseen unseen unseen seen unseen"),
    "GET /api/v1/webhook-deliveries/{id}/": _row("401 404 404 404 200 404"),
    "POST /api/v1/webhook-deliveries/{id}/replay/": _row("401 404 404 404 202 404"),
    "GET /api/v1/webhooks/": _row("401 unseen unseen unseen seen unseen"),
    "POST /api/v1/webhooks/": _row("401 403 403 403 201 201"),
    "GET /api/v1/webhooks/{id}/": _row("401 404 404 404 200 404"),
    "PATCH /api/v1/webhooks/{id}/": _row("401 404 404 404 200 404"),
    "DELETE /api/v1/webhooks/{id}/": _row("401 404 404 404 204 404"),
    "POST /api/v1/webhooks/{id}/rotate-secret/": _row("401 404 404 404 200 404"),
}


# --- calling an operation -------------------------------------------------------------------------------------

_SCHEMA: dict[str, Any] = {}


def schema() -> dict[str, Any]:
    if not _SCHEMA:
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        _SCHEMA.update(response.json())
    return _SCHEMA


def operations() -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in schema()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _resource(path: str) -> str:
    return path.removeprefix("/api/v1/").split("/")[0]


def _request_fields(method: str, path: str) -> set[str]:
    body = schema()["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
    media = body.get("application/json") or body.get("multipart/form-data") or {}
    ref = media.get("schema", {}).get("$ref", "")
    component = schema()["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}) if ref else {}
    return set(component.get("properties", {}))


# Values for a new object that the one of the world already holds uniquely.
_FRESH = {
    "external_id": "NEW-1",
    "number": "NEW-1",
    "email": "new.person@example.com",
    "code": "new_benefit",
    "name": "New one",
    "title": "New one",
    "status": None,  # the default
    "period_start": "2030-01-01",
    "period_end": "2030-12-31",
}
_ACTION_BODIES = {
    "approve": {"note": "Agreed."},
    "reject": {"note": "Not now."},
    "revoke": {"note": "Ended."},
}


def create_body(world, director_client, method: str, path: str) -> dict[str, Any]:
    shown = director_client.get(f"/api/v1/{_resource(path)}/{world[_resource(path)].pk}/").json()
    fields = _request_fields(method, path)
    body = {name: value for name, value in shown.items() if name in fields}
    for name, value in _FRESH.items():
        if name in body:
            if value is None:
                body.pop(name)
            else:
                body[name] = value
    return body


def call(client, world, director_client, method: str, path: str):
    resource = _resource(path)
    action = path.rstrip("/").rsplit("/", 1)[-1]
    target = world["active-grant"] if (resource, action) == ("grants", "revoke") else world[resource]
    url = path.replace("{id}", str(target.pk)) if "{id}" in path else path
    headers = {"HTTP_IF_MATCH": "*"} if method in {"PUT", "PATCH", "DELETE"} else {}
    if method == "GET":
        return client.get(url)
    if method == "DELETE":
        return client.delete(url, **headers)
    if method == "PATCH":
        return client.patch(url, {}, format="json", **headers)
    if resource == "imports":
        text = "account_external_id,external_id,order_date,net_amount,status\nERP-ACME,SO-9,2025-03-01,1.00,fulfilled\n"
        upload = SimpleUploadedFile("o.csv", text.encode(), content_type="text/csv")
        return client.post(url, {"kind": "orders", "file": upload}, format="multipart")
    if url.endswith("/bulk/"):
        record = {"account_external_id": "ERP-ACME", "external_id": "BULK-1", "status": "fulfilled"}
        if resource == "orders":
            record |= {"order_date": "2025-03-01", "net_amount": "10.00"}
        else:
            record |= {"number": "B-1", "issue_date": "2025-03-01", "due_date": "2025-03-31", "amount": "10.00"}
            record["status"] = "open"
        return client.post(url, [record], format="json")
    if action == "override":
        LadderOverride.objects.filter(account=world["accounts"]).delete()  # one open request per account
        reason = "They are opening three new plants with us next year."
        body = {"stage": "client", "reason": reason, "expires_on": str(TODAY + datetime.timedelta(days=9))}
        return client.post(url, body, format="json")
    if "{id}" in path:  # an action on an object: approve, reject, revoke, verify, read, replay, rotate-secret
        return client.post(url, _ACTION_BODIES.get(action, {}), format="json")
    if resource == "scoring-runs":
        return client.post(url, {}, format="json")
    if resource == "notifications":
        return client.post(url, {}, format="json")
    if resource == "accounts":
        return client.post(url, {"name": "New one", "external_id": "NEW-1", "country": "DE"}, format="json")
    if resource == "api-tokens":
        return client.post(url, {"name": "Another"}, format="json")
    if resource == "webhooks":
        body = {"name": "BI", "url": "https://bi.example.com/hook", "events": ["scoring_run.finished"]}
        return client.post(url, body, format="json")
    return client.post(url, create_body(world, director_client, method, path), format="json")


def outcome(response, world, path: str) -> str:
    if response.status_code != 200 or "{id}" in path or not path.endswith("/"):
        return str(response.status_code)
    body = response.json()
    if not isinstance(body, dict) or "results" not in body:
        return "200"
    target = world[_resource(path)].pk
    return "seen" if any(row.get("id") == target for row in body["results"]) else "unseen"


def actual_row(clients, world, method: str, path: str) -> dict[str, str]:
    row = {}
    for persona in PERSONAS:
        with transaction.atomic():
            response = call(clients[persona], world, clients["director"], method, path)
            row[persona] = outcome(response, world, path)
            transaction.set_rollback(True)
    return row


def test_every_operation_has_an_entry():
    """A new operation fails here until someone decides who may call it."""
    documented = {f"{method} {path}" for method, path in operations()}
    assert sorted(documented - set(EXPECTED)) == [], "operations without an entry in EXPECTED"
    assert sorted(set(EXPECTED) - documented) == [], "entries for operations that no longer exist"


@pytest.mark.parametrize("operation", sorted(EXPECTED))
def test_each_persona_gets_its_outcome(clients, world, operation):
    method, path = operation.split(" ", 1)
    assert actual_row(clients, world, method, path) == EXPECTED[operation]
