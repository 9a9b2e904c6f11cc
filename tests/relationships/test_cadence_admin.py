"""The contact cadence in the admin: read-only lists at a fixed query count, and interactions changed in the admin
update their account's cadence as the services do."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.models import Notification
from relationships.cadence import contact_cadence_check
from relationships.models import ContactCadence, Interaction
from tests.factories import AccountFactory, InteractionFactory, NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def overdue_accounts(n: int, owner) -> None:
    for _ in range(n):
        account = AccountFactory(owner=owner)
        InteractionFactory(account=account, occurred_at=timezone.now() - datetime.timedelta(days=120))
    contact_cadence_check(today=timezone.localdate())


@pytest.mark.parametrize("name", ["admin:relationships_contactcadence_changelist", "admin:kam_notification_changelist"])
def test_lists_render_at_a_fixed_query_count(admin_client, manager, name):
    overdue_accounts(1, manager)
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(reverse(name)).status_code == 200
    overdue_accounts(9, manager)
    with CaptureQueriesContext(connection) as ten:
        assert admin_client.get(reverse(name), {"q": "Account"}).status_code == 200
    assert ContactCadence.objects.count() == Notification.objects.count() == 10
    assert len(ten) == len(one), [query["sql"] for query in ten.captured_queries]


def test_the_cadence_and_notifications_are_not_edited_in_the_admin(admin_client, manager):
    overdue_accounts(1, manager)
    cadence = ContactCadence.objects.get()
    notification = NotificationFactory(recipient=manager)
    assert admin_client.get(reverse("admin:relationships_contactcadence_add")).status_code == 403
    assert admin_client.get(reverse("admin:kam_notification_add")).status_code == 403
    page = admin_client.get(reverse("admin:relationships_contactcadence_change", args=[cadence.pk]))
    assert page.status_code == 200
    assert b'name="overdue_since"' not in page.content
    assert admin_client.get(reverse("admin:kam_notification_change", args=[notification.pk])).status_code == 200


def test_an_interaction_logged_in_the_admin_clears_the_flag(admin_client, manager):
    # given an overdue account
    overdue_accounts(1, manager)
    account = ContactCadence.objects.get().account
    # when an operator adds a completed interaction in the admin
    now = timezone.localtime()
    response = admin_client.post(
        reverse("admin:relationships_interaction_add"),
        {
            "account": account.pk,
            "kind": "call",
            "status": "completed",
            "occurred_at_0": now.strftime("%Y-%m-%d"),
            "occurred_at_1": now.strftime("%H:%M:%S"),
            "subject": "Called from the admin",
            "summary": "",
            "next_step": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # then the flag is gone at once
    assert ContactCadence.objects.get(account=account).overdue_since is None
    # and when the operator deletes it again / then it is back
    interaction = Interaction.objects.get(subject="Called from the admin")
    admin_client.post(reverse("admin:relationships_interaction_delete", args=[interaction.pk]), {"post": "yes"})
    assert ContactCadence.objects.get(account=account).overdue_since is not None
