"""benefits.lifecycle: every transition of the daily job, its idempotence, and a scoring run that demotes an
account suspending its benefits."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import KeyStatus, LadderStage
from accounts.models import Account
from accounts.scoring import runs
from benefits.choices import GrantStatus
from benefits.lifecycle import benefits_lifecycle
from benefits.models import BenefitGrant
from kam.celery import app as celery_app
from kam.models import Notification
from tests.benefits.factories import BenefitBudgetFactory, BenefitGrantFactory, catalog
from tests.factories import AccountFactory, director_factory, manager_factory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def decided(**fields) -> BenefitGrant:
    """A grant a director decided: status and dates as given, for a key account."""
    account = fields.pop("account", None) or AccountFactory(key_status=KeyStatus.KEY, owner=manager_factory())
    return BenefitGrantFactory(
        account=account,
        decided_by=director_factory(),
        decided_at=timezone.now(),
        committed_cost=Decimal("10"),
        **fields,
    )


def status_of(grant: BenefitGrant) -> str:
    return BenefitGrant.objects.values_list("status", flat=True).get(pk=grant.pk)


def test_activates_expires_suspends_and_resumes():
    # given an approved grant starting today, one starting tomorrow, an active one that ended yesterday, an
    # active one whose account is now standard, and a suspended one whose account is key again
    starting = decided(status=GrantStatus.APPROVED, valid_from=TODAY, valid_to=days(30))
    later = decided(status=GrantStatus.APPROVED, valid_from=days(1), valid_to=days(30))
    ended = decided(status=GrantStatus.ACTIVE, valid_from=days(-30), valid_to=days(-1))
    demoted = decided(
        status=GrantStatus.ACTIVE,
        valid_from=days(-10),
        valid_to=days(30),
        account=AccountFactory(owner=manager_factory()),
    )
    recovered = decided(status=GrantStatus.SUSPENDED, valid_from=days(-10), valid_to=days(30))
    # when the daily job runs
    counts = benefits_lifecycle(today=TODAY)
    # then each moved as it should, and only those
    assert counts == {"activated": 1, "expired": 1, "suspended": 1, "resumed": 1}
    assert [status_of(g) for g in (starting, later, ended, demoted, recovered)] == [
        "active", "approved", "expired", "suspended", "active",
    ]  # fmt: skip
    assert list(ended.events.values_list("from_status", "to_status")) == [("active", "expired")]
    # and the demoted account's owner was told
    told = Notification.objects.get(kind="benefit.suspended")
    assert told.recipient_id == demoted.account.owner_id and told.account_id == demoted.account_id
    # and a second run the same day changes nothing
    assert benefits_lifecycle(today=TODAY) == {"activated": 0, "expired": 0, "suspended": 0, "resumed": 0}
    assert Notification.objects.filter(kind="benefit.suspended").count() == 1


def test_a_suspended_grant_past_its_end_expires_and_does_not_resume():
    grant = decided(status=GrantStatus.SUSPENDED, valid_from=days(-30), valid_to=days(-1))
    assert benefits_lifecycle(today=TODAY)["expired"] == 1
    assert status_of(grant) == GrantStatus.EXPIRED


@pytest.mark.parametrize(("c2", "expected"), [("70.00", "active"), ("69.99", "suspended")])
def test_flexible_credit_follows_the_current_c2(c2, expected):
    account = AccountFactory(key_status=KeyStatus.KEY, kas="80.00", kas__c2=Decimal(c2))
    grant = decided(
        status=GrantStatus.ACTIVE,
        benefit_type=catalog("extended_payment_terms"),
        value=Decimal("30"),
        valid_from=days(-5),
        valid_to=days(60),
        account=account,
    )
    benefits_lifecycle(today=TODAY)
    assert status_of(grant) == expected


def test_social_benefits_hold_by_stage_or_strategic_status():
    by_stage = AccountFactory(stage=LadderStage.SUPPORTER)
    by_status = AccountFactory(key_status=KeyStatus.STRATEGIC)
    neither = AccountFactory(stage=LadderStage.CLIENT, key_status=KeyStatus.KEY)
    grants = [
        decided(status=GrantStatus.ACTIVE, benefit_type=catalog("club_membership"), value=Decimal("2"),
                valid_from=days(-5), valid_to=days(60), account=account)
        for account in (by_stage, by_status, neither)
    ]  # fmt: skip
    benefits_lifecycle(today=TODAY)
    assert [status_of(g) for g in grants] == ["active", "active", "suspended"]


def test_a_scoring_run_that_demotes_an_account_suspends_its_benefits(django_capture_on_commit_callbacks, monkeypatch):
    # given a key account with an active discount, whose evidence now makes it standard
    account = AccountFactory(key_status=KeyStatus.KEY, owner=manager_factory())
    grant = decided(status=GrantStatus.ACTIVE, valid_from=days(-5), valid_to=days(60), account=account)
    BenefitBudgetFactory()
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)  # run the enqueued lifecycle here, for real
    # when the nightly scoring run scores it (no orders: standard) and commits
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.scoring_run_perform()
    # then its benefits followed at once
    assert Account.objects.get(pk=account.pk).key_status == KeyStatus.STANDARD
    assert run.status == "done"
    assert status_of(grant) == GrantStatus.SUSPENDED


def test_the_sql_eligibility_agrees_with_the_pure_rules():
    from benefits.eligibility import Standing, eligibility_failures

    # given an active grant of every catalog entry for accounts of every standing
    standings = [
        (key_status, stage)
        for key_status in KeyStatus.values
        for stage in (LadderStage.CUSTOMER, LadderStage.CLIENT, LadderStage.SUPPORTER)
    ]
    expected = {}
    for code in ("volume_discount", "club_membership", "special_delivery"):
        for key_status, stage in standings:
            grant = decided(
                status=GrantStatus.ACTIVE,
                benefit_type=catalog(code),
                value=Decimal("1"),
                valid_from=days(-5),
                valid_to=days(60),
                account=AccountFactory(key_status=key_status, stage=stage),
            )
            eligible = not eligibility_failures(catalog(code), Standing(key_status, stage, None))
            expected[grant.pk] = "active" if eligible else "suspended"
    # when the job runs / then the SQL kept exactly the eligible ones
    benefits_lifecycle(today=TODAY)
    assert dict(BenefitGrant.objects.values_list("pk", "status")) == expected
