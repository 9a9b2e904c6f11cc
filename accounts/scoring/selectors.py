"""Reads of scoring results: an account's scores and their explanation, runs. Visibility of the account is the
caller's business (``accounts.selectors.account_get``); runs are visible to directors and integrations."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from accounts.choices import ScoringRunStatus
from accounts.models import Account, AccountScore, KeyStatusOverride, ScoringPolicy, ScoringRun
from accounts.scoring.explain import explanation_from_stored
from accounts.scoring.formulas import Policy
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


def scoring_policies() -> QuerySet[ScoringPolicy]:
    """Every policy version, newest first, with who made it."""
    return ScoringPolicy.objects.select_related("created_by").order_by("-created_at", "-pk")
