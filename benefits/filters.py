"""FilterSets of the benefits, shared by the pages and the API."""

from __future__ import annotations

import django_filters

from accounts.filters import AccountRecordFilterSet, date_range
from benefits.choices import BenefitCategory, GrantStatus
from benefits.models import BenefitBudget, BenefitGrant, BenefitType
from kam.filtering import ChoicesFilter, IntegerFilter, StrictBooleanFilter


class BenefitTypeFilterSet(django_filters.FilterSet):
    category = ChoicesFilter(choices=BenefitCategory.choices)
    is_active = StrictBooleanFilter()

    class Meta:
        model = BenefitType
        fields = ["category", "is_active"]


class BenefitGrantFilterSet(AccountRecordFilterSet):
    status = ChoicesFilter(choices=GrantStatus.choices)
    category = ChoicesFilter(field_name="benefit_type__category", choices=BenefitCategory.choices)
    benefit_type = IntegerFilter(field_name="benefit_type_id")
    valid_from_after, valid_from_before = date_range("valid_from")

    class Meta:
        model = BenefitGrant
        fields = ["account", "account_external_id", "status", "category", "benefit_type"]


class BenefitBudgetFilterSet(django_filters.FilterSet):
    category = ChoicesFilter(choices=BenefitCategory.choices)
    period_start_after, period_start_before = date_range("period_start")

    class Meta:
        model = BenefitBudget
        fields = ["category"]
