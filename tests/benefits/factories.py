"""Factories of the benefits tests."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal

import factory
from django.utils import timezone

from benefits.choices import BenefitCategory, GrantStatus
from benefits.models import BenefitBudget, BenefitGrant, BenefitType
from tests.factories import AccountFactory


def catalog(code: str) -> BenefitType:
    """A benefit of the default catalog (data migration): volume_discount, club_membership, … put back first
    when an earlier transactional test emptied the database (data migrations do not run again)."""
    if not BenefitType.objects.exists():
        default_catalog_ensure()
    return BenefitType.objects.get(code=code)


def default_catalog_ensure() -> None:
    """The catalog as the data migration ``benefits/0002`` makes it."""
    migration = importlib.import_module("benefits.migrations.0002_benefits_catalog")
    for code, name, category, unit, maximum, key_status, stage, either, c2, description in migration.CATALOG:
        BenefitType.objects.update_or_create(
            code=code,
            defaults={
                "name": name, "category": category, "unit": unit, "max_value": Decimal(maximum),
                "min_key_status": key_status, "min_stage": stage, "either_rule": either,
                "min_c2": Decimal(c2) if c2 else None, "description": description,
            },
        )  # fmt: skip


class BenefitBudgetFactory(factory.django.DjangoModelFactory):
    """This year's monetary budget of 100,000."""

    class Meta:
        model = BenefitBudget

    category = BenefitCategory.MONETARY
    period_start = factory.LazyFunction(lambda: timezone.localdate().replace(month=1, day=1))
    period_end = factory.LazyFunction(lambda: timezone.localdate().replace(month=12, day=31))
    amount = Decimal("100000.00")


class BenefitGrantFactory(factory.django.DjangoModelFactory):
    """A requested volume discount of 5 % for the next 90 days, estimated at 3,650 a year."""

    class Meta:
        model = BenefitGrant

    account = factory.SubFactory(AccountFactory)
    benefit_type = factory.LazyFunction(lambda: catalog("volume_discount"))
    value = Decimal("5.00")
    valid_from = factory.LazyFunction(timezone.localdate)
    valid_to = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=89))
    justification = "Consolidating their volume with us next year."
    estimated_annual_cost = Decimal("3650.00")
    status = GrantStatus.REQUESTED
