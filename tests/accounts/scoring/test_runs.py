"""Scoring runs end to end against PostgreSQL: the set-based SQL, the write, the lock, failure and the pipeline."""

import datetime
from decimal import Decimal

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.choices import InvoiceStatus, KeyStatus, LadderStage, OrderStatus, ScoringRunStatus, ServiceLevel
from accounts.models import Account, AccountScore, KeyStatusOverride, ScoringRun
from accounts.scoring import formulas, runs
from accounts.scoring.selectors import account_score_latest, score_explanation
from accounts.selectors import accounts_with_score
from accounts.tasks import scoring_run_execute_task
from tests.factories import (
    AccountFactory,
    AccountScoreFactory,
    AdvocacyEventFactory,
    ContactFactory,
    FeedbackFactory,
    InvoiceFactory,
    OrderFactory,
    ScoringRunFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

T = datetime.date(2026, 11, 15)


def monthly_orders(account, *, amount="1000.00", day=20, months=12, as_of=T, **fields):
    """One order on ``day`` of each of the ``months`` complete months before the month of ``as_of`` (T)."""
    orders = []
    year, month = as_of.year, as_of.month
    for _ in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        orders.append(
            OrderFactory(
                account=account, order_date=datetime.date(year, month, day), net_amount=Decimal(amount), **fields
            )
        )
    return orders


def shown(account):
    """The account as the pages and the API read it: with the current run's score joined in."""
    return accounts_with_score(Account.objects.filter(pk=account.pk)).get()


def test_a_hand_computed_account_scores_exactly_and_later_records_are_invisible():
    # given one customer with an order of 1,000 on the 20th of each of the last 12 complete months (10% discount),
    # plus an order after T and a cancelled one, which must not count
    account = AccountFactory()
    monthly_orders(account, discount_pct=Decimal("10.00"))
    OrderFactory(account=account, order_date=T + datetime.timedelta(days=3), net_amount=Decimal("99999.00"))
    OrderFactory(account=account, order_date=T, net_amount=Decimal("55555.00"), status=OrderStatus.CANCELLED)
    # when a run scores it as of T
    run = runs.scoring_run_perform(as_of=T)
    # then the criteria are those computed by hand (DESIGN §5)
    assert run.status == ScoringRunStatus.DONE, run.error
    score = AccountScore.objects.get(run=run, account=account)
    assert score.c1 == Decimal("100.00")  # 12 active months, cv 0
    assert score.c2 is None  # no invoice due
    assert score.c3 == Decimal("37.50")  # size 0 (alone), growth 100, no headroom: 30 / 0.8
    assert score.c4 == Decimal("47.89")  # (0.3·100·360/1825 + 0.3·100) / 0.75
    assert score.c5 == Decimal("20.00")  # no premium; discount 10 → 0.4·50
    assert score.kas == Decimal("44.56")  # 25 + 9.375 + 7.1835 + 3
    assert score.completeness == Decimal("0.800")
    assert score.computed_key_status == score.key_status == KeyStatus.STANDARD
    assert score.orders_w365 == 12
    assert shown(account).kas == Decimal("44.56")
    assert shown(account).last_scored_at == run.finished_at


def test_a_score_on_a_half_cent_is_rounded_half_up_like_the_reference():
    # given an account whose C4 is exactly 63.125: tenure 100 (first order six years ago), repeat 100 (twelve orders
    # in the last year), an NPS mean of 6.5 (two contacts answered 6 and 7: 25 · 12.5 / 100 = 3.125), no advocacy
    account = AccountFactory()
    monthly_orders(account)
    OrderFactory(account=account, order_date=T - datetime.timedelta(days=6 * 365))
    for answer in (6, 7):
        FeedbackFactory(
            account=account,
            contact=ContactFactory(account=account),
            score=answer,
            responded_on=T - datetime.timedelta(days=20),
        )
    # when scored as of T
    run = runs.scoring_run_perform(as_of=T)
    score = AccountScore.objects.get(run=run, account=account)
    # then it is stored half up, as the reference rounds it (double precision alone would give 63.12: 6312.5 is a
    # tie, and a double rounds ties to even), and the explanation agrees
    expected = formulas.brand_loyalty(
        formulas.LoyaltyInputs(
            days_since_first_order=6 * 365, orders_w365=12, nps_mean=Decimal("6.5"), verified_advocacy_w730=0
        )
    )
    assert expected.score == Decimal("63.13")
    assert score.c4 == expected.score
    assert score_explanation(score=score)["criteria"][3]["score"] == "63.13"


def test_the_population_is_active_accounts_that_existed_at_t():
    # given an inactive account with orders, an account created today with no order, and one with an old order
    inactive = AccountFactory(is_active=False)
    monthly_orders(inactive)
    newcomer = AccountFactory()
    imported = AccountFactory()
    OrderFactory(account=imported, order_date=T - datetime.timedelta(days=400))
    # when a run scores as of T (before the newcomer was created)
    run = runs.scoring_run_perform(as_of=T)
    # then only the imported account, which had an order by T, is scored
    scored = set(run.scores.values_list("account_id", flat=True))
    assert scored == {imported.pk}
    assert run.accounts_scored == 1
    assert newcomer.pk not in scored and inactive.pk not in scored


def test_c2_caps_at_20_after_a_write_off_and_counts_payment_after_t_as_unpaid():
    # given an account that paid one invoice on time, one after T (unpaid at T) and had one written off
    account = AccountFactory()
    monthly_orders(account)
    due = T - datetime.timedelta(days=30)
    InvoiceFactory(account=account, issue_date=due - datetime.timedelta(days=30), due_date=due, paid=True)
    InvoiceFactory(
        account=account,
        issue_date=due - datetime.timedelta(days=30),
        due_date=due,
        status=InvoiceStatus.PAID,
        paid_date=T + datetime.timedelta(days=5),
    )
    InvoiceFactory(
        account=account,
        issue_date=due - datetime.timedelta(days=30),
        due_date=due,
        amount=Decimal("100.00"),
        status=InvoiceStatus.WRITTEN_OFF,
    )
    # when scored as of T
    run = runs.scoring_run_perform(as_of=T)
    score = AccountScore.objects.get(run=run, account=account)
    # then the reference helper over the same invoices agrees, the write-off caps C2 and blocks key status
    records = [
        formulas.InvoiceRecord(i.issue_date, i.due_date, i.amount, i.status, i.paid_date)
        for i in account.invoices.all()
    ]
    expected = formulas.payment_reliability(formulas.payment_inputs_from_invoices(records, T))
    assert score.c2 == expected.score
    assert score.c2 <= Decimal("20")
    assert score.writeoff_w1095 is True
    explanation = score_explanation(score=score)
    c2 = explanation["criteria"][1]
    assert c2["caps"] or expected.score < 20
    assert "written off" in c2["sentence"]


def test_the_explanation_renders_the_stored_numbers_and_contributions_add_up():
    # given a scored account with orders and invoices
    account = AccountFactory(annual_potential=Decimal("50000.00"))
    monthly_orders(account, service_level=ServiceLevel.PREMIUM)
    InvoiceFactory(account=account, issue_date=T - datetime.timedelta(days=60), paid=True)
    run = runs.scoring_run_perform(as_of=T)
    score = account_score_latest(account=account)
    assert score is not None and score.run_id == run.pk
    # when its explanation is rendered
    explanation = score_explanation(score=score)
    # then every criterion has its stored score, a sentence and inputs, and the contributions add up to KAS
    criteria = explanation["criteria"]
    assert [c["criterion"] for c in criteria] == ["c1", "c2", "c3", "c4", "c5"]
    stored = [score.c1, score.c2, score.c3, score.c4, score.c5]
    assert [None if c["score"] is None else Decimal(c["score"]) for c in criteria] == stored
    assert all(c["sentence"] and c["inputs"] for c in criteria)
    assert sum(Decimal(c["contribution"]) for c in criteria) == score.kas == Decimal(explanation["kas"])
    assert explanation["key_status"]["status"] == score.computed_key_status
    assert explanation["as_of"] == T.isoformat()


def test_running_twice_gives_the_same_outputs():
    # given a few accounts
    for amount in ("500.00", "1000.00", "4000.00"):
        monthly_orders(AccountFactory(), amount=amount)
    # when the same day is scored twice
    first = runs.scoring_run_perform(as_of=T)
    second = runs.scoring_run_perform(as_of=T)

    # then both runs stored the same numbers and explanations
    def rows(run):
        return sorted(run.scores.values_list("account_id", "c1", "c2", "c3", "c4", "c5", "kas", "key_status", "inputs"))

    assert rows(first) == rows(second)
    assert second.status_changes == 0


def row_version(account):
    """PostgreSQL's xmin of the account's row: it changes whenever the row is rewritten."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM accounts_account WHERE id = %s", [account.pk])
        return cursor.fetchone()[0]


def test_accounts_show_the_new_scores_without_their_rows_being_rewritten():
    # given two standard accounts, scored yesterday
    steady, pinned = AccountFactory(), AccountFactory()
    for account in (steady, pinned):
        monthly_orders(account, amount="500.00")
    runs.scoring_run_perform(as_of=T - datetime.timedelta(days=1))
    untouched = row_version(steady)
    # when one of them shows another status (a pin since expired), and today's run scores both
    Account.objects.filter(pk=pinned.pk).update(key_status=KeyStatus.KEY)
    run = runs.scoring_run_perform(as_of=T)
    # then only the account whose shown status moved was written; both show today's KAS
    assert run.counts["accounts_changed"] == 1
    assert row_version(steady) == untouched
    assert Account.objects.get(pk=pinned.pk).key_status == KeyStatus.STANDARD
    for account in (steady, pinned):
        assert shown(account).kas == AccountScore.objects.get(run=run, account=account).kas
        assert shown(account).last_scored_at == run.finished_at


WRITTEN_TABLES = (
    "accounts_account",
    "accounts_accountscore",
    "relationships_ladderstate",
    "relationships_laddertransition",
    "relationships_ladderoverride",
    "relationships_partnerproposal",
)


def rows_written():
    """Rows inserted and updated so far in this transaction (the test's), per table a run may write."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = ANY(%s)",
            [list(WRITTEN_TABLES)],
        )
        return {name: (inserted, updated) for name, inserted, updated in cursor.fetchall()}


def row_versions(account):
    """The xmin of the account's row and of its ladder state: each changes whenever its row is rewritten."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.xmin::text, s.xmin::text FROM accounts_account a"
            " JOIN relationships_ladderstate s ON s.account_id = a.id WHERE a.id = %s",
            [account.pk],
        )
        return cursor.fetchone()


def test_a_run_rewrites_no_row_whose_values_did_not_change():
    # given a loyal account (orders every month, a promoter, a verified testimonial) and a plain one, both scored
    # and placed on the ladder yesterday, and a third whose shown key status a pin (since expired) had moved
    loyal, plain, moved = AccountFactory(), AccountFactory(), AccountFactory()
    for account in (loyal, plain, moved):
        monthly_orders(account)
    FeedbackFactory(account=loyal, score=10, responded_on=T - datetime.timedelta(days=30))
    AdvocacyEventFactory(
        account=loyal,
        logged_by=UserFactory(),
        verified=True,
        verified_by=UserFactory(),
        verified_at=timezone.now(),
        occurred_on=T - datetime.timedelta(days=60),
    )
    runs.scoring_run_perform(as_of=T - datetime.timedelta(days=1))
    Account.objects.filter(pk=moved.pk).update(key_status=KeyStatus.KEY)
    versions = {account.pk: row_versions(account) for account in (loyal, plain)}
    before = rows_written()
    # when today's run scores them again (new inputs, the same statuses and stages)
    run = runs.scoring_run_perform(as_of=T)
    after = rows_written()
    # then it inserted one score per account and rewrote one row: the account whose shown status had to move back
    delta = {table: tuple(a - b for a, b in zip(after[table], before[table], strict=True)) for table in after}
    assert delta == {
        "accounts_account": (0, 1),
        "accounts_accountscore": (3, 0),
        "relationships_ladderstate": (0, 0),
        "relationships_laddertransition": (0, 0),
        "relationships_ladderoverride": (0, 0),
        "relationships_partnerproposal": (0, 0),
    }
    assert run.counts["accounts_changed"] == 1
    assert run.counts["ladder"]["states_written"] == 0
    # and the other accounts' rows and ladder states are the very same row versions
    assert {account.pk: row_versions(account) for account in (loyal, plain)} == versions
    assert Account.objects.get(pk=loyal.pk).stage == LadderStage.ADVOCATE


def test_hysteresis_reads_the_previous_runs_computed_status():
    # given an account scored key by an earlier run, and now with a KAS between retain (60) and key (70)
    account = AccountFactory()
    monthly_orders(account)
    earlier = ScoringRunFactory(as_of=T - datetime.timedelta(days=1))
    AccountScoreFactory(run=earlier, account=account, computed_key_status=KeyStatus.KEY, kas=Decimal("72.00"))
    # when a run scores as of T
    run = runs.scoring_run_perform(as_of=T)
    score = AccountScore.objects.get(run=run, account=account)
    # then the previous status is the earlier run's, and the decision is the pure function's with it
    assert score.previous_key_status == KeyStatus.KEY
    assert score.computed_key_status == formulas.key_status(
        kas=score.kas, orders_w365=score.orders_w365, writeoff_w1095=score.writeoff_w1095, previous=KeyStatus.KEY
    )
    assert shown(account).kas_previous == Decimal("72.00")
    assert run.counts["previous_run"] == earlier.pk


def test_a_directors_pin_sets_key_status_and_keeps_the_computed_one(director):
    # given an account with a pin to strategic that is still valid, and one whose pin has expired
    pinned, expired = AccountFactory(), AccountFactory()
    for account in (pinned, expired):
        monthly_orders(account)
    pin = KeyStatusOverride.objects.create(
        account=pinned,
        key_status=KeyStatus.STRATEGIC,
        reason="Board decision for the 2027 roll-out.",
        expires_on=T + datetime.timedelta(days=30),
        created_by=director,
    )
    old = KeyStatusOverride.objects.create(
        account=expired,
        key_status=KeyStatus.KEY,
        reason="Temporary pin during the merger.",
        expires_on=T - datetime.timedelta(days=1),
        created_by=director,
    )
    # both pins were made before T (a pin made after T does not exist for a run as of T)
    KeyStatusOverride.objects.filter(pk__in=[pin.pk, old.pk]).update(
        created_at=timezone.now() - datetime.timedelta(days=60)
    )
    # when scored
    run = runs.scoring_run_perform(as_of=T)
    # then the pin wins on the pinned account only, with the computed status stored beside it
    pinned_score = AccountScore.objects.get(run=run, account=pinned)
    assert pinned_score.key_status == KeyStatus.STRATEGIC
    assert pinned_score.computed_key_status == KeyStatus.STANDARD
    assert score_explanation(score=pinned_score)["key_status"]["pinned"]["reason"].startswith("Board decision")
    expired_score = AccountScore.objects.get(run=run, account=expired)
    assert expired_score.key_status == expired_score.computed_key_status
    assert run.counts["overridden"] == 1
    pinned.refresh_from_db()
    assert pinned.key_status == KeyStatus.STRATEGIC


def test_a_back_dated_run_keeps_history_but_leaves_accounts_alone():
    # given an account scored as of T
    account = AccountFactory()
    monthly_orders(account)
    latest = runs.scoring_run_perform(as_of=T)
    # when a run as of a month earlier is made
    older = runs.scoring_run_perform(as_of=T - datetime.timedelta(days=31))
    # then it stored its scores but the account still shows the latest
    assert older.scores.filter(account=account).exists()
    assert older.counts["accounts_updated"] is False
    assert shown(account).kas == AccountScore.objects.get(run=latest, account=account).kas
    assert shown(account).last_scored_at == latest.finished_at


def test_a_failing_step_rolls_everything_back(monkeypatch):
    # given an account, and a pipeline whose last step fails after scores were written
    account = AccountFactory()
    monthly_orders(account)

    def explode(context):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runs, "SCORING_RUN_STEPS", [*runs.SCORING_RUN_STEPS, ("explode", explode)])
    # when the run executes
    run = runs.scoring_run_perform(as_of=T)
    # then it failed with the message and nothing it wrote remains
    assert run.status == ScoringRunStatus.FAILED
    assert "disk full" in run.error
    assert not AccountScore.objects.filter(run=run).exists()
    assert shown(account).kas is None


def test_as_of_in_the_future_is_refused():
    with pytest.raises(ValidationError) as refused:
        runs.scoring_run_perform(as_of=timezone.localdate() + datetime.timedelta(days=1))
    assert "as_of" in refused.value.message_dict
    assert not ScoringRun.objects.exists()


def test_a_task_for_a_run_that_is_not_queued_does_nothing():
    # given a finished run
    run = ScoringRunFactory(as_of=T)
    # when its task is delivered again
    status = scoring_run_execute_task(run.pk)
    # then nothing ran
    assert status == ScoringRunStatus.DONE
    assert not run.scores.exists()


def test_the_nightly_beat_entry_is_enabled_for_its_task():
    task = PeriodicTask.objects.get(task="accounts.scoring_run_nightly")
    assert task.enabled
    assert task.crontab.hour == "2" and task.crontab.minute == "30"


def test_scoring_queries_do_not_grow_with_the_population():
    def statements(as_of):
        with CaptureQueriesContext(connection) as queries:
            run = runs.scoring_run_perform(as_of=as_of)
        assert run.status == ScoringRunStatus.DONE, run.error
        return len(queries), run.accounts_scored

    # given one account, then ten
    monthly_orders(AccountFactory(), months=3)
    one = statements(T - datetime.timedelta(days=1))
    for _ in range(9):
        monthly_orders(AccountFactory(), months=3)
    # when each population is scored, then the same fixed number of statements ran (set-based, no per-account query)
    ten = statements(T)
    assert (one[1], ten[1]) == (1, 10)
    assert one[0] == ten[0]


@pytest.mark.django_db(transaction=True)
def test_a_second_run_waits_for_the_lock_and_fails_clearly_when_it_waits_too_long(settings):
    # given another session holding the scoring lock
    settings.KAM_SCORING_LOCK_WAIT_SECONDS = 1
    monthly_orders(AccountFactory())
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=False) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", [runs.SCORING_LOCK_KEY])
        # when a run starts
        run = runs.scoring_run_perform(as_of=T)
        other.rollback()
    # then it waited, gave up and said why, having written nothing
    assert run.status == ScoringRunStatus.FAILED
    assert "Another scoring run" in run.error
    assert not AccountScore.objects.exists()
    # and once the lock is free, a run goes through
    assert runs.scoring_run_perform(as_of=T).status == ScoringRunStatus.DONE
    assert shown(Account.objects.get()).kas is not None
