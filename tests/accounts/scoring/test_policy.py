"""Scoring policy versions and the preview of their effect."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.choices import KeyStatus
from accounts.models import ScoringPolicy
from accounts.scoring import formulas, runs
from accounts.scoring.policy import (
    POLICY_FIELDS,
    scoring_policy_activate,
    scoring_policy_candidate,
    scoring_policy_create,
    scoring_policy_preview,
)
from tests.accounts.scoring.test_runs import T, monthly_orders
from tests.factories import AccountFactory, active_policy

pytestmark = pytest.mark.django_db


def values(**changes):
    base = {name: getattr(formulas.KAS_V1, name) for name in POLICY_FIELDS if name not in ("version", "description")}
    return base | {"version": "kas-v2"} | changes


def test_a_director_saves_a_new_version_and_activates_it(director):
    # given kas-v1 active
    original = active_policy()
    # when a director saves kas-v2 without activating, then activates it
    policy = scoring_policy_create(actor=director, values=values(description="More weight on loyalty"))
    assert not policy.is_active and active_policy() == original
    scoring_policy_activate(actor=director, policy=policy)
    # then kas-v2 is the only active one, kas-v1 is unchanged and the next run uses kas-v2
    assert active_policy() == policy
    original.refresh_from_db()
    assert not original.is_active and original.weight_c1 == Decimal("0.250")
    assert policy.created_by == director
    monthly_orders(AccountFactory())
    assert runs.scoring_run_perform(as_of=T).policy == policy


def test_saving_with_activate_switches_in_one_step(director):
    policy = scoring_policy_create(actor=director, values=values(), activate=True)
    assert list(ScoringPolicy.objects.filter(is_active=True)) == [policy]


def test_only_directors_change_the_policy(manager):
    with pytest.raises(PermissionDenied):
        scoring_policy_create(actor=manager, values=values())
    with pytest.raises(PermissionDenied):
        scoring_policy_activate(actor=manager, policy=active_policy())


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"weight_c1": Decimal("0.300")}, None),  # the weights add up to 1.05
        ({"key_threshold": Decimal("50")}, None),  # key below candidate and retain
        ({"version": "kas-v1"}, "version"),  # versions are unique
        ({"weight_c2": Decimal("1.5")}, "weight_c2"),
    ],
)
def test_an_invalid_policy_is_refused_and_nothing_is_saved(director, changes, field):
    with pytest.raises(ValidationError) as refused:
        scoring_policy_create(actor=director, values=values(**changes))
    if field:
        assert field in refused.value.message_dict
    assert ScoringPolicy.objects.count() == 1


def test_unknown_fields_are_refused(director):
    with pytest.raises(ValidationError) as refused:
        scoring_policy_create(actor=director, values=values(is_active=True))
    assert "is_active" in refused.value.message_dict


def test_the_preview_re_decides_the_latest_runs_accounts_under_new_thresholds():
    # given three scored accounts of different sizes
    accounts = [AccountFactory() for _ in range(3)]
    for account, amount in zip(accounts, ("300.00", "1000.00", "5000.00"), strict=True):
        monthly_orders(account, amount=amount)
    run = runs.scoring_run_perform(as_of=T)
    # when the same policy is previewed, nothing changes
    same = scoring_policy_preview(policy=formulas.KAS_V1)
    assert (same.run_id, same.as_of, same.accounts, same.changed, same.changes) == (run.pk, T, 3, 0, [])
    # and when the key threshold drops to 40 (retain and candidate with it)
    lower = formulas.Policy(key_threshold=Decimal(40), retain_threshold=Decimal(35), candidate_threshold=Decimal(30))
    preview = scoring_policy_preview(policy=lower)
    # then every account's new status is the pure decision with the run's gates and previous status
    for score in run.scores.all():
        expected = formulas.key_status(
            kas=score.kas,
            orders_w365=score.orders_w365,
            writeoff_w1095=score.writeoff_w1095,
            previous=None,
            thresholds=lower,
        )
        listed = [c for c in preview.changes if c.account_id == score.account_id]
        assert (listed[0].status_then if listed else score.computed_key_status) == expected
    assert preview.changed == len(preview.changes) > 0
    assert sum(preview.counts_then.values()) == sum(preview.counts_now.values()) == 3
    assert preview.counts_then[KeyStatus.KEY] + preview.counts_then[KeyStatus.STRATEGIC] > 0


def test_the_preview_without_any_run_is_empty():
    preview = scoring_policy_preview(policy=formulas.KAS_V1)
    assert preview.run_id is None and preview.changes == [] and preview.accounts == 0


def test_a_candidate_policy_is_checked_before_any_preview():
    # weights that add up to 1.05 are refused with the reason; good values give the pure policy
    with pytest.raises(ValidationError) as refused:
        scoring_policy_candidate(values=values(weight_c1=Decimal("0.300")))
    assert "add up to 1" in " ".join(refused.value.messages)
    assert scoring_policy_candidate(values=values(version="")).key_threshold == Decimal(70)
