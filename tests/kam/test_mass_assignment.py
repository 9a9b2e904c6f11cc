"""Mass assignment (issue 9): no API write lets a caller set a field it only reads — derived values (stage,
key_status, kas), approval and verification fields (status, decided_by, verified…), who logged or created a
record, timestamps. Every such field is refused with a 400 naming it (never silently dropped), and nothing is
written; and a manager cannot give an account to someone else.

The fields are read from the OpenAPI schema: those an operation's answer shows but its request does not take. A
new serializer is covered without a line here."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from accounts.models import Account
from tests.kam.test_authorization_matrix import _resource, create_body, operations, schema

pytestmark = pytest.mark.django_db


def _component(ref: str) -> dict[str, Any]:
    return schema()["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})


def _json_ref(content: dict[str, Any]) -> str:
    return content.get("application/json", {}).get("schema", {}).get("$ref", "")


def read_only_fields(method: str, path: str) -> dict[str, dict[str, Any]]:
    operation = schema()["paths"][path][method.lower()]
    request_ref = _json_ref(operation.get("requestBody", {}).get("content", {}))
    answer = next((operation["responses"][code] for code in ("200", "201") if code in operation["responses"]), {})
    response_ref = _json_ref(answer.get("content", {}))
    if not request_ref or not response_ref:
        return {}
    taken = set(_component(request_ref).get("properties", {}))
    shown = _component(response_ref).get("properties", {})
    return {name: spec for name, spec in shown.items() if name not in taken}


def sample(spec: dict[str, Any]) -> Any:
    if "$ref" in spec or "allOf" in spec:
        target = _component(spec.get("$ref") or spec["allOf"][0]["$ref"])
        if "enum" in target:
            return target["enum"][0]
        return {}
    if "enum" in spec:
        return spec["enum"][0]
    kind = spec.get("type")
    if kind == "integer":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if spec.get("format") == "date":
        return "2020-01-01"
    if spec.get("format") == "date-time":
        return "2020-01-01T00:00:00Z"
    if spec.get("format") == "decimal" or spec.get("pattern", "").startswith("^-?\\d"):
        return "99.00"
    return "forced"


WRITES = [
    (method, path)
    for method, path in operations()
    if method in {"POST", "PATCH", "PUT"} and read_only_fields(method, path)
]


def test_the_schema_has_writes_with_read_only_fields():
    # the walk below is not empty: accounts, records, grants, plans… all show fields they do not take
    resources = {_resource(path) for _method, path in WRITES}
    assert {"accounts", "contacts", "orders", "grants", "advocacy-events", "account-plans"} <= resources


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_read_only_fields_are_refused_by_name(clients, world, method, path):
    director = clients["director"]
    for field, spec in read_only_fields(method, path).items():
        with transaction.atomic():
            resource = _resource(path)
            url = path.replace("{id}", str(world[resource].pk))
            before = director.get(url).json() if "{id}" in path else None
            if method == "POST":
                body = create_body(world, director, method, path) | {field: sample(spec)}
                response = director.post(url, body, format="json")
            else:
                response = director.patch(url, {field: sample(spec)}, format="json", HTTP_IF_MATCH="*")
            assert response.status_code == 400, (field, response.status_code, response.content[:300])
            assert field in response.json(), (field, response.json())
            if before is not None:
                assert director.get(url).json() == before, field
            transaction.set_rollback(True)


def test_a_manager_cannot_give_the_account_away(clients, world, outsider):
    # (an owner does staff their team: README "Roles and visibility"; the owner is the directors' to assign)
    account = world["accounts"]
    response = clients["manager"].patch(
        f"/api/v1/accounts/{account.pk}/", {"owner": outsider.pk}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 400 and "owner" in response.json()
    assert Account.objects.get(pk=account.pk).owner_id == account.owner_id


def test_an_integration_cannot_set_who_owns_an_account(clients, world, manager):
    response = clients["integration"].post(
        "/api/v1/accounts/", {"name": "New", "external_id": "NEW-9", "owner": manager.pk}, format="json"
    )
    assert response.status_code == 400 and "owner" in response.json()
    assert not Account.objects.filter(external_id="NEW-9").exists()


def test_the_logger_cannot_verify_through_a_write(clients, world):
    event = world["advocacy-events"]
    response = clients["manager"].patch(
        f"/api/v1/advocacy-events/{event.pk}/", {"verified": True}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 400 and "verified" in response.json()
    event.refresh_from_db()
    assert not event.verified
