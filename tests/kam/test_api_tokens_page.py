"""The API tokens page (``/tokens/``): a user creates a token and sees its key once (and the key works), lists
their tokens with when each was last used, revokes one (its key then fails); directors see everybody's with
the owner; anyone else's token is a 404; a blank name is a form error; the list costs the same queries for
one token or ten. Also the selectors and services behind it."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from kam import selectors, services
from kam.api_tokens import api_token_create
from kam.models import ApiToken

pytestmark = pytest.mark.django_db

PAGE = reverse("tokens")
ACCOUNTS_API = "/api/v1/accounts/"
KEY_IN_PAGE = re.compile(r'data-kam="new-token-key"|id="new-token-key"')


def revoke_url(token: ApiToken) -> str:
    return reverse("token_revoke", args=[token.pk])


def key_shown(html: str) -> str | None:
    """The key in the page's new-token field, if there is one."""
    match = re.search(r'id="new-token-key"[^>]*value="([^"]+)"', html, re.DOTALL) or re.search(
        r'value="([^"]+)"[^>]*id="new-token-key"', html, re.DOTALL
    )
    return match.group(1) if match else None


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- selectors and services ----------------------------------------------------------------------------------


def test_a_user_sees_their_own_tokens_and_a_director_everybodys(manager, outsider, director):
    mine, _ = api_token_create(user=manager, name="laptop")
    theirs, _ = api_token_create(user=outsider, name="script")
    assert list(selectors.api_token_list(user=manager)) == [mine]
    assert set(selectors.api_token_list(user=director)) == {mine, theirs}
    with pytest.raises(Http404):
        selectors.api_token_get(user=manager, pk=theirs.pk)
    assert selectors.api_token_get(user=director, pk=theirs.pk) == theirs


def test_the_service_creates_for_the_actor_and_refuses_a_blank_name(manager):
    token, key = services.api_token_create(actor=manager, name="  ERP sync  ")
    assert (token.user, token.name, key.startswith("kam_")) == (manager, "ERP sync", True)
    for bad in ("", "   "):
        with pytest.raises(ValidationError) as raised:
            services.api_token_create(actor=manager, name=bad)
        assert "name" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        services.api_token_create(actor=manager, name="x" * 101)
    assert "name" in raised.value.message_dict
    assert ApiToken.objects.count() == 1


def test_only_the_owner_or_a_director_revokes_and_twice_is_harmless(manager, outsider, director):
    token, _ = api_token_create(user=manager, name="laptop")
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(actor=outsider, token=token)
    services.api_token_revoke(actor=director, token=token)
    first = ApiToken.objects.get().revoked_at
    assert first is not None and token.revoked_at == first
    services.api_token_revoke(actor=manager, token=token)
    assert ApiToken.objects.get().revoked_at == first == token.revoked_at


# --- the page ------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_navbar_links_to_the_page(client, manager):
    client.force_login(manager)
    response = client.get(reverse("notification_list"))
    assert f'href="{PAGE}">API tokens</a>' in response.content.decode()


def test_creating_shows_the_key_once_and_the_key_authenticates(client, manager, account):
    # given Mara on her tokens page
    client.force_login(manager)
    # when she creates a token
    response = client.post(PAGE, {"name": "ERP sync"})
    # then the answer itself shows the key, which is not stored, and must not be cached
    assert response.status_code == 200
    html = response.content.decode()
    key = key_shown(html)
    assert key and key.startswith("kam_")
    assert "cannot be shown again" in html
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix) == (manager, "ERP sync", key[:10])
    assert key not in (token.key_hash, token.prefix)
    # and the key calls the API as Mara
    api_response = token_client(key).get(ACCOUNTS_API)
    assert api_response.status_code == 200
    assert [row["name"] for row in api_response.json()["results"]] == ["Acme Industries"]
    # when she opens the page again
    html = client.get(PAGE).content.decode()
    # then the token is listed, with its prefix, but the key is gone for good
    assert key not in html and not KEY_IN_PAGE.search(html)
    assert "ERP sync" in html and f"{token.prefix}…" in html


def test_the_list_shows_when_a_token_was_last_used(client, manager):
    used, key = api_token_create(user=manager, name="used")
    api_token_create(user=manager, name="idle")
    client.force_login(manager)
    html = client.get(PAGE).content.decode()
    assert html.count("Never") == 2
    # when the key calls the API
    assert token_client(key).get(ACCOUNTS_API).status_code == 200
    # then its row says when (a moment ago), and the other still says never
    used.refresh_from_db()
    assert used.last_used_at is not None
    html = client.get(PAGE).content.decode()
    row = re.search(rf'<tr id="token-{used.pk}".*?</tr>', html, re.DOTALL).group(0)
    assert f'<time datetime="{timezone.localtime(used.last_used_at).isoformat()}"' in row
    assert "Never" not in row
    assert html.count("Never") == 1


def test_the_list_sorts_by_a_column_keeping_its_filter(client, director, manager):
    # given a director's token that was used, one that never was, and a revoked one of a manager's
    used, _ = api_token_create(user=director, name="used")
    ApiToken.objects.filter(pk=used.pk).update(last_used_at=timezone.now())
    api_token_create(user=director, name="idle")
    revoked, _ = api_token_create(user=manager, name="old")
    services.api_token_revoke(actor=director, token=revoked)
    client.force_login(director)
    # when the director sorts by last use, latest first, and by status
    by_use = client.get(PAGE, {"ordering": "-last_used_at"})
    by_status = client.get(PAGE, {"ordering": "status", "mine": "false"})
    # then a token never used comes after those used, and revoked ones after active ones
    assert [token.name for token in by_use.context["page"].object_list] == ["used", "idle", "old"]
    assert [token.name for token in by_status.context["page"].object_list][-1] == "old"
    assert 'href="?mine=false&amp;ordering=-status"' in by_status.content.decode()


