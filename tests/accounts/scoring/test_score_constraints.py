"""PostgreSQL holds every invariant of a stored score, whoever writes it (the run's SQL, the admin, a script)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounts.models import AccountScore
from tests.factories import AccountScoreFactory

pytestmark = pytest.mark.django_db

# (values written with QuerySet.update, the constraint PostgreSQL must name)
VIOLATIONS = [
    *[({field: Decimal("100.01")}, f"accounts_accountscore_{field}_range") for field in ("c1", "c5", "kas")],
    *[({field: Decimal("-0.01")}, f"accounts_accountscore_{field}_range") for field in ("c2", "c3", "c4")],
    ({"kas_previous": Decimal("100.01")}, "accounts_accountscore_kas_previous_range"),
    ({"completeness": Decimal("1.001")}, "accounts_accountscore_completeness_range"),
    ({"key_status": "vip"}, "accounts_accountscore_key_status_valid"),
    ({"computed_key_status": "vip"}, "accounts_accountscore_key_status_valid"),
    ({"previous_key_status": "vip"}, "accounts_accountscore_previous_key_status_valid"),
    ({"orders_w365": -1}, "accounts_accountscore_orders_w365_check"),
]


@pytest.mark.parametrize("values,constraint", VIOLATIONS, ids=[f"{next(iter(v))}-{c}" for v, c in VIOLATIONS])
def test_database_refuses_a_score_out_of_its_range(values, constraint):
    # given a stored score, when a write bypasses validation
    score = AccountScoreFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        AccountScore.objects.filter(pk=score.pk).update(**values)
    # then PostgreSQL refuses it by the constraint's name
    assert caught.value.__cause__.diag.constraint_name == constraint


def test_an_account_is_scored_once_per_run():
    score = AccountScoreFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        AccountScoreFactory(run=score.run, account=score.account)
    assert caught.value.__cause__.diag.constraint_name == "accounts_accountscore_one_per_run"
