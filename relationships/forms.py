"""Forms of the relationship records on the account page. Like the account forms they only parse: the
services validate the row and own every rule (e.g. "a due date needs a next step")."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone

from accounts import selectors
from accounts.forms import ServiceModelForm, UserChoiceField
from accounts.models import Account, Contact
from relationships import selectors as plan_selectors
from relationships.models import AccountPlan, ActionItem, AdvocacyEvent, Feedback, Interaction, PlanObjective, SwotItem

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class ContactChoiceField(forms.ModelMultipleChoiceField):
    """Contacts by name and job title, so two people of the same name can be told apart."""

    def label_from_instance(self, obj: Contact) -> str:
        return f"{obj.name} · {obj.job_title}" if obj.job_title else obj.name


class InteractionForm(ServiceModelForm):
    """Log an interaction; ``contacts`` offers the account's active contacts only."""

    contacts = ContactChoiceField(
        queryset=Contact.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Contacts"
    )

    class Meta:
        model = Interaction
        fields = ["kind", "status", "occurred_at", "subject", "contacts", "summary", "next_step", "next_step_due"]
        labels = {"occurred_at": "When", "next_step": "Next step", "next_step_due": "Next step due"}
        widgets = {
            "occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
            "next_step_due": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "subject": forms.TextInput(attrs={"placeholder": "e.g. Quarterly business review", "autocomplete": "off"}),
            "summary": forms.Textarea(attrs={"rows": 4, "placeholder": "What was discussed and agreed"}),
            "next_step": forms.TextInput(
                attrs={"placeholder": "e.g. Send the renewal proposal", "autocomplete": "off"}
            ),
        }

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"occurred_at": timezone.localtime().replace(second=0, microsecond=0)})
        super().__init__(*args, **kwargs)
        contacts = self.fields["contacts"]
        assert isinstance(contacts, ContactChoiceField)
        contacts.queryset = selectors.account_interaction_contacts(account=account)
        self.fields["occurred_at"].input_formats = [DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def service_values(self) -> dict[str, Any]:
        """The interaction's fields for ``interaction_create`` (the contacts travel separately)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "contacts"}

    def service_contacts(self) -> list[Contact]:
        return list(self.cleaned_data["contacts"])


class AdvocacyEventForm(ServiceModelForm):
    """Log an advocacy event; a referral names the account referred, among those the user can see.

    The referred account is typed (its name or external id) with suggestions fetched as one types: a select of
    every account the user sees would be thousands of options in every account page."""

    referred_account = forms.CharField(
        required=False,
        label="Referred account",
        help_text="For referrals: the account they brought to us — type its name or external id.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "list": "referred-account-options", "placeholder": "Name or external id"}
        ),
    )

    class Meta:
        model = AdvocacyEvent
        fields = ["kind", "occurred_on", "referred_account", "note"]
        labels = {"occurred_on": "Date"}
        widgets = {
            "occurred_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note": forms.Textarea(attrs={"rows": 2, "placeholder": "Who said what, where"}),
        }

    def __init__(self, *args: Any, account: Account, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"occurred_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.account, self.user = account, user
        self.fields["referred_account"].widget.attrs.update(
            {
                "hx-get": reverse("relationships:advocacy_referral_options", args=[account.pk]),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#referred-account-options",
                "hx-sync": "this:replace",
            }
        )

    def clean_referred_account(self) -> Account | None:
        return selectors.advocacy_referral_find(
            user=self.user, account=self.account, text=self.cleaned_data.get("referred_account") or ""
        )

    def service_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class FeedbackForm(ServiceModelForm):
    """Log an NPS answer a contact gave (in a review, on a call): 0 to 10, "how likely to recommend us"."""

    class Meta:
        model = Feedback
        fields = ["score", "responded_on", "contact", "comment"]
        labels = {"score": "Score (0–10)", "responded_on": "Answered on", "contact": "Who answered"}
        widgets = {
            "score": forms.NumberInput(attrs={"min": 0, "max": 10, "step": 1, "inputmode": "numeric"}),
            "responded_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "comment": forms.Textarea(attrs={"rows": 2, "placeholder": "What they said"}),
        }

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"responded_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        contact = self.fields["contact"]
        assert isinstance(contact, forms.ModelChoiceField)
        contact.queryset = selectors.account_interaction_contacts(account=account)
        contact.empty_label = "Anonymous"

    def service_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


# --- account plans ------------------------------------------------------------------------------------------

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AccountPlanForm(ServiceModelForm):
    """A plan's period, status and strategy (its objectives, SWOT and actions are edited on the plan's page)."""

    class Meta:
        model = AccountPlan
        fields = ["title", "status", "period_start", "period_end", "summary"]
        labels = {"period_start": "From", "period_end": "To", "summary": "Situation and strategy"}
        help_texts = {"status": "One plan of an account is active on any day; draft the next one meanwhile."}
        widgets = {
            "title": forms.TextInput(attrs={"placeholder": "e.g. Account plan 2027", "autocomplete": "off"}),
            "period_start": DATE_INPUT,
            "period_end": DATE_INPUT,
            "summary": forms.Textarea(
                attrs={"rows": 5, "placeholder": "Where the relationship stands, and where it should be by the end"}
            ),
        }


class PlanObjectiveForm(ServiceModelForm):
    class Meta:
        model = PlanObjective
        fields = ["title", "target", "target_value", "target_unit", "due", "status"]
        labels = {"target_value": "Target value", "target_unit": "Unit"}
        widgets = {
            "title": forms.TextInput(attrs={"placeholder": "e.g. Grow the service business", "autocomplete": "off"}),
            "target": forms.TextInput(attrs={"placeholder": "e.g. Revenue 2.5 M EUR", "autocomplete": "off"}),
            "target_value": forms.NumberInput(attrs={"step": "0.01"}),
            "target_unit": forms.TextInput(attrs={"placeholder": "EUR", "size": 6}),
            "due": DATE_INPUT,
        }


class SwotItemForm(ServiceModelForm):
    class Meta:
        model = SwotItem
        fields = ["kind", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}


class ActionItemForm(ServiceModelForm):
    """An action; ``owner`` offers who may own it (the account's people and the directors, and whoever owns it
    already), ``objective`` the plan's objectives."""

    class Meta:
        model = ActionItem
        fields = ["title", "owner", "due", "status", "objective", "notes"]
        field_classes = {"owner": UserChoiceField}
        labels = {"owner": "Who", "objective": "Towards objective"}
        widgets = {
            "title": forms.TextInput(attrs={"placeholder": "e.g. Book the quarterly business review"}),
            "due": DATE_INPUT,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, plan: AccountPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        objective = self.fields["objective"]
        assert isinstance(owner, forms.ModelChoiceField) and isinstance(objective, forms.ModelChoiceField)
        owner.queryset = plan_selectors.plan_action_owner_choices(
            account=plan.account, including=self.instance.owner_id
        )
        owner.empty_label = "Nobody yet"
        objective.queryset = plan_selectors.plan_objectives(plan=plan, today=timezone.localdate())
        objective.empty_label = "None"
