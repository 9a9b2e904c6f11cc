"""The admin of the relationship records: pages render, lists stay at a fixed query count, and advocacy is
verified only through the service's four-eyes rule."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import ServiceLevel
from relationships.choices import AdvocacyKind, ContractKind, InteractionKind, InteractionStatus
from relationships.models import AdvocacyEvent, Contract, Feedback, Interaction
from tests.factories import AccountFactory, ContactFactory, UserFactory, manager_factory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def make_rows(n: int, *, logged_by=None, start: int = 0) -> None:
    """``n`` accounts, each with one record of every relationship kind."""
    for i in range(start, start + n):
        account = AccountFactory(name=f"Relationship Test {i:02d} AG")
        contact = ContactFactory(account=account, email=f"ceo{i}@example.com")
        Feedback.objects.create(account=account, contact=contact, score=9, responded_on=DAY)
        AdvocacyEvent.objects.create(
            account=account, kind=AdvocacyKind.REFERENCE_CALL, occurred_on=DAY, logged_by=logged_by
        )
        Contract.objects.create(
            account=account, kind=ContractKind.PARTNERSHIP, service_level=ServiceLevel.PREMIUM, starts_on=DAY
        )
        interaction = Interaction.objects.create(
            account=account,
            kind=InteractionKind.MEETING,
            status=InteractionStatus.COMPLETED,
            occurred_at=timezone.now(),
            user=logged_by,
            subject="Quarterly planning",
            next_step="Send offer",
            next_step_due=DAY,
        )
        interaction.contacts.add(contact)


MODELS = [Feedback, AdvocacyEvent, Contract, Interaction]


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_add_and_change_pages_render(admin_client, model):
    # given a few records of every kind
    make_rows(3, logged_by=manager_factory(username="alice"))
    # when a superuser opens the list (also searched), the add form and a record / then each page renders
    assert admin_client.get(url(model, "changelist")).status_code == 200
    assert admin_client.get(url(model, "changelist"), {"q": "Relationship"}).status_code == 200
    assert admin_client.get(url(model, "add")).status_code == 200
    assert admin_client.get(url(model, "change", model.objects.first().pk)).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_query_count_does_not_grow_with_rows(admin_client, model):
    # given one record of each kind / when the list is rendered
    alice = manager_factory(username="alice")
    make_rows(1, logged_by=alice)
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(url(model, "changelist")).status_code == 200
    # and given ten in all / then the same queries: account, contact and users are joined, not fetched per row
    make_rows(9, logged_by=alice, start=1)
    with CaptureQueriesContext(connection) as ten:
        assert admin_client.get(url(model, "changelist")).status_code == 200
    assert len(ten) == len(one), [query["sql"] for query in ten.captured_queries]


def test_verification_fields_are_read_only(admin_client, superuser):
    # given an unverified event
    make_rows(1, logged_by=manager_factory(username="alice"))
    event = AdvocacyEvent.objects.get()
    # when the form is posted claiming it verified by the superuser
    response = admin_client.post(
        url(AdvocacyEvent, "change", event.pk),
        {
            "account": event.account_id,
            "kind": event.kind,
            "occurred_on": "2026-03-10",
            "note": "",
            "verified": "on",
            "verified_by": superuser.pk,
        },
    )
    # then the change is saved but the verification is not: it is not a form field
    assert response.status_code == 302
    event.refresh_from_db()
    assert not event.verified and event.verified_by is None


def test_an_event_added_in_the_admin_is_logged_by_who_added_it(admin_client, superuser):
    # given an account / when an event is added through the admin
    account = AccountFactory(name="Referrer AG")
    response = admin_client.post(
        url(AdvocacyEvent, "add"),
        {"account": account.pk, "kind": AdvocacyKind.TESTIMONIAL, "occurred_on": "2026-03-10"},
    )
    # then the superuser is its logger
    assert response.status_code == 302
    assert AdvocacyEvent.objects.get().logged_by == superuser


def test_verify_action_verifies_others_events_and_refuses_own(admin_client, superuser):
    # given an event logged by alice and one logged by the superuser
    make_rows(1, logged_by=manager_factory(username="alice"))
    make_rows(1, logged_by=superuser, start=1)
    theirs = AdvocacyEvent.objects.get(logged_by__username="alice")
    own = AdvocacyEvent.objects.get(logged_by=superuser)
    # when the superuser verifies both with the action
    response = admin_client.post(
        url(AdvocacyEvent, "changelist"),
        {"action": "verify_selected", "_selected_action": [theirs.pk, own.pk]},
        follow=True,
    )
    # then alice's is verified by the superuser, the own one refused with the reason
    theirs.refresh_from_db()
    own.refresh_from_db()
    assert theirs.verified and theirs.verified_by == superuser and theirs.verified_at is not None
    assert not own.verified
    notes = [str(message) for message in get_messages(response.wsgi_request)]
    assert "1 advocacy event(s) verified." in notes
    assert any("Not verified" in note and "someone else must verify" in note for note in notes)
