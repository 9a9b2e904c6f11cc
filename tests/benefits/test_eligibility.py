"""benefits.eligibility: each rule of the default catalog at its boundary, the maximum value, the words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from benefits.eligibility import Standing, eligibility_failures, rules_described, value_failure
from tests.benefits.factories import catalog

pytestmark = pytest.mark.django_db


def rules(code: str, key_status: str, stage: str, c2: str | None = None) -> list[str]:
    standing = Standing(key_status=key_status, stage=stage, c2=None if c2 is None else Decimal(c2))
    return [failure.rule for failure in eligibility_failures(catalog(code), standing)]


@pytest.mark.parametrize(
    "code,key_status,stage,c2,expected",
    [
        # discounts: key status ≥ key
        ("volume_discount", "key", "prospect", None, []),
        ("volume_discount", "strategic", "customer", None, []),
        ("volume_discount", "candidate", "partner", None, ["min_key_status"]),
        # flexible credit: key status ≥ key and C2 ≥ 70
        ("extended_payment_terms", "key", "client", "70.00", []),
        ("extended_payment_terms", "key", "client", "69.99", ["min_c2"]),
        ("credit_limit_increase", "key", "client", None, ["min_c2"]),
        ("credit_limit_increase", "standard", "client", "95.00", ["min_key_status"]),
        # social: stage ≥ supporter, or key status strategic
        ("club_membership", "standard", "supporter", None, []),
        ("club_membership", "strategic", "prospect", None, []),
        ("club_membership", "key", "client", None, ["key_status_or_stage"]),
        # structural: key status ≥ key and stage ≥ client
        ("special_delivery", "key", "client", None, []),
        ("special_delivery", "key", "customer", None, ["min_stage"]),
        ("special_delivery", "candidate", "customer", None, ["min_key_status", "min_stage"]),
    ],
)
def test_each_rule_at_its_boundary(code, key_status, stage, c2, expected):
    assert rules(code, key_status, stage, c2) == expected


def test_a_failure_says_what_the_account_has():
    [failure] = eligibility_failures(catalog("volume_discount"), Standing("standard", "client", None))
    assert failure.message == "Volume discount needs the key status key or higher: the account is standard."


def test_the_maximum_value_at_its_boundary():
    discount = catalog("volume_discount")
    assert value_failure(discount, Decimal("15.00")) is None
    over = value_failure(discount, Decimal("15.01"))
    assert over is not None and over.rule == "max_value" and "at most 15.00 %" in over.message


def test_rules_in_words():
    assert rules_described(catalog("club_membership")) == "stage Supporter or higher, or key status strategic"
    assert rules_described(catalog("credit_limit_increase")) == (
        "key status key or higher; payment reliability (C2) ≥ 70.00"
    )