def test_revoking_makes_the_key_fail(client, manager):
    token, key = api_token_create(user=manager, name="laptop")
    assert token_client(key).get(ACCOUNTS_API).status_code == 200
    client.force_login(manager)
    # when Mara revokes it
    response = client.post(revoke_url(token), follow=True)
    # then she is back on the list, told so, and the token shows as revoked without a revoke button
    assert response.redirect_chain[-1][0] == PAGE
    html = response.content.decode()
    assert "revoked: its key no longer works" in html
    row = re.search(rf'<tr id="token-{token.pk}".*?</tr>', html, re.DOTALL).group(0)
    assert 'data-active="false"' in row and "Revoked" in row and "<form" not in row
    # and the key is refused
    assert token_client(key).get(ACCOUNTS_API).status_code == 401
    # and revoking again changes nothing and says so
    revoked_at = ApiToken.objects.get().revoked_at
    response = client.post(revoke_url(token), follow=True)
    assert "was already revoked" in response.content.decode()
    assert ApiToken.objects.get().revoked_at == revoked_at


def test_the_revoke_button_asks_for_confirmation(client, manager):
    token, _ = api_token_create(user=manager, name="laptop")
    client.force_login(manager)
    html = client.get(PAGE).content.decode()
    assert f'action="{revoke_url(token)}"' in html
    assert "Every program using its key is refused from its next request on. This cannot be undone." in html


def test_revoke_is_post_only(client, manager):
    token, _ = api_token_create(user=manager, name="laptop")
    client.force_login(manager)
    assert client.get(revoke_url(token)).status_code == 405
    assert ApiToken.objects.get().revoked_at is None


def test_an_outsider_gets_404_for_someone_elses_token(client, manager, outsider):
    token, key = api_token_create(user=manager, name="laptop")
    client.force_login(outsider)
    assert client.post(revoke_url(token)).status_code == 404
    assert "laptop" not in client.get(PAGE).content.decode()
    assert ApiToken.objects.get().revoked_at is None
    assert token_client(key).get(ACCOUNTS_API).status_code == 200


def test_a_director_sees_everybodys_tokens_with_their_owner_and_narrows_to_their_own(client, director, manager):
    theirs, _ = api_token_create(user=manager, name="Mara's laptop")
    mine, _ = api_token_create(user=director, name="Dana's script")
    client.force_login(director)
    html = client.get(PAGE).content.decode()
    assert f'id="token-{theirs.pk}"' in html and f'id="token-{mine.pk}"' in html
    row = re.search(rf'<tr id="token-{theirs.pk}".*?</tr>', html, re.DOTALL).group(0)
    assert "Mara Manager" in row and "(manager)" in row
    assert "Everybody&#x27;s" in html or "Everybody's" in html
    only_mine = client.get(PAGE, {"mine": "true"}).content.decode()
    assert f'id="token-{mine.pk}"' in only_mine and f'id="token-{theirs.pk}"' not in only_mine
    # and the director revokes the manager's token
    client.post(revoke_url(theirs))
    theirs.refresh_from_db()
    assert theirs.revoked_at is not None


def test_a_manager_sees_no_owner_column_nor_the_director_tabs(client, manager):
    api_token_create(user=manager, name="laptop")
    client.force_login(manager)
    html = client.get(PAGE).content.decode()
    assert 'data-kam="owner"' not in html and "Only mine" not in html


@pytest.mark.parametrize("name", ["", "   "])
def test_a_blank_name_is_a_form_error_on_name(client, manager, name):
    client.force_login(manager)
    response = client.post(PAGE, {"name": name})
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["Name the token after what will use it, e.g. “ERP sync”."]
    assert 'id="id_name_error"' in response.content.decode()
    assert key_shown(response.content.decode()) is None
    assert not ApiToken.objects.exists()


def test_a_name_too_long_is_a_form_error_on_name(client, manager):
    client.force_login(manager)
    response = client.post(PAGE, {"name": "x" * 101})
    assert response.status_code == 400
    assert "at most 100 characters" in response.context["form"].errors["name"][0]
    assert not ApiToken.objects.exists()


def test_a_malformed_filter_is_a_400(client, director):
    client.force_login(director)
    response = client.get(PAGE, {"mine": "maybe"})
    assert response.status_code == 400
    assert "This filter could not be applied" in response.content.decode()


def test_revoking_goes_back_to_the_list_it_came_from_but_never_elsewhere(client, director, manager):
    token, _ = api_token_create(user=manager, name="laptop")
    other, _ = api_token_create(user=manager, name="script")
    client.force_login(director)
    assert client.post(revoke_url(token), {"next": f"{PAGE}?mine=true"}).url == f"{PAGE}?mine=true"
    assert client.post(revoke_url(other), {"next": "https://evil.example.com/"}).url == PAGE


def _count(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def test_page_query_count_does_not_grow_with_tokens(client, director, manager, outsider, colleague):
    api_token_create(user=manager, name="first")
    client.force_login(director)
    with_one = _count(client, PAGE)
    for n, owner in enumerate([manager, outsider, colleague, director] * 2 + [manager]):
        api_token_create(user=owner, name=f"token {n}")
    # session, user, the director's roles, the count, the page (owners joined), the navbar's unread count
    assert _count(client, PAGE) == with_one == 6
    assert _count(client, PAGE, {"mine": "true"}) == with_one
