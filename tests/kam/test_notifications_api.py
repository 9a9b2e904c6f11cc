"""The notifications API: the caller's own only (anyone else's is a 404, directors' included), the unread filter,
mark read and mark all read, bad input as 400, a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kam.models import Notification
from tests.factories import NotificationFactory
from tests.http import if_match

pytestmark = pytest.mark.django_db

NOTIFICATIONS = "/api/v1/notifications/"


def read_url(notification: Notification) -> str:
    return f"{NOTIFICATIONS}{notification.pk}/read/"


def test_anonymous_gets_401(api):
    assert api().get(NOTIFICATIONS).status_code == 401


def test_list_shows_the_callers_own_newest_first(api, manager, outsider, account):
    older = NotificationFactory(recipient=manager, created_at=timezone.now() - timezone.timedelta(hours=2))
    newer = NotificationFactory(recipient=manager, account=account, url=f"/accounts/{account.pk}/")
    NotificationFactory(recipient=outsider)
    response = api(manager).get(NOTIFICATIONS)
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    assert body["count"] == 2
    first = body["results"][0]
    assert first["kind"] == "contact_cadence.overdue"
    assert first["account"] == account.pk
    assert first["account_name"] == "Acme Industries"
    assert first["url"] == f"/accounts/{account.pk}/"
    assert first["read_at"] is None
    assert body["results"][1]["account"] is None


def test_directors_do_not_read_other_peoples_notifications(api, director, manager):
    theirs = NotificationFactory(recipient=manager)
    client = api(director)
    assert client.get(NOTIFICATIONS).json()["results"] == []
    assert client.get(f"{NOTIFICATIONS}{theirs.pk}/").status_code == 404
    assert client.post(read_url(theirs)).status_code == 404


@pytest.mark.parametrize(("unread", "expected"), [("true", ["unread"]), ("false", ["read"]), ("", ["unread", "read"])])
def test_unread_filter(api, manager, unread, expected):
    NotificationFactory(recipient=manager, title="read", read_at=timezone.now(), created_at=timezone.now())
    NotificationFactory(recipient=manager, title="unread", created_at=timezone.now() + timezone.timedelta(seconds=1))
    response = api(manager).get(NOTIFICATIONS, {"unread": unread})
    assert [row["title"] for row in response.json()["results"]] == expected


@pytest.mark.parametrize("value", ["yes", "1", "TRUE"])
def test_a_malformed_filter_is_a_400_naming_it(api, manager, value):
    response = api(manager).get(NOTIFICATIONS, {"unread": value})
    assert response.status_code == 400
    assert "unread" in response.json()


def test_mark_read(api, manager):
    notification = NotificationFactory(recipient=manager)
    response = api(manager).post(read_url(notification))
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert Notification.objects.get().read_at is not None


def test_mark_read_of_someone_elses_is_a_404_and_changes_nothing(api, manager, outsider):
    theirs = NotificationFactory(recipient=outsider)
    response = api(manager).post(read_url(theirs))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert Notification.objects.get().read_at is None


@pytest.mark.parametrize("pk", ["999999", "abc"])
def test_mark_read_of_nothing_is_a_404(api, manager, pk):
    assert api(manager).post(f"{NOTIFICATIONS}{pk}/read/").status_code == 404


def test_read_all(api, manager, outsider):
    NotificationFactory.create_batch(2, recipient=manager)
    NotificationFactory(recipient=outsider)
    response = api(manager).post(f"{NOTIFICATIONS}read-all/")
    assert response.status_code == 200
    assert response.json() == {"marked": 2}
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_notifications_are_read_only(api, manager):
    notification = NotificationFactory(recipient=manager)
    client = api(manager)
    assert client.post(NOTIFICATIONS, {"title": "x"}).status_code == 405
    assert (
        client.patch(
            f"{NOTIFICATIONS}{notification.pk}/",
            {"read_at": None},
            **if_match(client, f"{NOTIFICATIONS}{notification.pk}/"),
        ).status_code
        == 405
    )
    assert (
        client.delete(
            f"{NOTIFICATIONS}{notification.pk}/", **if_match(client, f"{NOTIFICATIONS}{notification.pk}/")
        ).status_code
        == 405
    )


def _count_queries(client) -> int:
    client.get(NOTIFICATIONS)  # the token's first use records last_used_at; count the steady state
    with CaptureQueriesContext(connection) as queries:
        assert client.get(NOTIFICATIONS, {"page_size": 100}).status_code == 200
    return len(queries)


def test_list_query_count_is_constant(api, manager, account):
    client = api(manager)
    NotificationFactory(recipient=manager, account=account)
    one = _count_queries(client)
    NotificationFactory.create_batch(9, recipient=manager, account=account)
    # token + user, the count, the page (account joined)
    assert _count_queries(client) == one == 3


def test_an_empty_page_number_is_a_400_naming_it(api, manager):
    response = api(manager).get(NOTIFICATIONS, {"page": ""})
    assert response.status_code == 400
    assert "page" in response.json()
