"""Notifications: the generic service (one INSERT, e-mails after the commit and never before), who reads them
(their recipient alone: anyone else's is a 404), the Notifications page, mark read / mark all read, and the
navbar's unread badge at one query."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam import selectors, services
from kam.models import Notification
from kam.services import NotificationDraft
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("notification_list")
READ_ALL = reverse("notification_read_all")


def read_url(notification: Notification) -> str:
    return reverse("notification_read", args=[notification.pk])


# --- the service -------------------------------------------------------------------------------------------


def test_a_notification_is_stored_and_mailed_once_the_transaction_commits(
    manager, account, django_capture_on_commit_callbacks, settings
):
    # given a site URL for the links
    settings.KAM_SITE_URL = "https://kam.example.com"
    # when a feature tells the manager something about an account
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = services.notification_create(
            recipient=manager,
            kind="contact_cadence.overdue",
            title="Contact overdue: Acme Industries",
            body="No completed interaction for 41 days.",
            url=f"/accounts/{account.pk}/",
            account=account,
        )
        # then it is in the app at once, but nothing is mailed before the commit
        assert Notification.objects.get().pk == notification.pk
        assert mail.outbox == []
    for callback in callbacks:
        callback()
    # and after the commit the manager gets one e-mail with the text and the link
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [manager.email]
    assert message.subject == "Contact overdue: Acme Industries"
    assert "No completed interaction for 41 days." in message.body
    assert f"https://kam.example.com/accounts/{account.pk}/" in message.body


def test_a_rolled_back_notification_is_neither_shown_nor_mailed(manager, django_capture_on_commit_callbacks):
    # given a transaction that creates a notification, then fails
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.notification_create(recipient=manager, kind="benefit.suspended", title="Benefit suspended")
        raise RuntimeError("something later in the same transaction failed")
    # then nothing exists and nothing was sent
    assert not Notification.objects.exists()
    assert callbacks == []
    assert mail.outbox == []


def test_many_notifications_are_one_insert(manager, colleague, django_assert_num_queries):
    drafts = [
        NotificationDraft(recipient_id=user.pk, kind="contact_cadence.overdue", title=f"Title {n}")
        for n, user in enumerate([manager, colleague] * 5)
    ]
    # when ten are created (e-mail off) / then one INSERT and a savepoint around it
    with django_assert_num_queries(3):
        created = services.notifications_create(drafts=drafts, email=False)
    assert len(created) == 10
    assert all(notification.pk for notification in created)


def test_recipients_without_an_address_or_deactivated_get_no_email(django_capture_on_commit_callbacks):
    # given a user without an e-mail address, a deactivated one and one with an address
    silent = UserFactory(email="")
    gone = UserFactory(is_active=False)
    reachable = UserFactory()
    drafts = [NotificationDraft(recipient_id=user.pk, kind="x.y", title="Hello") for user in (silent, gone, reachable)]
    # when all three are notified
    with django_capture_on_commit_callbacks(execute=True):
        services.notifications_create(drafts=drafts)
    # then all three notifications exist, and only the reachable user got an e-mail
    assert Notification.objects.count() == 3
    assert [message.to for message in mail.outbox] == [[reachable.email]]


def test_a_failing_mail_server_loses_the_email_not_the_notification(
    manager, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    # given a mail server that refuses to send
    def refuse(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("kam.services.send_mail", refuse)
    # when a notification is created and its transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_create(recipient=manager, kind="x.y", title="Hello")
    # then the notification stays and the failure is logged
    assert Notification.objects.filter(recipient=manager).count() == 1
    assert "could not e-mail notifications" in caplog.text


@pytest.mark.parametrize(
    ("field", "draft"),
    [
        ("kind", {"kind": "Contact Overdue"}),
        ("kind", {"kind": ""}),
        ("title", {"title": "  "}),
        ("url", {"url": "https://evil.example/phish"}),
        ("url", {"url": "//evil.example/phish"}),
        ("url", {"url": "accounts/1/"}),
    ],
)
def test_bad_drafts_are_refused_naming_the_field(manager, field, draft):
    values = {"recipient_id": manager.pk, "kind": "x.y", "title": "Hello", **draft}
    with pytest.raises(ValidationError) as refused:
        services.notifications_create(drafts=[NotificationDraft(**values)])
    assert field in refused.value.message_dict
    assert not Notification.objects.exists()


def test_a_long_title_is_shortened_to_fit(manager):
    notification = services.notification_create(recipient=manager, kind="x.y", title="A" * 300, email=False)
    notification.refresh_from_db()
    assert len(notification.title) == 200
    assert notification.title.endswith("…")


def test_the_database_refuses_a_link_elsewhere_too(manager):
    # given the constraint behind the service's check / when a row with an outside link is written directly
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        NotificationFactory(recipient=manager, url="https://evil.example/")


# --- reading and marking read ---------------------------------------------------------------------------------


def test_everyone_reads_only_their_own_notifications(manager, outsider, director):
    mine = NotificationFactory(recipient=manager)
    NotificationFactory(recipient=outsider)
    assert list(selectors.notification_list(user=manager)) == [mine]
    # directors see every account, not everyone's notifications
    assert list(selectors.notification_list(user=director)) == []
    assert selectors.notification_unread_count(user=manager) == 1


def test_mark_read_keeps_the_first_time(manager):
    notification = NotificationFactory(recipient=manager)
    services.notification_mark_read(user=manager, notification=notification)
    first = Notification.objects.get().read_at
    services.notification_mark_read(user=manager, notification=Notification.objects.get())
    assert first is not None
    assert Notification.objects.get().read_at == first


def test_mark_all_read_touches_only_the_users_unread_ones(manager, outsider):
    earlier = timezone.now() - timezone.timedelta(days=3)
    NotificationFactory.create_batch(2, recipient=manager)
    NotificationFactory(recipient=manager, read_at=earlier)
    NotificationFactory(recipient=outsider)
    assert services.notifications_mark_all_read(user=manager) == 2
    assert Notification.objects.filter(recipient=manager, read_at=earlier).count() == 1
    assert Notification.objects.filter(recipient=outsider, read_at__isnull=True).count() == 1


# --- the page ---------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_page_lists_the_users_notifications_newest_first(client, manager, outsider, account):
    # given two notifications of the manager (one read) and one of someone else
    older = NotificationFactory(
        recipient=manager, title="Older", created_at=timezone.now() - timezone.timedelta(days=1), read_at=timezone.now()
    )
    newer = NotificationFactory(recipient=manager, title="Contact overdue: Acme Industries", account=account)
    NotificationFactory(recipient=outsider, title="Not yours")
    client.force_login(manager)
    # when the manager opens Notifications
    response = client.get(PAGE)
    # then they see their own, newest first, the unread one marked, and the navbar counts one unread
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [newer, older]
    content = response.content.decode()
    assert "Not yours" not in content
    assert "kam-notification-unread" in content
    assert 'id="notification-count"' in content
    assert "Acme Industries" in content


def test_the_unread_tab_shows_unread_ones_only(client, manager):
    unread = NotificationFactory(recipient=manager)
    NotificationFactory(recipient=manager, read_at=timezone.now())
    client.force_login(manager)
    response = client.get(PAGE, {"unread": "true"})
    assert list(response.context["page"].object_list) == [unread]


def test_a_malformed_filter_is_a_400_that_says_which(client, manager):
    client.force_login(manager)
    response = client.get(PAGE, {"unread": "maybe"})
    assert response.status_code == 400
    assert b"This filter could not be applied" in response.content


def test_the_empty_page_says_so(client, manager):
    client.force_login(manager)
    response = client.get(PAGE, {"unread": "true"})
    assert response.status_code == 200
    assert b"All caught up" in response.content


def test_marking_read_from_the_page(client, manager):
    notification = NotificationFactory(recipient=manager)
    client.force_login(manager)
    response = client.post(read_url(notification), {"next": f"{PAGE}?unread=true"})
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?unread=true"
    assert Notification.objects.get().read_at is not None


def test_opening_a_notification_marks_it_read_and_goes_where_it_points(client, manager, account):
    notification = NotificationFactory(recipient=manager, url=f"/accounts/{account.pk}/#interactions")
    client.force_login(manager)
    response = client.post(read_url(notification), {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{account.pk}/#interactions"
    assert Notification.objects.get().read_at is not None


def test_next_never_leads_off_the_site(client, manager):
    notification = NotificationFactory(recipient=manager)
    client.force_login(manager)
    response = client.post(read_url(notification), {"next": "https://evil.example/"})
    assert response["Location"] == PAGE


def test_someone_elses_notification_is_a_404(client, manager, outsider):
    # given the outsider's notification / when the manager tries to mark it read / then 404 and it stays unread
    theirs = NotificationFactory(recipient=outsider)
    client.force_login(manager)
    assert client.post(read_url(theirs)).status_code == 404
    assert Notification.objects.get().read_at is None


def test_marking_read_is_post_only(client, manager):
    notification = NotificationFactory(recipient=manager)
    client.force_login(manager)
    assert client.get(read_url(notification)).status_code == 405
    assert client.get(READ_ALL).status_code == 405


def test_mark_all_read_from_the_page(client, manager):
    NotificationFactory.create_batch(3, recipient=manager)
    client.force_login(manager)
    response = client.post(READ_ALL, follow=True)
    assert response.status_code == 200
    assert b"3 notifications marked read." in response.content
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert b'id="notification-count"' not in response.content


def _count(client, url: str, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_page_query_count_does_not_grow_with_notifications(client, manager, account):
    NotificationFactory(recipient=manager, account=account)
    client.force_login(manager)
    with_one = _count(client, PAGE)
    NotificationFactory.create_batch(9, recipient=manager, account=account)
    # session, user, the user's roles (navbar), the count, the page (account joined), the unread count — once,
    # though the navbar, the tab and the "mark all read" button all show it
    assert _count(client, PAGE) == with_one == 6


def test_the_navbar_badge_costs_one_query_and_fragments_none(client, manager, account):
    # given unread notifications
    NotificationFactory.create_batch(3, recipient=manager)
    client.force_login(manager)
    # when a full page is rendered, the unread count is one query on the partial index
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("accounts:account_list"))
    assert b'id="notification-count"' in response.content
    counts = [q["sql"] for q in queries if "kam_notification" in q["sql"]]
    assert len(counts) == 1
    assert "COUNT(*)" in counts[0] and "read_at" in counts[0]
    # and an htmx fragment of the same page does not ask at all
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("accounts:account_list"), HTTP_HX_REQUEST="true")
    assert not [q for q in queries if "kam_notification" in q["sql"]]


def test_the_pages_of_a_filtered_list_keep_the_filter(client, manager):
    # given more unread notifications than one page holds
    NotificationFactory.create_batch(26, recipient=manager)
    client.force_login(manager)
    # when the unread ones are listed / then the link to page 2 keeps "unread"
    html = client.get(reverse("notification_list"), {"unread": "true"}).content.decode()
    assert 'href="?unread=true&amp;page=2"' in html
    second = client.get(reverse("notification_list"), {"unread": "true", "page": 2}).content.decode()
    assert 'href="?unread=true&amp;page=1"' in second
