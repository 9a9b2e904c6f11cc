"""benefits.services: requests against the rules, four-eyes approval committing the cost against the budget
(and the race for its last part), rejection, revocation releasing what was not spent, recorded costs."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection
from django.utils import timezone

from accounts.choices import KeyStatus, LadderStage
from benefits import services
from benefits.choices import BenefitCategory, GrantStatus
from benefits.models import BenefitBudget, BenefitGrant, BenefitGrantEvent
from kam.constraints import errors_by_field
from kam.models import Notification
from tests.benefits.factories import BenefitBudgetFactory, BenefitGrantFactory, catalog
from tests.factories import AccountFactory, director_factory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
REQUEST = {
    "value": Decimal("5.00"),
    "valid_from": TODAY,
    "valid_to": TODAY + datetime.timedelta(days=364),
    "estimated_annual_cost": Decimal("3650.00"),
    "justification": "Consolidating their volume with us next year.",
}


@pytest.fixture
def key_account(account):
    account.key_status = KeyStatus.KEY
    account.stage = LadderStage.CLIENT
    account.save(update_fields=["key_status", "stage"])
    return account


def messages_of(caught) -> dict[str, list[str]]:
    return caught.value.message_dict


# --- requesting ---------------------------------------------------------------------------------------------


def test_a_manager_requests_a_discount_for_a_key_account_and_directors_hear_of_it(manager, director, key_account):
    grant = services.benefit_grant_request(
        actor=manager, account=key_account, benefit_type=catalog("volume_discount"), values=REQUEST
    )
    assert grant.status == GrantStatus.REQUESTED and grant.requested_by == manager
    assert list(grant.events.values_list("from_status", "to_status", "actor")) == [("", "requested", manager.pk)]
    told = Notification.objects.get(kind="benefit.requested")
    assert told.recipient == director and told.url.startswith("/benefits/approvals/")


def test_a_standard_account_is_refused_a_discount_with_the_rule_named(manager, account):
    with pytest.raises(ValidationError) as refused:
        services.benefit_grant_request(
            actor=manager, account=account, benefit_type=catalog("volume_discount"), values=REQUEST
        )
    assert messages_of(refused) == {
        "account": ["min_key_status: Volume discount needs the key status key or higher: the account is standard."]
    }
    assert not BenefitGrant.objects.exists()


def test_a_value_above_the_maximum_is_refused_on_value(manager, key_account):
    with pytest.raises(ValidationError) as refused:
        services.benefit_grant_request(
            actor=manager,
            account=key_account,
            benefit_type=catalog("volume_discount"),
            values={**REQUEST, "value": Decimal("15.01")},
        )
    assert list(messages_of(refused)) == ["value"] and messages_of(refused)["value"][0].startswith("max_value:")


def test_integrations_and_outsiders_request_nothing(integration, outsider, key_account):
    for user in (integration, outsider):
        with pytest.raises(PermissionDenied):
            services.benefit_grant_request(
                actor=user, account=key_account, benefit_type=catalog("volume_discount"), values=REQUEST
            )


def test_a_grant_starts_today_or_later(manager, key_account):
    with pytest.raises(ValidationError) as refused:
        services.benefit_grant_request(
            actor=manager,
            account=key_account,
            benefit_type=catalog("volume_discount"),
            values={**REQUEST, "valid_from": TODAY - datetime.timedelta(days=1)},
        )
    assert list(messages_of(refused)) == ["valid_from"]


# --- approving ----------------------------------------------------------------------------------------------


def test_approval_commits_the_cost_over_the_validity_and_activates_a_grant_that_starts_today(
    manager, director, key_account
):
    budget = BenefitBudgetFactory()
    grant = BenefitGrantFactory(account=key_account, requested_by=manager)  # 90 days at 3,650 a year
    services.benefit_grant_approve(actor=director, grant=grant, note="Good account.")
    grant.refresh_from_db()
    budget.refresh_from_db()
    assert (grant.status, grant.committed_cost, grant.budget) == (GrantStatus.ACTIVE, Decimal("900.00"), budget)
    assert budget.committed == Decimal("900.00")
    assert list(grant.events.order_by("id").values_list("to_status", flat=True)) == ["approved", "active"]
    assert set(Notification.objects.filter(kind="benefit.approved").values_list("recipient", flat=True)) == {manager.pk}


def test_a_director_does_not_approve_their_own_request(director, key_account):
    BenefitBudgetFactory()
    grant = BenefitGrantFactory(account=key_account, requested_by=director)
    with pytest.raises(ValidationError) as refused:
        services.benefit_grant_approve(actor=director, grant=grant)
    assert "four eyes" in messages_of(refused)["status"][0]
    services.benefit_grant_approve(actor=director_factory(), grant=grant)


def test_approval_is_refused_when_the_budget_would_be_exceeded(manager, director, key_account):
    BenefitBudgetFactory(amount=Decimal("899.99"))
    grant = BenefitGrantFactory(account=key_account, requested_by=manager)
    with pytest.raises(ValidationError) as refused:
        services.benefit_grant_approve(actor=director, grant=grant)
    assert "has 899.99 left; this grant would commit 900.00" in messages_of(refused)["budget"][0]
    assert BenefitGrant.objects.get().status == GrantStatus.REQUESTED


def test_approval_without_a_budget_for_the_category_says_so(manager, director, key_account):
    BenefitBudgetFactory(category=BenefitCategory.SOCIAL)
    grant = BenefitGrantFactory(account=key_account, requested_by=manager)
    with pytest.raises(ValidationError) as refused:
        services.benefit_grant_approve(actor=director, grant=grant)
    assert "No monetary budget covers" in messages_of(refused)["budget"][0]


def test_approval_rechecks_eligibility(manager, director, key_account):
    BenefitBudgetFactory()
    grant = BenefitGrantFactory(account=key_account, requested_by=manager)
    key_account.key_status = KeyStatus.CANDIDATE
    key_account.save(update_fields=["key_status"])
    with pytest.raises(ValidationError) as refused:
        services.benefit_grant_approve(actor=director, grant=grant)
    assert messages_of(refused)["account"][0].startswith("min_key_status:")


def test_only_directors_decide(manager, colleague, key_account):
    grant = BenefitGrantFactory(account=key_account, requested_by=colleague)
    for decide in (services.benefit_grant_approve, services.benefit_grant_reject, services.benefit_grant_revoke):
        with pytest.raises(PermissionDenied):
            decide(actor=manager, grant=grant)


@pytest.mark.django_db(transaction=True)
def test_two_approvals_racing_for_the_last_of_a_budget_one_passes():
    # given a budget with room for one of two grants (900 each), and two directors approving at once
    BenefitBudgetFactory(amount=Decimal("1500.00"))
    first, second = (
        BenefitGrantFactory(account=AccountFactory(key_status=KeyStatus.KEY), requested_by=director_factory())
        for _ in range(2)
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(grant):
        try:
            barrier.wait()
            services.benefit_grant_approve(actor=director_factory(), grant=grant)
            outcomes.append("approved")
        except ValidationError as refused:
            outcomes.append(refused.message_dict["budget"][0])
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=approve, args=(grant,)) for grant in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly one went through and the budget holds exactly its cost
    assert outcomes.count("approved") == 1 and len(outcomes) == 2
    assert "has 600.00 left" in next(o for o in outcomes if o != "approved")
    assert BenefitBudget.objects.get().committed == Decimal("900.00")


# --- rejecting, revoking, costs -------------------------------------------------------------------------------


def test_rejection_is_logged_and_the_requester_told(manager, director, key_account):
    grant = BenefitGrantFactory(account=key_account, requested_by=manager)
    services.benefit_grant_reject(actor=director, grant=grant, note="Not this quarter.")
    grant.refresh_from_db()
    assert (grant.status, grant.decided_by, grant.decision_note) == (
        GrantStatus.REJECTED,
        director,
        "Not this quarter.",
    )
    assert Notification.objects.filter(kind="benefit.rejected", recipient=manager).exists()
    with pytest.raises(ValidationError):
        services.benefit_grant_approve(actor=director, grant=grant)


def test_revocation_gives_back_what_the_grant_did_not_spend(manager, director, integration, key_account):
    budget = BenefitBudgetFactory()
    grant = BenefitGrantFactory(account=key_account, requested_by=manager)
    services.benefit_grant_approve(actor=director, grant=grant)
    services.benefit_cost_record(
        actor=integration, grant=grant, values={"incurred_on": TODAY, "amount": Decimal("250.00")}
    )
    services.benefit_grant_revoke(actor=director, grant=grant, note="Account lost the tender.")
    budget.refresh_from_db()
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
    assert (budget.committed, budget.consumed) == (Decimal("250.00"), Decimal("250.00"))
    assert BenefitGrantEvent.objects.filter(
        grant=grant, to_status="revoked", reason="Account lost the tender."
    ).exists()


def test_a_cost_needs_an_approved_grant(integration, key_account):
    grant = BenefitGrantFactory(account=key_account)
    with pytest.raises(ValidationError) as refused:
        services.benefit_cost_record(
            actor=integration, grant=grant, values={"incurred_on": TODAY, "amount": Decimal("1")}
        )
    assert list(messages_of(refused)) == ["grant"]


def test_a_budget_never_falls_below_what_grants_committed(manager, director, key_account):
    budget = BenefitBudgetFactory()
    services.benefit_grant_approve(actor=director, grant=BenefitGrantFactory(account=key_account, requested_by=manager))
    with pytest.raises(ValidationError) as refused:
        services.benefit_budget_update(actor=director, budget=budget, values={"amount": Decimal("899.99")})
    assert errors_by_field(refused.value) == {"amount": ["The approved grants would cost more than the budget."]}
    with pytest.raises(ValidationError) as moved:
        services.benefit_budget_update(actor=director, budget=budget, values={"category": BenefitCategory.SOCIAL})
    assert "category" in messages_of(moved)
