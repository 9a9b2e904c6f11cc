"""``manage.py rescore``: a run in this process with its progress and summary; bad dates and failed runs are
command errors (a non-zero exit)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.choices import ScoringRunStatus
from accounts.models import Account, AccountScore, ScoringRun
from accounts.scoring import runs
from accounts.selectors import accounts_with_score
from tests.factories import AccountFactory, OrderFactory

pytestmark = pytest.mark.django_db


def rescore(*args: str) -> str:
    out = StringIO()
    call_command("rescore", *args, stdout=out)
    return out.getvalue()


def account_with_orders(*, orders: int, amount: str = "15000.00"):
    account = AccountFactory()
    today = timezone.localdate()
    for month in range(orders):
        OrderFactory(
            account=account, order_date=today - datetime.timedelta(days=15 + 30 * month), net_amount=Decimal(amount)
        )
    return account


def test_rescore_scores_every_account_and_prints_progress_and_summary():
    # given three active accounts with orders
    accounts = [account_with_orders(orders=n) for n in (1, 4, 12)]
    # when rescore runs
    output = rescore()
    # then every account has a score from one finished run, which the account shows
    run = ScoringRun.objects.get()
    assert run.status == ScoringRunStatus.DONE
    assert run.as_of == timezone.localdate()
    for account in accounts:
        account = accounts_with_score(Account.objects.filter(pk=account.pk)).get()
        score = AccountScore.objects.get(run=run, account=account)
        assert account.kas == score.kas
        assert account.key_status == score.key_status
        assert account.last_scored_at == run.finished_at
    # and the output shows each step, then the summary
    for step in ("gather inputs…", "gather inputs:", "score accounts…", "score accounts:"):
        assert step in output
    assert f"Scoring run {run.pk} as of {run.as_of.isoformat()} (kas-v1) done:" in output
    assert "accounts scored  3" in output
    for status in ("standard", "candidate", "key", "strategic"):
        assert f"    {status} " in output
    assert "status changes" in output
    assert "duration" in output


def test_rescore_as_of_a_past_date():
    account_with_orders(orders=3)
    as_of = timezone.localdate() - datetime.timedelta(days=10)
    output = rescore("--as-of", as_of.isoformat())
    assert ScoringRun.objects.get().as_of == as_of
    assert f"as of {as_of.isoformat()}" in output


def test_rescore_refuses_a_future_as_of():
    # given tomorrow
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    # when rescore is asked to score as of tomorrow
    with pytest.raises(CommandError, match=r"--as-of.*future"):
        rescore("--as-of", tomorrow.isoformat())
    # then no run was made
    assert not ScoringRun.objects.exists()


@pytest.mark.parametrize("value", ["2026-02-30", "abc", "01.02.2025"])
def test_rescore_refuses_what_is_not_a_date(value):
    with pytest.raises(CommandError, match="--as-of"):
        rescore("--as-of", value)
    assert not ScoringRun.objects.exists()


def test_a_failed_run_is_a_command_error_with_its_error(monkeypatch):
    # given a scoring step that breaks
    def broken(context):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(runs, "SCORING_RUN_STEPS", [("gather inputs", broken)])
    account_with_orders(orders=2)
    # when rescore runs
    with pytest.raises(CommandError, match="failed: RuntimeError: the disk is full"):
        rescore()
    # then the run is recorded as failed, nothing scored
    assert ScoringRun.objects.get().status == ScoringRunStatus.FAILED
    assert not AccountScore.objects.exists()
