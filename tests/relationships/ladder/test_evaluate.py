"""The set-based ladder evaluation (relationships.ladder.evaluate, relationships.services.ladder_evaluate):
moves with their evidence, the Partner cap and its approval, overrides, evaluation as of a past day, the
scoring run's first step, the immediate evaluation after new evidence, and agreement with the pure rules."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django.utils import timezone

from accounts.choices import LadderStage, OrderStatus
from accounts.models import Account
from accounts.scoring import runs
from accounts.volume import volume_seed
from kam.celery import app as celery_app
from relationships import services
from relationships.choices import ContractKind, OverrideStatus, ProposalStatus, TransitionMode
from relationships.ladder.evaluate import ladder_compute
from relationships.ladder.rules import STAGES, ladder_decision, rung
from relationships.models import LadderState, LadderTransition, PartnerProposal
from relationships.selectors import account_ladder_evidence
from tests.factories import (
    AccountFactory,
    AdvocacyEventFactory,
    ContractFactory,
    FeedbackFactory,
    OrderFactory,
    UserFactory,
    director_factory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def a_loyal_account(*, partner_contract: bool = False, **fields) -> Account:
    """Orders in every one of the last 12 months, two promoters, a verified testimonial (and a partnership)."""
    account = AccountFactory(**fields)
    for month in range(1, 13):
        OrderFactory(account=account, order_date=(TODAY.replace(day=1) - datetime.timedelta(days=30 * month - 10)))
    FeedbackFactory(account=account, score=10, responded_on=days_ago(20))
    FeedbackFactory(account=account, score=9, responded_on=days_ago(40))
    logger, verifier = UserFactory(), UserFactory()
    AdvocacyEventFactory(
        account=account, logged_by=logger, verified=True, verified_by=verifier, verified_at=timezone.now()
    )
    if partner_contract:
        ContractFactory(account=account, kind=ContractKind.PARTNERSHIP, starts_on=days_ago(100))
    return account


def stage_of(account: Account) -> str:
    return Account.objects.values_list("stage", flat=True).get(pk=account.pk)


def test_several_rungs_are_one_move_with_its_evidence():
    # given a prospect whose evidence supports Advocate
    account = a_loyal_account()
    # when the ladder is evaluated
    tallies = services.ladder_evaluate(account_ids=[account.pk])
    # then it moved from Prospect to Advocate in one transition that carries the evidence
    assert stage_of(account) == LadderStage.ADVOCATE
    move = LadderTransition.objects.get(account=account)
    assert (move.from_stage, move.to_stage, move.rule_stage, move.mode) == (
        "prospect",
        "advocate",
        "advocate",
        TransitionMode.AUTOMATIC,
    )
    assert move.evidence["orders_w365"] >= 11 and move.evidence["months_with_orders"] == 12
    assert move.evidence["rungs"]["supporter"] == {"entry": True, "retain": True, "holds": True}
    assert move.evidence["rungs"]["partner"]["holds"] is False
    assert move.actor is None
    state = LadderState.objects.get(account=account)
    assert (state.stage, state.rule_stage, state.since) == ("advocate", "advocate", TODAY)
    assert tallies["moved_up"] == 1
    # and evaluating again changes nothing
    again = services.ladder_evaluate(account_ids=[account.pk])
    assert (again["moved_up"], again["moved_down"], again["states_written"]) == (0, 0, 0)
    assert LadderTransition.objects.count() == 1


def test_demotion_when_the_retain_rules_fail():
    # given a supporter with one order this year and no NPS answer
    account = AccountFactory(stage=LadderStage.SUPPORTER)
    OrderFactory(account=account, order_date=days_ago(100))
    # when evaluated / then it drops to Customer (Client needs 2 orders in W(365) to be kept)
    services.ladder_evaluate(account_ids=[account.pk])
    assert stage_of(account) == LadderStage.CUSTOMER
    assert LadderTransition.objects.get(account=account).from_stage == LadderStage.SUPPORTER


def test_partner_opens_a_proposal_and_waits_at_advocate_until_a_director_approves(director):
    # given an account the rules see as a Partner
    account = a_loyal_account(partner_contract=True)
    # when evaluated (twice)
    services.ladder_evaluate(account_ids=[account.pk])
    services.ladder_evaluate(account_ids=[account.pk])
    # then it waits at Advocate with one open proposal carrying the evidence
    assert stage_of(account) == LadderStage.ADVOCATE
    assert LadderState.objects.get(account=account).rule_stage == LadderStage.PARTNER
    proposal = PartnerProposal.objects.get(account=account)
    assert proposal.status == ProposalStatus.OPEN and proposal.evidence["partner_contract_active"] is True
    # when a director approves
    services.partner_proposal_approve(actor=director, proposal=proposal, note="Joint roadmap signed.")
    # then it is Partner at once, the move naming the director and the proposal
    assert stage_of(account) == LadderStage.PARTNER
    move = LadderTransition.objects.filter(account=account).first()
    assert (move.mode, move.actor, move.to_stage) == (TransitionMode.PROPOSAL_APPROVED, director, "partner")
    assert move.evidence["proposal_id"] == proposal.pk
    # and the next evaluation keeps it: the contract alone retains Partner
    services.ladder_evaluate(account_ids=[account.pk])
    assert stage_of(account) == LadderStage.PARTNER


def test_a_rejected_proposal_is_not_reopened_during_the_cool_down(director):
    account = a_loyal_account(partner_contract=True)
    services.ladder_evaluate(account_ids=[account.pk])
    services.partner_proposal_reject(actor=director, proposal=PartnerProposal.objects.get(), note="Not yet.")
    services.ladder_evaluate(account_ids=[account.pk])
    assert list(PartnerProposal.objects.values_list("status", flat=True)) == [ProposalStatus.REJECTED]
    assert stage_of(account) == LadderStage.ADVOCATE


def test_deciding_a_decided_proposal_is_refused_with_who_decided(director):
    account = a_loyal_account(partner_contract=True)
    services.ladder_evaluate(account_ids=[account.pk])
    proposal = PartnerProposal.objects.get()
    services.partner_proposal_approve(actor=director, proposal=proposal)
    with pytest.raises(ValidationError) as refused:
        services.partner_proposal_reject(actor=director_factory(), proposal=proposal)
    assert "was approved already, by Dana Director" in refused.value.message_dict["status"][0]


@pytest.mark.django_db(transaction=True)
def test_two_directors_approving_at_once_one_wins_the_other_is_refused():
    # given an open proposal and two directors
    account = a_loyal_account(partner_contract=True)
    services.ladder_evaluate(account_ids=[account.pk])
    proposal = PartnerProposal.objects.get()
    directors = [director_factory(), director_factory()]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(director):
        try:
            barrier.wait()
            services.partner_proposal_approve(actor=director, proposal=proposal)
            outcomes.append("approved")
        except ValidationError as refused:
            outcomes.append(refused.message_dict["status"][0])
        finally:
            close_old_connections()
            connection.close()

    # when both approve at the same moment, each on its own connection
    threads = [threading.Thread(target=approve, args=(d,)) for d in directors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly one approval went through; the other was told it was approved already
    assert outcomes.count("approved") == 1 and len(outcomes) == 2
    refusal = next(o for o in outcomes if o != "approved")
    assert "was approved already, by" in refusal and "the system" not in refusal
    assert LadderTransition.objects.filter(mode=TransitionMode.PROPOSAL_APPROVED).count() == 1
    assert stage_of(account) == LadderStage.PARTNER


def test_an_override_pins_the_stage_until_it_expires(director):
    # given a customer pinned at Supporter by a director
    account = AccountFactory()
    OrderFactory(account=account, order_date=days_ago(30))
    override = services.ladder_override_request(
        actor=director,
        account=account,
        stage=LadderStage.SUPPORTER,
        reason="Strategic pilot agreed with the board.",
        expires_on=TODAY + datetime.timedelta(days=30),
    )
    # then it is Supporter now, while the rule stage says Customer
    assert override.status == OverrideStatus.APPROVED
    assert stage_of(account) == LadderStage.SUPPORTER
    assert LadderState.objects.get(account=account).rule_stage == LadderStage.CUSTOMER
    move = LadderTransition.objects.get(account=account)
    assert (move.mode, move.actor, move.evidence["pinned_stage"]) == (TransitionMode.OVERRIDE, director, "supporter")
    # when the override has expired (evaluated as of a day after its expiry)
    services.ladder_evaluate(account_ids=[account.pk], as_of=TODAY + datetime.timedelta(days=31))
    # then the rules decide again and the override is marked expired
    assert stage_of(account) == LadderStage.CUSTOMER
    override.refresh_from_db()
    assert override.status == OverrideStatus.EXPIRED


def test_a_managers_override_waits_for_a_director(manager, director, account):
    OrderFactory(account=account, order_date=days_ago(30))
    services.ladder_evaluate(account_ids=[account.pk])
    override = services.ladder_override_request(
        actor=manager,
        account=account,
        stage=LadderStage.CLIENT,
        reason="Framework renewal is signed, orders follow next quarter.",
        expires_on=TODAY + datetime.timedelta(days=90),
    )
    assert override.status == OverrideStatus.REQUESTED and stage_of(account) == LadderStage.CUSTOMER
    services.ladder_override_approve(actor=director, override=override)
    assert stage_of(account) == LadderStage.CLIENT
    assert LadderTransition.objects.filter(account=account).first().actor == director


def test_evaluation_as_of_a_past_day_ignores_later_records():
    # given orders that made an account a client only recently
    account = AccountFactory()
    for n in (10, 100, 200):
        OrderFactory(account=account, order_date=days_ago(n))
    # when evaluated as of a day before the last two orders
    services.ladder_evaluate(account_ids=[account.pk], as_of=days_ago(150))
    # then only the order dated by then counts
    assert stage_of(account) == LadderStage.CUSTOMER
    assert LadderTransition.objects.get(account=account).evidence["orders_ever"] == 1


def test_cancelled_orders_do_not_count():
    account = AccountFactory()
    OrderFactory(account=account, order_date=days_ago(5), status=OrderStatus.CANCELLED)
    services.ladder_evaluate(account_ids=[account.pk])
    assert stage_of(account) == LadderStage.PROSPECT


def test_the_scoring_run_evaluates_the_ladder_first():
    account = a_loyal_account()
    run = runs.scoring_run_perform()
    assert list(run.timings) == ["gather inputs", "evaluate the ladder", "score accounts"]
    assert run.counts["ladder"]["moved_up"] == 1
    assert LadderTransition.objects.get(account=account).run == run


def test_a_back_dated_run_leaves_the_ladder_alone():
    account = a_loyal_account()
    runs.scoring_run_perform()
    Account.objects.filter(pk=account.pk).update(stage=LadderStage.PROSPECT)
    older = runs.scoring_run_perform(as_of=days_ago(3))
    assert older.counts["ladder"]["would_move_up"] == 1
    assert stage_of(account) == LadderStage.PROSPECT


def test_new_evidence_is_evaluated_once_it_commits(django_capture_on_commit_callbacks, monkeypatch, manager, account):
    # given a client with a good year of orders and a promoter, one answer short of Supporter's mean
    for n in (20, 120, 220):
        OrderFactory(account=account, order_date=days_ago(n))
    FeedbackFactory(account=account, score=8, responded_on=days_ago(60))
    services.ladder_evaluate(account_ids=[account.pk])
    assert stage_of(account) == LadderStage.CLIENT
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)  # run the enqueued task here, for real
    # when the manager logs a promoter answer and the transaction commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.feedback_create(actor=manager, account=account, values={"score": 10, "responded_on": TODAY})
    # then the account's ladder was evaluated at once: (8 + 10) / 2 = 9
    assert len(callbacks) == 1
    assert stage_of(account) == LadderStage.SUPPORTER


def test_nothing_is_enqueued_for_a_rolled_back_write(django_capture_on_commit_callbacks, integration, account):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError):
        services.feedback_create(actor=integration, account=account, values={"score": 11, "responded_on": TODAY})
    assert callbacks == []


def test_the_set_based_evaluation_agrees_with_the_pure_rules_on_a_generated_portfolio():
    # given a volume portfolio with a spread of stages already
    volume_seed(accounts=150, orders=3000, seed=11, today=TODAY)
    stages = list(STAGES)
    for index, pk in enumerate(Account.objects.order_by("pk").values_list("pk", flat=True)):
        Account.objects.filter(pk=pk).update(stage=stages[index % len(stages)])
    # when the population is evaluated set-based (without writing)
    from accounts.scoring.metrics import metrics_gather

    with connection.cursor() as cursor:
        metrics_gather(cursor, as_of=TODAY)
        ladder_compute(cursor, as_of=TODAY)
        cursor.execute("SELECT account_id, rule_stage, new_stage, propose_partner FROM ladder_result")
        computed = {pk: (ruled, new, propose) for pk, ruled, new, propose in cursor.fetchall()}
    # then every account gets what the pure rules give on its evidence read one account at a time
    assert len(computed) > 100
    expected = {}
    for account in Account.objects.filter(pk__in=computed):
        decision = ladder_decision(account_ladder_evidence(account=account, as_of=TODAY), current=rung(account.stage))
        expected[account.pk] = (decision.rule_stage, decision.stage, decision.propose_partner)
    assert computed == expected
    assert len({ruled for ruled, _, _ in computed.values()}) >= 3


def test_a_bulk_import_evaluates_every_account_it_touched_once_it_commits(
    django_capture_on_commit_callbacks, monkeypatch, api, integration
):
    # given two prospects
    first, second = AccountFactory(external_id="ERP-1"), AccountFactory(external_id="ERP-2")
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)  # run the enqueued task here, for real
    orders = [
        {"external_id": f"B-{n}", "account_external_id": account.external_id, "order_date": str(days_ago(10 + n)),
         "net_amount": "100.00"}
        for n, account in enumerate([first, second, second])
    ]  # fmt: skip
    # when the ERP imports their orders in one batch
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert api(integration).post("/api/v1/orders/bulk/", orders, format="json").status_code == 200
    # then one evaluation covered both accounts: they are customers now
    assert len(callbacks) == 1
    assert {stage_of(first), stage_of(second)} == {LadderStage.CUSTOMER}


def test_directors_hear_of_a_new_proposal_and_the_owner_of_its_outcome(director, manager):
    from kam.models import Notification

    # given a partner-worthy account of the manager's
    account = a_loyal_account(partner_contract=True, owner=manager)
    # when the ladder opens a proposal / then every director is told, with a link to the queue
    services.ladder_evaluate(account_ids=[account.pk])
    told = Notification.objects.get(kind="ladder.partner_proposed")
    assert told.recipient == director and told.account_id == account.pk and told.url.startswith("/ladder/queue/")
    # when a director approves it / then the owner hears
    services.partner_proposal_approve(actor=director, proposal=PartnerProposal.objects.get(), note="Signed.")
    outcome = Notification.objects.get(kind="ladder.partner_approved")
    assert (outcome.recipient, outcome.body) == (manager, "Signed.")


def test_an_override_request_reaches_the_directors_and_its_decision_the_requester(manager, director, account):
    from kam.models import Notification

    override = services.ladder_override_request(
        actor=manager,
        account=account,
        stage=LadderStage.CLIENT,
        reason="The framework renewal is signed this week.",
        expires_on=TODAY + datetime.timedelta(days=30),
    )
    assert list(Notification.objects.values_list("kind", "recipient")) == [("ladder.override_requested", director.pk)]
    services.ladder_override_reject(actor=director, override=override, note="Wait for the first order.")
    answer = Notification.objects.get(kind="ladder.override_rejected")
    assert (answer.recipient, answer.body) == (manager, "Wait for the first order.")
