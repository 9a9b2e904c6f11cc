"""Forms of the benefits pages. They only parse: the services check who may, the eligibility rules, the maximum,
the budget and the row itself, and their refusal is shown at the fields it names (``add_service_errors``)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.choices import KeyStatus, LadderStage
from accounts.forms import ServiceModelForm, bootstrap_widgets
from benefits import selectors
from benefits.choices import BenefitCategory, GrantStatus
from benefits.models import BenefitBudget, BenefitCost, BenefitGrant, BenefitType
from benefits.page_selectors import ROI_ORDERING, ROI_STATUSES
from kam.constraints import errors_by_field

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY_INPUT = {"step": "0.01", "min": "0", "inputmode": "decimal"}


class BenefitTypeChoiceField(forms.ModelChoiceField):
    """A benefit by its name, its unit and its maximum, so the value asked makes sense."""

    def label_from_instance(self, obj: Any) -> str:
        maximum = f", at most {obj.max_value}" if obj.max_value is not None else ""
        return f"{obj.name} ({obj.unit}{maximum})"


class BenefitGrantRequestForm(ServiceModelForm):
    """Ask for a benefit of the catalog for the account. The service refuses what the account may not have:
    its rules come on ``account`` (shown at the benefit chosen, which they are about) and the maximum on
    ``value``."""

    class Meta:
        model = BenefitGrant
        fields = ["benefit_type", "value", "valid_from", "valid_to", "estimated_annual_cost", "justification"]
        field_classes = {"benefit_type": BenefitTypeChoiceField}
        labels = {
            "benefit_type": "Benefit",
            "valid_from": "From",
            "valid_to": "To",
            "estimated_annual_cost": "Estimated annual cost",
        }
        help_texts = {
            "value": "In the benefit's unit (%, days, EUR, seats…).",
            "estimated_annual_cost": "What it costs the company a year; approval commits it over the validity.",
        }
        widgets = {
            "value": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "valid_from": DATE,
            "valid_to": DATE,
            "estimated_annual_cost": forms.NumberInput(attrs=MONEY_INPUT),
            "justification": forms.Textarea(
                attrs={"rows": 2, "placeholder": "Why this account should have it, in a sentence or two"}
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        today = timezone.localdate()
        kwargs.setdefault("initial", {"valid_from": today, "valid_to": today + datetime.timedelta(days=364)})
        kwargs.setdefault("auto_id", "id_grant_%s")  # unique on the account page, which has other forms
        super().__init__(*args, **kwargs)
        benefit_type = cast(BenefitTypeChoiceField, self.fields["benefit_type"])
        benefit_type.queryset = selectors.benefit_types(active_only=True)
        benefit_type.empty_label = "Choose a benefit"

    def offer(self, benefit_types: Sequence[BenefitType]) -> None:
        """List these benefits (the offers the section already read) without querying the catalog again; what
        is posted is still checked against the active catalog."""
        field = cast(BenefitTypeChoiceField, self.fields["benefit_type"])
        field.choices = [("", field.empty_label), *[(t.pk, field.label_from_instance(t)) for t in benefit_types]]

    def add_service_errors(self, error: ValidationError) -> None:
        """The eligibility rules the service names on ``account`` are about the benefit chosen for it."""
        for field, messages in errors_by_field(error).items():
            target = "benefit_type" if field == "account" else field
            for message in messages:
                self.add_error(target if target in self.fields else None, message)

    def service_values(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "benefit_type"}


class BenefitTypeForm(ServiceModelForm):
    """A catalog entry. Its code names it in integrations: fixed once made."""

    class Meta:
        model = BenefitType
        fields = [
            "code",
            "name",
            "category",
            "description",
            "unit",
            "max_value",
            "min_key_status",
            "min_stage",
            "either_rule",
            "min_c2",
            "is_active",
        ]
        labels = {
            "max_value": "Maximum value",
            "min_key_status": "Minimum key status",
            "min_stage": "Minimum ladder stage",
            "either_rule": "Either rule suffices",
            "min_c2": "Minimum payment reliability (C2)",
            "is_active": "Offered for new requests",
        }
        help_texts = {"is_active": "Unticked, grants already made stay, but nobody can ask for it any more."}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "max_value": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "min_c2": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "Fixed once made: integrations know the benefit by it."
        for name, choices in (("min_key_status", KeyStatus.choices), ("min_stage", LadderStage.choices)):
            cast(forms.TypedChoiceField, self.fields[name]).choices = [("", "No minimum"), *choices]

    def service_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class BenefitBudgetForm(ServiceModelForm):
    """A budget for a category and a period; the service refuses an overlapping one, or an amount below what
    approved grants already committed."""

    class Meta:
        model = BenefitBudget
        fields = ["category", "period_start", "period_end", "amount", "note"]
        labels = {"period_start": "From", "period_end": "To"}
        widgets = {
            "period_start": DATE,
            "period_end": DATE,
            "amount": forms.NumberInput(attrs=MONEY_INPUT),
            "note": forms.Textarea(attrs={"rows": 1}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "instance" not in kwargs:
            year = timezone.localdate().year
            kwargs.setdefault(
                "initial", {"period_start": datetime.date(year, 1, 1), "period_end": datetime.date(year, 12, 31)}
            )
        super().__init__(*args, **kwargs)
        category = cast(forms.TypedChoiceField, self.fields["category"])
        category.choices = [("", "Choose a category"), *BenefitCategory.choices]

    def service_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class BenefitCostForm(ServiceModelForm):
    """What a grant actually cost, on a day."""

    class Meta:
        model = BenefitCost
        fields = ["incurred_on", "amount", "note"]
        labels = {"incurred_on": "Incurred on"}
        widgets = {
            "incurred_on": DATE,
            "amount": forms.NumberInput(attrs=MONEY_INPUT),
            "note": forms.TextInput(attrs={"placeholder": "Invoice, order run…"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"incurred_on": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def service_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class RoiFilterForm(forms.Form):
    """The ROI report's filters: a category and a status (either empty: all)."""

    category = forms.ChoiceField(required=False, choices=[("", "Every category"), *BenefitCategory.choices])
    status = forms.ChoiceField(
        required=False, choices=[("", "Every granted status"), *[(s, GrantStatus(s).label) for s in ROI_STATUSES]]
    )

    # Set by the column headers (a hidden field: the form keeps the sort when the filters change).
    ordering = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[("", ""), *[(f"{sign}{name}", name) for name in ROI_ORDERING for sign in ("", "-")]],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)

    def filters(self) -> dict[str, str]:
        """The valid filters; an unknown value is ignored rather than refused (it came from a shared link)."""
        self.is_valid()
        return {name: self.cleaned_data.get(name) or "" for name in self.fields}
