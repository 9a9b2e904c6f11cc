"""The stored inputs of a score: their layout, how they read back, and the migration that moved old scores'
JSON inputs into them."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.scoring.explain import results_from_stored
from accounts.scoring.inputs import INPUT_FIELDS, inputs_read

STORED = [Decimal(v) for v in ("0", "1200.50", "0", "0", "300", "0", "0", "0", "0", "0", "0", "99.99")] + [
    Decimal("3"),  # invoices_due_w365
    Decimal("1500.00"),  # amount_due_w365
    Decimal("4500.00"),  # late_amount_days
    Decimal("250.00"),  # overdue_unpaid
    Decimal("1"),  # writeoff_w1095
    Decimal("1600.49"),  # revenue_w365
    Decimal("0"),  # revenue_previous_w365
    Decimal("0.3333333333333333"),  # size_percent_rank
    None,  # annual_potential
    Decimal("400"),  # days_since_first_order
    Decimal("3"),  # orders_w365
    Decimal("17"),  # nps_sum
    Decimal("2"),  # nps_count
    Decimal("1"),  # verified_advocacy_w730
    Decimal("300"),  # premium_revenue_w365
    Decimal("0"),  # enhanced_revenue_w365
    Decimal("1600.49"),  # discount_weighted_sum
    None,  # override_id
]


def test_inputs_read_names_and_types_every_stored_figure():
    # given a stored array / when it is read
    named = inputs_read(STORED, previous_key_status="key")
    # then months come as one list, counts as ints, the write-off as a bool, money exact
    assert named["monthly_revenue"] == STORED[:12]
    assert named["invoices_due_w365"] == 3 and isinstance(named["invoices_due_w365"], int)
    assert named["writeoff_w1095"] is True
    assert named["revenue_w365"] == Decimal("1600.49")
    assert named["annual_potential"] is None and named["override_id"] is None
    assert named["previous_key_status"] == "key"
    # and the pure functions explain them: C2 is capped at 20 by the write-off
    results, orders, writeoff, previous = results_from_stored(named)
    assert (orders, writeoff, previous) == (3, True, "key")
    assert results[1].score <= Decimal("20")


def test_inputs_of_another_length_are_refused():
    assert len(STORED) == len(INPUT_FIELDS)
    with pytest.raises(ValueError, match="expected 30"):
        inputs_read(STORED[:-1])


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_json_inputs_into_the_array_and_back():
    # given the schema before the array, with a score whose inputs are JSON (format kas-v1/inputs)
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0007_scoring_nightly_schedule_enable")])
    old = executor.loader.project_state([("accounts", "0007_scoring_nightly_schedule_enable")]).apps
    policy = old.get_model("accounts", "ScoringPolicy").objects.get(version="kas-v1")
    account = old.get_model("accounts", "Account").objects.create(name="Legacy AG")
    runs = old.get_model("accounts", "ScoringRun")
    earlier = runs.objects.create(policy=policy, as_of=datetime.date(2026, 10, 1), status="done")
    later = runs.objects.create(policy=policy, as_of=datetime.date(2026, 11, 1), status="done")
    named = inputs_read(STORED)
    document = {
        "format": "kas-v1/inputs",
        **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in named.items() if k != "monthly_revenue"},
        "monthly_revenue": [str(v) for v in named["monthly_revenue"]],
        "writeoff_w1095": True,
        "previous_key_status": "key",
    }
    scores = old.get_model("accounts", "AccountScore")
    common = {"account": account, "completeness": "1", "computed_key_status": "key", "key_status": "key"}
    scores.objects.create(run=earlier, kas="61.00", explanation=json.loads(json.dumps(document)), **common)
    score = scores.objects.create(run=later, kas="64.00", explanation=document, previous_key_status="key", **common)
    # when the migrations run
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0010_scoring_current_scores")])
    new = executor.loader.project_state([("accounts", "0010_scoring_current_scores")]).apps
    migrated = new.get_model("accounts", "AccountScore").objects.get(pk=score.pk)
    # then the array holds the same figures, and the score knows the KAS of the run before
    assert migrated.inputs == STORED
    assert migrated.kas_previous == Decimal("61.00")
    # and going back rebuilds the JSON the old code read
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0007_scoring_nightly_schedule_enable")])
    back = MigrationExecutor(connection).loader.project_state([("accounts", "0007_scoring_nightly_schedule_enable")])
    restored = back.apps.get_model("accounts", "AccountScore").objects.get(pk=score.pk).explanation
    assert restored["monthly_revenue"] == document["monthly_revenue"]
    assert restored["revenue_w365"] == "1600.49" and restored["writeoff_w1095"] is True
    assert restored["annual_potential"] is None and restored["nps_sum"] == 17
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
