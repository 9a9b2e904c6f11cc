"""Forms of the project-level pages: the dashboard's filters, webhook subscriptions, a new API token."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from accounts.choices import AccountKind
from accounts.forms import ServiceErrorsMixin, bootstrap_widgets
from kam import dashboard
from kam.models import ApiToken, WebhookEvent

EXPORTS = (
    "key_share",
    "retention",
    "funnel",
    "moves",
    "kas",
    "benefits",
    "at_risk",
    "managers",
)


class DashboardFilterForm(forms.Form):
    """Kind, industry, owner (each empty: all) and the period of revenue; ``export`` names a table to download
    as CSV. A value that is not offered is a form error on its field (a 400), never ignored."""

    kind = forms.ChoiceField(required=False, choices=[("", "Customers and suppliers"), *AccountKind.choices])
    industry = forms.ChoiceField(required=False)
    owner = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Owner")
    period = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(months, f"Last {months} months") for months in dashboard.PERIODS],
        label="Revenue period",
    )
    export = forms.ChoiceField(required=False, choices=[("", ""), *[(name, name) for name in EXPORTS]])

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = dashboard.filter_choices(user=user)
        cast(forms.ChoiceField, self.fields["industry"]).choices = [("", "Every industry"), *choices["industry"]]
        cast(forms.ChoiceField, self.fields["owner"]).choices = [("", "Every owner"), *choices["owner"]]
        bootstrap_widgets(self)

    def filters(self) -> dashboard.Filters:
        """The chosen filters; call after ``is_valid()`` (a field in error counts as not chosen)."""
        data = getattr(self, "cleaned_data", {})
        return dashboard.Filters(
            kind=data.get("kind") or "",
            industry=data.get("industry") or "",
            owner_id=data.get("owner"),
            period=data.get("period") or 12,
        )


class WebhookSubscriptionForm(ServiceErrorsMixin, forms.Form):
    """A webhook subscription on the page: the service validates (the same rules as the API)."""

    name = forms.CharField(max_length=100)
    url = forms.URLField(
        max_length=500, assume_scheme="https", label="URL", help_text="Where KAM POSTs the events (http or https)."
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple, help_text="At least one."
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)


class ApiTokenForm(ServiceErrorsMixin, forms.Form):
    """A new API token for the signed-in user: its name (``kam.services.api_token_create`` validates it)."""

    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        label="Name",
        help_text="What will use it, e.g. “ERP sync” or “Reporting notebook”.",
        error_messages={"required": "Name the token after what will use it, e.g. “ERP sync”."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)
