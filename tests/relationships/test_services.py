"""The relationship services: who may write, the rules they check, and four-eyes verification."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kam.constraints import errors_by_field
from relationships import services
from relationships.models import AdvocacyEvent
from tests.factories import (
    AccountFactory,
    AdvocacyEventFactory,
    ContactFactory,
    ContractFactory,
    FeedbackFactory,
    InteractionFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 3, 1)


def fields_of(caught: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return errors_by_field(caught.value)


# --- advocacy: four eyes ----------------------------------------------------------------------------------


def test_the_logger_is_whoever_logged_the_event(manager, account):
    event = services.advocacy_event_create(
        actor=manager, account=account, values={"kind": "referral", "occurred_on": TODAY}
    )
    assert event.logged_by == manager and event.verified is False


def test_someone_else_on_the_account_verifies(manager, colleague, account):
    # given an event the owner logged
    event = AdvocacyEventFactory(account=account, logged_by=manager)
    # when the colleague on the team verifies it
    services.advocacy_event_verify(actor=colleague, event=event)
    # then it is verified by them, now
    event.refresh_from_db()
    assert event.verified and event.verified_by == colleague and event.verified_at is not None


def test_the_logger_cannot_verify_their_own_event(manager, account):
    event = AdvocacyEventFactory(account=account, logged_by=manager)
    with pytest.raises(ValidationError) as caught:
        services.advocacy_event_verify(actor=manager, event=event)
    assert fields_of(caught) == {"verified": ["You logged this event: someone else must verify it."]}
    event.refresh_from_db()
    assert not event.verified


@pytest.mark.parametrize("persona", ["integration", "outsider"])
def test_integrations_and_strangers_cannot_verify(request, manager, account, persona):
    event = AdvocacyEventFactory(account=account, logged_by=manager)
    with pytest.raises(PermissionDenied):
        services.advocacy_event_verify(actor=request.getfixturevalue(persona), event=event)


def test_verifying_twice_keeps_the_first_verifier(manager, colleague, director, account):
    event = AdvocacyEventFactory(account=account, logged_by=manager)
    services.advocacy_event_verify(actor=colleague, event=event)
    services.advocacy_event_verify(actor=director, event=event)
    event.refresh_from_db()
    assert event.verified_by == colleague


def test_changing_a_verified_event_withdraws_verification_but_an_empty_change_does_not(manager, colleague, account):
    # given a verified event
    event = AdvocacyEventFactory(
        account=account, logged_by=manager, verified=True, verified_by=colleague, verified_at=timezone.now()
    )
    # when nothing changes / then it stays verified
    services.advocacy_event_update(actor=manager, event=event, values={})
    assert AdvocacyEvent.objects.get().verified
    # when its facts change / then it must be verified again
    services.advocacy_event_update(actor=manager, event=event, values={"note": "Actually a case study"})
    event.refresh_from_db()
    assert (event.verified, event.verified_by, event.verified_at) == (False, None, None)


def test_an_account_cannot_refer_itself(manager, account):
    with pytest.raises(ValidationError) as caught:
        services.advocacy_event_create(
            actor=manager,
            account=account,
            values={"kind": "referral", "occurred_on": TODAY, "referred_account": account},
        )
    assert "referred_account" in fields_of(caught)


def test_managers_log_advocacy_only_where_they_work(outsider, account):
    with pytest.raises(PermissionDenied):
        services.advocacy_event_create(actor=outsider, account=account, values={"kind": "review", "occurred_on": TODAY})


# --- commercial records: integrations and directors -------------------------------------------------------


@pytest.mark.parametrize("persona", ["manager", "colleague"])
def test_managers_write_no_contracts_and_change_no_feedback(request, account, persona):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.contract_create(actor=user, account=account, values={"kind": "sla", "starts_on": TODAY})
    answer = FeedbackFactory(account=account)
    with pytest.raises(PermissionDenied):
        services.feedback_update(actor=user, feedback=answer, values={"score": 3})
    with pytest.raises(PermissionDenied):
        services.feedback_delete(actor=user, feedback=answer)


@pytest.mark.parametrize("persona", ["manager", "colleague"])
def test_those_working_on_the_account_log_an_nps_answer_they_were_given(request, account, persona):
    answer = services.feedback_create(
        actor=request.getfixturevalue(persona), account=account, values={"score": 9, "responded_on": TODAY}
    )
    assert answer.score == 9


def test_an_outsider_logs_no_nps_answer(outsider, account):
    with pytest.raises(PermissionDenied):
        services.feedback_create(actor=outsider, account=account, values={"score": 9, "responded_on": TODAY})


def test_feedback_contact_must_belong_to_the_account(integration, account, outsider_account):
    stranger = ContactFactory(account=outsider_account)
    with pytest.raises(ValidationError) as caught:
        services.feedback_create(
            actor=integration, account=account, values={"score": 9, "responded_on": TODAY, "contact": stranger}
        )
    assert fields_of(caught) == {"contact": ["This contact belongs to another account."]}


def test_moving_feedback_keeps_its_contact_on_the_same_account(integration, account, outsider_account):
    # given an answer from a contact of ``account``
    answer = FeedbackFactory(account=account, contact=ContactFactory(account=account))
    # when it is moved to another account without changing the contact / then the contact no longer fits
    with pytest.raises(ValidationError) as caught:
        services.feedback_update(actor=integration, feedback=answer, values={}, account=outsider_account)
    assert "contact" in fields_of(caught)


def test_blank_external_id_means_none(integration, account):
    contract = services.contract_create(
        actor=integration, account=account, values={"kind": "sla", "starts_on": TODAY, "external_id": "  "}
    )
    assert contract.external_id is None


def test_a_contract_cannot_end_before_it_starts(director, account):
    contract = ContractFactory(account=account, starts_on=TODAY)
    with pytest.raises(ValidationError) as caught:
        services.contract_update(
            actor=director, contract=contract, values={"ends_on": TODAY - datetime.timedelta(days=1)}
        )
    assert fields_of(caught) == {"ends_on": ["The end date may not be before the start date."]}


# --- interactions -----------------------------------------------------------------------------------------


def test_an_interaction_is_had_by_whoever_logs_it_unless_named(colleague, manager, account):
    mine = services.interaction_create(
        actor=colleague, account=account, values={"kind": "call", "occurred_at": timezone.now(), "subject": "Hi"}
    )
    theirs = services.interaction_create(
        actor=colleague,
        account=account,
        values={"kind": "call", "occurred_at": timezone.now(), "subject": "Hi", "user": manager},
    )
    assert mine.user == colleague and theirs.user == manager


def test_integrations_do_not_log_interactions(integration, account):
    with pytest.raises(PermissionDenied):
        services.interaction_create(
            actor=integration, account=account, values={"kind": "call", "occurred_at": timezone.now(), "subject": "x"}
        )


def test_interaction_contacts_must_belong_to_the_account(manager, account):
    ours, stranger = ContactFactory(account=account), ContactFactory(account=AccountFactory())
    interaction = InteractionFactory(account=account, user=manager, contacts=[ours])
    with pytest.raises(ValidationError) as caught:
        services.interaction_update(actor=manager, interaction=interaction, values={}, contacts=[ours, stranger])
    assert fields_of(caught) == {"contacts": ["This contact belongs to another account."]}
    assert list(interaction.contacts.all()) == [ours]


def test_a_due_date_needs_a_next_step(manager, account):
    with pytest.raises(ValidationError) as caught:
        services.interaction_create(
            actor=manager,
            account=account,
            values={"kind": "meeting", "occurred_at": timezone.now(), "subject": "QBR", "next_step_due": TODAY},
        )
    assert fields_of(caught) == {"next_step": ["A due date needs a next step to be due."]}
