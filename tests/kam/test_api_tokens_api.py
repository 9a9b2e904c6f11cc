"""The API tokens API (``/api/v1/api-tokens/``): create returns the key once (201) and it works, a token makes
tokens for its own user only, the list shows the last use, revoke makes the key fail (401), an outsider gets
404 for someone else's token, directors see all, bad input is a 400 naming ``name``, and the list costs the
same queries for one token or ten."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from kam.api_tokens import api_token_create
from kam.models import ApiToken
from tests.http import if_match

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/api-tokens/"
ACCOUNTS = "/api/v1/accounts/"


def detail_url(token: ApiToken) -> str:
    return f"{TOKENS}{token.pk}/"


def revoke_url(token: ApiToken) -> str:
    return f"{TOKENS}{token.pk}/revoke/"


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_anonymous_gets_401(api):
    assert api().get(TOKENS).status_code == 401
    assert api().post(TOKENS, {"name": "x"}).status_code == 401
    assert not ApiToken.objects.exists()


def test_create_returns_the_key_once_and_it_authenticates(api, manager, account):
    # when Mara creates a token through the API
    response = api(manager).post(TOKENS, {"name": "ERP sync"})
    # then the answer is 201 with the key, not to be cached
    assert response.status_code == 201
    body = response.json()
    key = body["key"]
    assert key.startswith("kam_") and body["prefix"] == key[:10]
    assert body["name"] == "ERP sync" and body["user"] == manager.pk and body["username"] == "manager"
    assert body["is_active"] is True and body["revoked_at"] is None and body["last_used_at"] is None
    assert "no-store" in response["Cache-Control"]
    # and the key calls the API as Mara
    listed = with_key(key).get(ACCOUNTS)
    assert listed.status_code == 200
    assert [row["name"] for row in listed.json()["results"]] == ["Acme Industries"]
    # and the key is never shown again
    again = api(manager).get(detail_url(ApiToken.objects.get(pk=body["id"])))
    assert again.status_code == 200 and "key" not in again.json()
    assert key not in again.content.decode()
    assert all("key" not in row for row in api(manager).get(TOKENS).json()["results"])


def test_a_token_creates_tokens_for_its_own_user_only(director, manager):
    _token, key = api_token_create(user=director, name="automation")
    client = with_key(key)
    # a user to create for is not something one can send
    refused = client.post(TOKENS, {"name": "for Mara", "user": manager.pk})
    assert refused.status_code == 400 and refused.json() == {"user": ["Unknown field."]}
    # and what it creates is its own user's
    created = client.post(TOKENS, {"name": "another"})
    assert created.status_code == 201 and created.json()["user"] == director.pk
    assert not ApiToken.objects.filter(user=manager).exists()


def test_the_list_shows_the_last_use(api, manager):
    used, key = api_token_create(user=manager, name="used")
    idle, _ = api_token_create(user=manager, name="idle")
    assert with_key(key).get(ACCOUNTS).status_code == 200
    # the session client reads without marking any token used
    client = APIClient()
    client.force_login(manager)
    rows = {row["name"]: row for row in client.get(TOKENS).json()["results"]}
    used.refresh_from_db()
    assert rows["used"]["last_used_at"] is not None
    assert rows["used"]["last_used_at"].replace("Z", "+00:00") == used.last_used_at.isoformat()
    assert rows["idle"]["last_used_at"] is None
    assert set(rows) == {"used", "idle"}
    assert idle.pk in {row["id"] for row in rows.values()}


def test_revoke_makes_the_key_fail_and_twice_is_harmless(api, manager):
    token, key = api_token_create(user=manager, name="laptop")
    client = api(manager)
    response = client.post(revoke_url(token))
    assert response.status_code == 200
    body = response.json()
    assert body["is_active"] is False and body["revoked_at"] is not None
    assert with_key(key).get(ACCOUNTS).status_code == 401
    again = client.post(revoke_url(token))
    assert again.status_code == 200 and again.json()["revoked_at"] == body["revoked_at"]


def test_a_token_can_revoke_itself(manager):
    token, key = api_token_create(user=manager, name="leaked")
    client = with_key(key)
    assert client.post(revoke_url(token)).status_code == 200
    assert client.get(TOKENS).status_code == 401


def test_an_outsider_gets_404_for_someone_elses_token(api, manager, outsider):
    token, key = api_token_create(user=manager, name="laptop")
    client = api(outsider)
    assert client.get(detail_url(token)).status_code == 404
    response = client.post(revoke_url(token))
    assert response.status_code == 404 and response.json() == {"detail": "Not found.", "code": "not_found"}
    assert token.pk not in {row["id"] for row in client.get(TOKENS).json()["results"]}
    assert with_key(key).get(ACCOUNTS).status_code == 200


def test_integrations_see_only_their_own_tokens(api, integration, manager):
    token, _ = api_token_create(user=manager, name="laptop")
    client = api(integration)
    assert client.get(detail_url(token)).status_code == 404
    assert {row["username"] for row in client.get(TOKENS).json()["results"]} == {"erp"}


def test_directors_see_everybodys_and_narrow_to_their_own(api, director, manager, outsider):
    theirs, key = api_token_create(user=manager, name="laptop")
    api_token_create(user=outsider, name="script")
    client = api(director)  # makes the director's own token "tests"
    rows = client.get(TOKENS).json()["results"]
    assert {(row["username"], row["name"]) for row in rows} == {
        ("manager", "laptop"),
        ("outsider", "script"),
        ("director", "tests"),
    }
    mine = client.get(TOKENS, {"mine": "true"}).json()["results"]
    assert [row["username"] for row in mine] == ["director"]
    assert client.get(detail_url(theirs)).json()["username"] == "manager"
    # and a director revokes someone else's token
    assert client.post(revoke_url(theirs)).status_code == 200
    assert with_key(key).get(ACCOUNTS).status_code == 401


def test_the_active_filter(api, manager):
    gone, _ = api_token_create(user=manager, name="gone")
    client = api(manager)  # an active "tests" token
    client.post(revoke_url(gone))
    assert [row["name"] for row in client.get(TOKENS, {"active": "true"}).json()["results"]] == ["tests"]
    assert [row["name"] for row in client.get(TOKENS, {"active": "false"}).json()["results"]] == ["gone"]
    assert client.get(TOKENS, {"active": "maybe"}).status_code == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "This field is required."),
        ({"name": ""}, "This field may not be blank."),
        ({"name": "   "}, "This field may not be blank."),
        ({"name": None}, "This field may not be null."),
        ({"name": 42}, "Must be a string."),
        ({"name": "x" * 101}, "Ensure this field has no more than 100 characters."),
    ],
)
def test_bad_names_are_a_400_naming_name(api, manager, body, message):
    response = api(manager).post(TOKENS, body)
    assert response.status_code == 400
    assert response.json() == {"name": [message]}
    assert ApiToken.objects.filter(user=manager).count() == 1  # only the client's own


def test_a_body_that_is_not_an_object_is_a_400(api, manager):
    response = api(manager).post(TOKENS, ["name"])
    assert response.status_code == 400


def test_tokens_cannot_be_changed_or_deleted(api, manager):
    token, _ = api_token_create(user=manager, name="laptop")
    client = api(manager)
    assert (
        client.patch(detail_url(token), {"name": "renamed"}, **if_match(client, detail_url(token))).status_code == 405
    )
    assert client.delete(detail_url(token), **if_match(client, detail_url(token))).status_code == 405
    assert ApiToken.objects.get(pk=token.pk).name == "laptop"


def test_the_schema_documents_the_endpoints():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = json.loads(schema.content)["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/api-tokens/"])
    created = paths["/api/v1/api-tokens/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/ApiTokenCreated"}
    assert "post" in paths["/api/v1/api-tokens/{id}/revoke/"]
    assert "get" in paths["/api/v1/api-tokens/{id}/"]


def _count(client: APIClient) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(TOKENS).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_tokens(director, manager, outsider):
    api_token_create(user=manager, name="first")
    client = APIClient()
    client.force_login(director)
    with_one = _count(client)
    for n, owner in enumerate([manager, outsider, director] * 3):
        api_token_create(user=owner, name=f"token {n}")
    # session, user, the director's roles, the count, the page (owners joined)
    assert _count(client) == with_one == 5
