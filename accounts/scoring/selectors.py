"""Reads of scoring results: an account's scores and their explanation, runs. Visibility of the account is the
caller's business (``accounts.selectors.account_get``); runs are visible to directors and integrations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from accounts.choices import KeyStatus, ScoringRunStatus
from accounts.models import Account, AccountScore, KeyStatusOverride, ScoringPolicy, ScoringRun
from accounts.scoring.explain import LABELS as CRITERION_LABELS
from accounts.scoring.explain import explanation_from_stored
from accounts.scoring.formulas import CRITERIA, Policy
from accounts.scoring.inputs import inputs_read
from kam.roles import sees_all_accounts


def account_scores(*, account: Account) -> QuerySet[AccountScore]:
    """The account's scores from finished runs, newest as_of first (its KAS history)."""
    return (
        AccountScore.objects.filter(account=account, run__status=ScoringRunStatus.DONE)
        .select_related("run", "run__policy")
        .order_by("-run__as_of", "-run__finished_at", "-run_id")
    )


def account_score_latest(*, account: Account) -> AccountScore | None:
    """The score of the latest finished run (latest as_of) that scored the account, or None."""
    return account_scores(account=account).first()


def score_explanation(*, score: AccountScore) -> dict[str, Any]:
    """The full explanation of a stored score: criteria with inputs, contributions, caps, missing data and
    sentences, and why the account has its key status (with the director's pin, if one set it)."""
    if not score.inputs:  # a score entered by hand (admin, fixtures) has nothing to explain
        return {}
    stored = inputs_read(score.inputs, previous_key_status=score.previous_key_status)
    pinned = None
    override_id = stored.get("override_id")
    if override_id is not None:
        override = KeyStatusOverride.objects.filter(pk=override_id).first()
        pinned = {
            "key_status": score.key_status,
            "reason": override.reason if override else None,
            "expires_on": override.expires_on.isoformat() if override else None,
        }
    return explanation_from_stored(
        stored,
        Policy.of(score.run.policy),
        as_of=score.run.as_of,
        currency=str(settings.KAM_CURRENCY),
        pinned=pinned,
    )


def scoring_runs() -> QuerySet[ScoringRun]:
    """All runs, newest first, with their policy and requester."""
    return ScoringRun.objects.select_related("policy", "requested_by").order_by("-created_at", "-pk")


def scoring_runs_visible_to(user: Any) -> QuerySet[ScoringRun]:
    """Runs span the whole population: directors and integrations see them all, anyone else none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or not sees_all_accounts(user):
        return ScoringRun.objects.none()
    return scoring_runs()


def scoring_run_get(*, user: Any, pk: Any) -> ScoringRun:
    """The run, if the user may see runs; anything else is a 404."""
    try:
        return scoring_runs_visible_to(user).get(pk=int(pk))
    except (ScoringRun.DoesNotExist, TypeError, ValueError, OverflowError):
        raise Http404("No such scoring run.") from None


@dataclass(frozen=True)
class RunStep:
    """One step of a run as its page shows it: ``state`` is done, running, waiting, failed or skipped."""

    name: str
    state: str
    milliseconds: int | None


@dataclass(frozen=True)
class RunProgress:
    steps: list[RunStep]
    done: int
    total: int
    finished: bool

    @property
    def current(self) -> RunStep | None:
        return next((step for step in self.steps if step.state in ("running", "failed")), None)


def scoring_run_progress(*, run: ScoringRun) -> RunProgress:
    """Where a run is: its steps (``accounts.scoring.runs.SCORING_RUN_STEPS``) with those finished so far, which
    a running run reports in ``timings`` as each ends; the step after the last finished one is running (or is
    where a failed run stopped)."""
    from accounts.scoring.runs import SCORING_RUN_STEPS

    timings = run.timings or {}
    steps = []
    reached = False
    for name, _ in SCORING_RUN_STEPS:
        if name in timings or run.status == ScoringRunStatus.DONE:
            state = "done"
        elif reached or run.status == ScoringRunStatus.QUEUED:
            state = "skipped" if run.status == ScoringRunStatus.FAILED else "waiting"
        else:  # the first unfinished step of a running or failed run
            state = "failed" if run.status == ScoringRunStatus.FAILED else "running"
            reached = True
        steps.append(RunStep(name=name, state=state, milliseconds=timings.get(name)))
    done = sum(step.state == "done" for step in steps)
    finished = run.status in (ScoringRunStatus.DONE, ScoringRunStatus.FAILED)
    return RunProgress(steps=steps, done=done, total=len(steps), finished=finished)


def scoring_run_tallies(*, run: ScoringRun) -> dict[str, Any]:
    """What a finished run found, from its ``counts``, as its page lists it: accounts per key status (highest
    first), the ladder's moves, accounts per criterion without data, pins, and whether the run was history only
    (a later day had been scored already)."""
    counts = run.counts or {}
    per_status = counts.get("key_status") or {}
    nulls = counts.get("null_criteria") or {}
    return {
        "key_status": [(label, per_status.get(code, 0)) for code, label in reversed(KeyStatus.choices)],
        "missing": [(CRITERION_LABELS[code].capitalize(), nulls.get(code, 0)) for code in CRITERIA],
        "ladder": counts.get("ladder") or {},
        "overridden": counts.get("overridden") or 0,
        "history_only": counts.get("accounts_updated") is False,
    }


def scoring_policies() -> QuerySet[ScoringPolicy]:
    """Every policy version, newest first, with who made it."""
    return ScoringPolicy.objects.select_related("created_by").order_by("-created_at", "-pk")
