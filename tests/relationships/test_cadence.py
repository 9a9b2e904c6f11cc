"""The contact-cadence check (DESIGN §10): the boundary of every tier, what counts as a contact, accounts never
contacted, who is told and only once, the flag cleared by logging a completed interaction, set-based statements,
the settings, the beat entry, the task and the command."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django_celery_beat.models import PeriodicTask

from accounts.choices import KeyStatus
from accounts.models import Account
from kam.celery import app
from kam.models import Notification
from relationships import services
from relationships.cadence import (
    OVERDUE_KIND,
    cadence_allowed_days,
    cadence_due_on,
    cadence_overdue_since,
    contact_cadence_check,
    contact_cadence_refresh,
)
from relationships.choices import InteractionKind, InteractionStatus
from relationships.models import ContactCadence
from relationships.tasks import contact_cadence_check_task
from tests.factories import AccountFactory, InteractionFactory, manager_factory

pytestmark = pytest.mark.django_db

# Real today: logging an interaction refreshes the cadence as of today, as it does in production.
TODAY = timezone.localdate()


def at_noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))


def days_before(days: int, today: datetime.date = TODAY) -> datetime.date:
    return today - datetime.timedelta(days=days)


def account_with(*, key_status: str = KeyStatus.STANDARD, created_days_ago: int = 400, **fields) -> Account:
    """An account of this key status (derived, so set as the scoring would), created that many days before TODAY."""
    account = AccountFactory(**fields)
    Account.objects.filter(pk=account.pk).update(
        key_status=key_status, created_at=at_noon(days_before(created_days_ago))
    )
    account.refresh_from_db()
    return account


def contacted(account: Account, days_ago: int, *, status: str = InteractionStatus.COMPLETED, today=TODAY):
    return InteractionFactory(account=account, status=status, occurred_at=at_noon(days_before(days_ago, today)))


def cadence(account: Account) -> ContactCadence:
    return ContactCadence.objects.get(account=account)


# --- the pure rules --------------------------------------------------------------------------------------------


def test_tiers_follow_the_key_status(settings):
    settings.KAM_CADENCE_DAYS = {"strategic": 30, "key": 45, "other": 90}
    assert [cadence_allowed_days(status) for status in KeyStatus.values] == [90, 90, 45, 30]


def test_due_day_and_first_day_late():
    due = cadence_due_on(last_contact_on=days_before(30), created_on=days_before(400), allowed_days=30)
    assert due == TODAY
    assert cadence_overdue_since(due_on=due, today=TODAY) is None
    assert cadence_overdue_since(due_on=due, today=TODAY + datetime.timedelta(days=1)) == TODAY + datetime.timedelta(1)
    # never contacted: from the day the account was created
    assert cadence_due_on(
        last_contact_on=None, created_on=days_before(10), allowed_days=90
    ) == TODAY + datetime.timedelta(80)


# --- the boundary of every tier ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_status", "days_ago", "overdue"),
    [
        (KeyStatus.STRATEGIC, 29, False),
        (KeyStatus.STRATEGIC, 30, False),
        (KeyStatus.STRATEGIC, 31, True),
        (KeyStatus.KEY, 44, False),
        (KeyStatus.KEY, 45, False),
        (KeyStatus.KEY, 46, True),
        (KeyStatus.CANDIDATE, 89, False),
        (KeyStatus.CANDIDATE, 90, False),
        (KeyStatus.CANDIDATE, 91, True),
        (KeyStatus.STANDARD, 90, False),
        (KeyStatus.STANDARD, 91, True),
    ],
)
def test_an_account_is_overdue_the_day_after_its_tier_allows(key_status, days_ago, overdue):
    # given an account whose last completed interaction was days_ago days before TODAY
    account = account_with(key_status=key_status)
    contacted(account, days_ago)
    # when the check runs
    contact_cadence_check(today=TODAY)
    # then it is overdue exactly when the gap exceeds its tier's allowance, since the first day late
    row = cadence(account)
    allowed = cadence_allowed_days(key_status)
    assert row.allowed_days == allowed
    assert row.due_on == days_before(days_ago) + datetime.timedelta(days=allowed)
    assert row.overdue_since == (TODAY if overdue else None)
    assert row.last_contact_at == at_noon(days_before(days_ago))


def test_the_latest_completed_interaction_is_the_one_that_counts():
    account = account_with(key_status=KeyStatus.STRATEGIC)
    contacted(account, 200)
    contacted(account, 10)
    contacted(account, 60)
    contact_cadence_check(today=TODAY)
    assert cadence(account).last_contact_at == at_noon(days_before(10))
    assert cadence(account).overdue_since is None


@pytest.mark.parametrize("status", [InteractionStatus.PLANNED, InteractionStatus.CANCELLED])
def test_planned_and_cancelled_interactions_do_not_count(status):
    # given a strategic account last contacted 40 days ago, with a planned (or cancelled) one 5 days ago
    account = account_with(key_status=KeyStatus.STRATEGIC)
    contacted(account, 40)
    contacted(account, 5, status=status)
    # when the check runs / then it is overdue: only completed interactions count
    contact_cadence_check(today=TODAY)
    assert cadence(account).last_contact_at == at_noon(days_before(40))
    assert cadence(account).overdue_since == days_before(9)


def test_an_interaction_after_the_day_checked_does_not_count_yet():
    account = account_with(key_status=KeyStatus.STRATEGIC)
    contacted(account, 40)
    InteractionFactory(account=account, occurred_at=at_noon(TODAY + datetime.timedelta(days=1)))
    contact_cadence_check(today=TODAY)
    assert cadence(account).overdue_since == days_before(9)


def test_days_are_counted_in_the_configured_time_zone(settings):
    # given Berlin time, and a strategic account contacted at 00:30 in Berlin 30 days ago (still the day before in UTC)
    settings.TIME_ZONE = "Europe/Berlin"
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    account = account_with(key_status=KeyStatus.STRATEGIC)
    InteractionFactory(
        account=account, occurred_at=datetime.datetime.combine(days_before(30), datetime.time(0, 30), tzinfo=berlin)
    )
    # when the check runs / then the contact counts on its Berlin day: 30 days ago, still on time
    contact_cadence_check(today=TODAY)
    assert cadence(account).due_on == TODAY
    assert cadence(account).overdue_since is None


def test_the_allowances_come_from_the_settings(settings):
    settings.KAM_CADENCE_DAYS = {"strategic": 7, "key": 14, "other": 28}
    account = account_with(key_status=KeyStatus.STRATEGIC)
    contacted(account, 8)
    contact_cadence_check(today=TODAY)
    assert cadence(account).allowed_days == 7
    assert cadence(account).overdue_since == TODAY


def test_a_new_key_status_moves_the_due_day_at_the_next_check():
    # given a standard account contacted 40 days ago: on time
    account = account_with(key_status=KeyStatus.STANDARD)
    contacted(account, 40)
    contact_cadence_check(today=TODAY)
    assert cadence(account).overdue_since is None
    # when scoring makes it strategic and the check runs again
    Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.STRATEGIC)
    contact_cadence_check(today=TODAY)
    # then it is held to 30 days, and overdue since the 31st
    assert cadence(account).allowed_days == 30
    assert cadence(account).overdue_since == days_before(9)


# --- never contacted ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("created_days_ago", "overdue_since"),
    [(0, None), (90, None), (91, TODAY), (400, days_before(309))],
)
def test_an_account_never_contacted_counts_from_its_creation(created_days_ago, overdue_since):
    account = account_with(key_status=KeyStatus.STANDARD, created_days_ago=created_days_ago)
    contact_cadence_check(today=TODAY)
    row = cadence(account)
    assert row.last_contact_at is None
    assert row.due_on == days_before(created_days_ago) + datetime.timedelta(days=90)
    assert row.overdue_since == overdue_since


# --- who is told, and only once --------------------------------------------------------------------------------


@pytest.fixture
def overdue_account(manager, colleague):
    """A key account of ``manager`` last contacted 50 days before TODAY: overdue since 4 days."""
    account = account_with(key_status=KeyStatus.KEY, name="Acme Industries", owner=manager, team=[colleague])
    contacted(account, 50)
    return account


def test_the_owner_is_told_in_the_app_and_by_email(manager, overdue_account, django_capture_on_commit_callbacks):
    # when the check runs and commits
    with django_capture_on_commit_callbacks(execute=True):
        result = contact_cadence_check(today=TODAY)
    # then the owner (only) has one notification about the account, linking to its interactions
    assert (result.overdue, result.notified) == (1, 1)
    notification = Notification.objects.get()
    assert notification.recipient == manager
    assert notification.kind == OVERDUE_KIND
    assert notification.account == overdue_account
    assert notification.title == "Contact overdue: Acme Industries"
    assert notification.url == f"/accounts/{overdue_account.pk}/#interactions"
    assert f"{date_format(days_before(50), 'j M Y')}, 50 days ago" in notification.body
    assert "Key accounts need one at least every 45 days" in notification.body
    assert f"overdue since {date_format(days_before(4), 'j M Y')}" in notification.body
    # and one e-mail, sent after the commit
    assert [message.to for message in mail.outbox] == [[manager.email]]
    assert cadence(overdue_account).notified_at is not None


def test_running_twice_the_same_day_tells_once(manager, overdue_account, django_capture_on_commit_callbacks):
    # given a check that ran and told the owner
    with django_capture_on_commit_callbacks(execute=True):
        contact_cadence_check(today=TODAY)
    # when it runs again the same day (and the day after)
    with django_capture_on_commit_callbacks(execute=True):
        again = contact_cadence_check(today=TODAY)
        next_day = contact_cadence_check(today=TODAY + datetime.timedelta(days=1))
    # then it wrote nothing new and told nobody: one notification, one e-mail in all
    assert (again.rows_written, again.notified, again.overdue) == (0, 0, 1)
    assert (next_day.rows_written, next_day.notified) == (0, 0)
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_each_owner_gets_a_notification_per_account_and_one_email(
    manager, outsider, django_capture_on_commit_callbacks
):
    # given two overdue accounts of the manager and one of the outsider
    for name, owner in (("Acme", manager), ("Bolt", manager), ("Cargo", outsider)):
        contacted(account_with(owner=owner, name=name), 120)
    # when the check runs
    with django_capture_on_commit_callbacks(execute=True):
        result = contact_cadence_check(today=TODAY)
    # then there is a notification per account, and one e-mail per owner (the manager's a digest of two)
    assert result.notified == 3
    assert sorted(n.recipient.username for n in Notification.objects.all()) == ["manager", "manager", "outsider"]
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert len(mail.outbox) == 2
    digest = by_recipient[manager.email]
    assert digest.subject == "KAM: 2 new notifications"
    assert "Contact overdue: Acme" in digest.body and "Contact overdue: Bolt" in digest.body
    assert by_recipient[outsider.email].subject == "Contact overdue: Cargo"


def test_an_account_without_an_owner_is_flagged_and_its_next_owner_told(manager):
    # given an overdue account nobody owns
    account = account_with()
    contacted(account, 120)
    # when the check runs / then it is flagged, and nobody is told
    assert contact_cadence_check(today=TODAY).notified == 0
    assert cadence(account).overdue_since is not None
    assert cadence(account).notified_at is None
    # when a director makes the manager its owner and the check runs again / then the manager is told
    Account.objects.filter(pk=account.pk).update(owner=manager)
    assert contact_cadence_check(today=TODAY).notified == 1
    assert Notification.objects.get().recipient == manager


def test_a_deactivated_owner_is_not_told():
    gone = manager_factory(is_active=False)
    account = account_with(owner=gone)
    contacted(account, 120)
    assert contact_cadence_check(today=TODAY).notified == 0
    assert not Notification.objects.exists()


def test_inactive_accounts_have_no_cadence(manager):
    # given an overdue account that was checked, and an inactive one
    account = account_with(owner=manager)
    contacted(account, 120)
    dormant = account_with(owner=manager, is_active=False)
    contacted(dormant, 120)
    contact_cadence_check(today=TODAY)
    assert not ContactCadence.objects.filter(account=dormant).exists()
    # when the first one is deactivated / then the next check drops its row
    Account.objects.filter(pk=account.pk).update(is_active=False)
    assert contact_cadence_check(today=TODAY).rows_removed == 1
    assert not ContactCadence.objects.exists()


# --- logging an interaction clears the flag at once ---------------------------------------------------------------


def log(account, actor, *, status=InteractionStatus.COMPLETED, occurred_at=None):
    return services.interaction_create(
        actor=actor,
        account=account,
        values={
            "kind": InteractionKind.CALL,
            "status": status,
            "occurred_at": occurred_at or timezone.now(),
            "subject": "Checking in",
        },
    )


def test_a_completed_interaction_clears_the_flag_at_once(manager, overdue_account):
    # given an overdue account whose owner was told
    contact_cadence_check(today=TODAY)
    assert cadence(overdue_account).notified_at is not None
    # when the owner logs a completed call (through the service the page and the API use)
    log(overdue_account, manager, occurred_at=at_noon(TODAY))
    # then the flag and the notified mark are gone before any check runs
    row = cadence(overdue_account)
    assert row.overdue_since is None
    assert row.notified_at is None
    assert row.last_contact_at == at_noon(TODAY)


def test_a_planned_interaction_does_not_clear_the_flag(manager, overdue_account):
    contact_cadence_check(today=TODAY)
    log(overdue_account, manager, status=InteractionStatus.PLANNED, occurred_at=at_noon(TODAY))
    assert cadence(overdue_account).overdue_since is not None
    assert cadence(overdue_account).notified_at is not None


def test_a_later_spell_is_told_again(manager, overdue_account, django_capture_on_commit_callbacks):
    # given an overdue account whose owner was told, then contacted on TODAY
    contact_cadence_check(today=TODAY)
    log(overdue_account, manager, occurred_at=at_noon(TODAY))
    # when 46 days pass without contact and the check runs
    later = TODAY + datetime.timedelta(days=46)
    with django_capture_on_commit_callbacks(execute=True):
        result = contact_cadence_check(today=later)
    # then the owner is told about the new spell
    assert result.notified == 1
    assert Notification.objects.count() == 2
    assert cadence(overdue_account).overdue_since == later


def test_deleting_the_interaction_that_kept_it_on_time_flags_it_again(manager, overdue_account):
    # given the account brought back on time by a call
    contact_cadence_check(today=TODAY)
    call = log(overdue_account, manager, occurred_at=at_noon(TODAY))
    # when the call is deleted (logged by mistake)
    services.interaction_delete(actor=manager, interaction=call)
    # then the flag is back at once, and the next check tells the owner again
    row = cadence(overdue_account)
    assert row.last_contact_at == at_noon(days_before(50))
    assert row.overdue_since is not None
    assert row.notified_at is None


def test_moving_an_interaction_to_another_account_updates_both(director, manager, overdue_account):
    # given the overdue account, and another of the manager's contacted yesterday by a call that belonged elsewhere
    other = account_with(key_status=KeyStatus.KEY, owner=manager)
    call = log(other, manager, occurred_at=at_noon(days_before(1)))
    contact_cadence_check(today=TODAY)
    assert cadence(overdue_account).overdue_since is not None
    # when a director moves the call to the overdue account
    services.interaction_update(actor=director, interaction=call, values={}, account=overdue_account)
    # then the overdue account is on time, and the other is measured from its creation again
    assert cadence(overdue_account).overdue_since is None
    assert cadence(other).last_contact_at is None


def test_the_refresh_creates_the_row_of_an_account_not_checked_yet(manager):
    account = account_with(owner=manager)
    contact_cadence_refresh(account_ids=[account.pk], today=TODAY)
    assert cadence(account).due_on == days_before(400) + datetime.timedelta(days=90)
    assert not Notification.objects.exists()  # the refresh tells nobody


# --- set-based ------------------------------------------------------------------------------------------------------


def test_the_check_is_a_fixed_number_of_statements(manager):
    def statements() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            result = contact_cadence_check(today=TODAY)
        return len(queries), result.notified

    # given one overdue account, checked
    contacted(account_with(owner=manager), 120)
    one = statements()
    # when nine more are overdue
    for _ in range(9):
        contacted(account_with(owner=manager), 120)
    ten = statements()
    # then the same statements ran: savepoint, lock, upsert, delete, claim, the notifications' INSERT (in a savepoint
    # of its own, and its release), count, release
    assert (one[1], ten[1]) == (1, 9)
    assert one[0] == ten[0] == 10


def test_only_changed_rows_are_written(manager):
    for days in (10, 50, 120):
        contacted(account_with(owner=manager), days)
    assert contact_cadence_check(today=TODAY).rows_written == 3
    assert contact_cadence_check(today=TODAY).rows_written == 0
    # one account crosses its due day overnight: only its row changes
    assert contact_cadence_check(today=days_before(-41)).rows_written == 1


# --- the task, the beat entry and the command --------------------------------------------------------------------


def test_the_task_checks_as_of_today(manager):
    account = account_with(owner=manager)
    InteractionFactory(account=account, occurred_at=timezone.now() - datetime.timedelta(days=120))
    result = contact_cadence_check_task()
    assert result["today"] == timezone.localdate().isoformat()
    assert result["notified"] == 1


def test_the_daily_beat_entry_is_enabled_for_a_registered_task():
    entry = PeriodicTask.objects.get(name="Daily contact-cadence check")
    assert entry.enabled
    assert entry.task == "relationships.contact_cadence_check"
    assert (entry.crontab.hour, entry.crontab.minute) == ("6", "0")
    app.loader.import_default_modules()
    assert entry.task in app.tasks


def test_the_command_reports_what_it_did(manager):
    account = account_with(owner=manager)
    InteractionFactory(account=account, occurred_at=timezone.now() - datetime.timedelta(days=120))
    from io import StringIO

    out = StringIO()
    call_command("contact_cadence_check", stdout=out)
    assert "1 account(s) overdue, 1 owner notification(s) sent" in out.getvalue()
