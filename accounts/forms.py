"""Forms of the account pages. They parse input and nothing more: the services validate the row
(``full_clean``) and own every rule, so a page and the API refuse the same input with the same message."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import selectors
from accounts.choices import AccountKind, KeyStatus, LadderStage
from accounts.models import Account, Contact, ScoringPolicy
from accounts.scoring.policy import POLICY_FIELDS
from kam.constraints import errors_by_field

INFLUENCE_CHOICES = [(1, "1 · low"), (2, "2"), (3, "3 · medium"), (4, "4"), (5, "5 · high")]
ATTITUDE_CHOICES = [
    (-2, "−2 · hostile"),
    (-1, "−1 · sceptical"),
    (0, "0 · neutral"),
    (1, "+1 · supportive"),
    (2, "+2 · champion"),
]


def user_label(user: Any) -> str:
    return user.get_full_name() or user.get_username()


class UserChoiceField(forms.ModelChoiceField):
    """People by their names, not their usernames."""

    def label_from_instance(self, obj: Any) -> str:
        return user_label(obj)


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return user_label(obj)


def bootstrap_widgets(form: forms.BaseForm) -> None:
    """Give every widget its Bootstrap 5 class, so templates can render a field with ``{{ field }}``."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):  # RadioSelect covers checkbox lists
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = " ".join(filter(None, [widget.attrs.get("class"), css]))


class ServiceErrorsMixin:
    """Forms whose input a service validates: the service's refusal shows on the fields it names."""

    fields: dict[str, forms.Field]

    def add_service_errors(self, error: ValidationError) -> None:
        """Attach a service's ``ValidationError`` to the fields it names; anything else is a form error."""
        for field, messages in errors_by_field(error).items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)  # type: ignore[attr-defined]  # a Form's


class ServiceModelForm(ServiceErrorsMixin, forms.ModelForm):
    """A ModelForm that only parses: the model's fields give labels, help texts and widgets; the service
    given ``cleaned_data`` validates and saves."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)

    def _post_clean(self) -> None:
        # ModelForm would copy the input onto ``self.instance`` and validate the model here. The service does
        # that, and it compares the input with the *stored* row (e.g. whether the owner changes), so the
        # instance must stay untouched until the service runs.
        pass


class AccountForm(ServiceModelForm):
    """Create or edit an account. ``owner`` is shown only to directors, ``team`` only to who may manage it."""

    team = UserMultipleChoiceField(
        queryset=selectors.assignable_users(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Colleagues who work on this account with its owner.",
    )

    class Meta:
        model = Account
        fields = [
            "name",
            "kind",
            "industry",
            "country",
            "owner",
            "team",
            "external_id",
            "annual_potential",
            "payment_terms_days",
            "credit_limit",
            "is_active",
        ]
        field_classes = {"owner": UserChoiceField}
        labels = {
            "external_id": "External id",
            "is_active": "Active account",
            "payment_terms_days": "Payment terms (days)",
        }
        widgets = {
            "industry": forms.TextInput(attrs={"list": "industry-suggestions", "autocomplete": "off"}),
            "country": forms.TextInput(attrs={"placeholder": "DE", "class": "text-uppercase", "size": 2}),
            "annual_potential": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "credit_limit": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        }

    def __init__(self, *args: Any, can_assign_owner: bool, can_manage_team: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if can_assign_owner:
            owner = cast(UserChoiceField, self.fields["owner"])
            owner.queryset = selectors.assignable_users()
            owner.empty_label = "No owner yet"
        else:
            del self.fields["owner"]
        if not can_manage_team:
            del self.fields["team"]

    def service_values(self) -> dict[str, Any]:
        """The profile fields for ``account_create``/``account_update`` (the team travels separately)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "team"}

    def service_team(self) -> list[Any] | None:
        """The team to set, or None to leave it as it is (the field was not offered)."""
        return list(self.cleaned_data["team"]) if "team" in self.fields else None


class ContactForm(ServiceModelForm):
    class Meta:
        model = Contact
        fields = ["name", "job_title", "email", "phone", "buying_role", "influence", "attitude", "is_active"]
        labels = {"is_active": "Active contact"}
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "influence": forms.Select(choices=INFLUENCE_CHOICES),
            "attitude": forms.Select(choices=ATTITUDE_CHOICES),
        }

    def service_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def portfolio_filter_form(form: forms.BaseForm) -> forms.BaseForm:
    """Dress the AccountFilterSet's form for the portfolio's filter bar: owners limited to who may own an
    account, check lists for the multi-value filters, plain-language empty choices."""
    form.fields["owner"] = UserChoiceField(
        queryset=selectors.assignable_users(), required=False, label="Owner", empty_label="Any owner"
    )
    kind = cast(forms.ChoiceField, form.fields["kind"])
    kind.empty_label = "Any kind"  # type: ignore[attr-defined]  # django-filter's ChoiceField has one
    kind.choices = AccountKind.choices  # re-set: the empty choice is built when choices are set
    for name, choices in (("stage", LadderStage.choices), ("key_status", KeyStatus.choices)):
        form.fields[name].widget = forms.CheckboxSelectMultiple(choices=choices)
    # "kam-live-filter": the filter bar refreshes the results as these are typed in (hx-trigger).
    form.fields["search"].widget = forms.TextInput(
        attrs={
            "type": "search",
            "placeholder": "Name, industry, country or ERP id",
            "autocomplete": "off",
            "class": "kam-live-filter",
        }
    )
    contact_overdue = cast(forms.ChoiceField, form.fields["contact_overdue"])
    contact_overdue.empty_label = "Any"  # type: ignore[attr-defined]
    contact_overdue.choices = [("true", "Overdue"), ("false", "On time")]
    form.fields["industry"].widget = forms.TextInput(
        attrs={"list": "industry-suggestions", "autocomplete": "off", "class": "kam-live-filter"}
    )
    bootstrap_widgets(form)
    return form


class ScoringRunForm(ServiceErrorsMixin, forms.Form):
    """Start a scoring run; ``scoring_run_request`` refuses a future date, and the form shows its message."""

    as_of = forms.DateField(
        required=False,
        label="As of",
        help_text="Leave empty for today. Records dated after this day are ignored.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["as_of"].widget.attrs["max"] = timezone.localdate().isoformat()
        bootstrap_widgets(self)


class ScoringPolicyForm(ServiceModelForm):
    """A new scoring policy version; ``scoring_policy_create`` validates and saves it."""

    activate = forms.BooleanField(required=False, label="Make it the active policy", initial=True)

    class Meta:
        model = ScoringPolicy
        fields = list(POLICY_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        # the criterion's name in the label itself (the model's verbose names read "Weight c1")
        labels = {
            "weight_c1": "Weight of C1, stable and regular orders",
            "weight_c2": "Weight of C2, low risk of bad debts",
            "weight_c3": "Weight of C3, lifetime potential",
            "weight_c4": "Weight of C4, brand loyalty",
            "weight_c5": "Weight of C5, willingness to pay for service",
        }
        help_texts = {f"weight_c{n}": "" for n in range(1, 6)}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A preview needs no version name yet; saving does (the service says so on the field).
        self.fields["version"].required = False

    def policy_values(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "activate"}


class DecisionForm(forms.Form):
    """A director's optional note on a decision: approve, reject, revoke (ladder and benefits alike)."""

    note = forms.CharField(required=False, max_length=2000, widget=forms.TextInput(attrs={"placeholder": "Note"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)
