"""Forms of the ladder pages: they only parse; the services decide (who may, what is valid)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from accounts.forms import ServiceModelForm
from relationships.models import LadderOverride


class LadderOverrideForm(ServiceModelForm):
    """Ask to pin the account's stage until a date, for a reason."""

    class Meta:
        model = LadderOverride
        fields = ["stage", "expires_on", "reason"]
        labels = {"stage": "Pin the stage at", "expires_on": "Until"}
        widgets = {
            "expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "reason": forms.Textarea(
                attrs={"rows": 2, "placeholder": "Why the rules should not decide for now, in a sentence or two"}
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"expires_on": timezone.localdate() + datetime.timedelta(days=90)})
        super().__init__(*args, **kwargs)

    def service_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
