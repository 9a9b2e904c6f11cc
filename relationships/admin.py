"""Django admin for the relationship records: NPS answers, advocacy events, contracts, interactions and account
plans (with their objectives, SWOT items and actions inline).

Verification of advocacy is the app's four-eyes rule: the admin shows it read-only and verifies only through
``advocacy_event_verify``, so the admin cannot let anyone vouch for their own event. Interactions changed here
update their account's contact cadence at once, as the services do; the cadence itself and the ladder's records
are read-only (their evaluations and services write them).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from accounts.admin import account_link
from relationships.cadence import contact_cadence_refresh
from relationships.models import (
    AccountPlan,
    ActionItem,
    AdvocacyEvent,
    ContactCadence,
    Contract,
    Feedback,
    Interaction,
    LadderOverride,
    LadderState,
    LadderTransition,
    PartnerProposal,
    PlanObjective,
    SwotItem,
)
from relationships.services import advocacy_event_verify


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["__str__", "account_column", "contact", "score", "responded_on"]
    list_filter = ["score"]
    date_hierarchy = "responded_on"
    list_select_related = ["account", "contact__account"]  # a contact shows as "name (account)"
    search_fields = ["external_id", "comment", "account__name", "contact__name"]
    autocomplete_fields = ["account", "contact"]
    readonly_fields = ["created_at"]

    @admin.display(description="Account", ordering="account__name")
    def account_column(self, obj: Feedback) -> str:
        return account_link(obj)


@admin.register(AdvocacyEvent)
class AdvocacyEventAdmin(admin.ModelAdmin):
    list_display = ["__str__", "account_column", "kind", "occurred_on", "logged_by", "verified", "verified_by"]
    list_filter = ["kind", "verified"]
    date_hierarchy = "occurred_on"
    list_select_related = ["account", "logged_by", "verified_by"]
    search_fields = ["note", "account__name", "referred_account__name"]
    autocomplete_fields = ["account", "referred_account"]
    readonly_fields = ["logged_by", "verified", "verified_by", "verified_at", "created_at"]
    actions = ["verify_selected"]

    @admin.display(description="Account", ordering="account__name")
    def account_column(self, obj: AdvocacyEvent) -> str:
        return account_link(obj)

    def save_model(self, request: HttpRequest, obj: AdvocacyEvent, form, change: bool) -> None:
        if not change:
            obj.logged_by = request.user  # whoever logs it here cannot verify it later
        super().save_model(request, obj, form, change)

    @admin.action(description="Verify selected advocacy events")
    def verify_selected(self, request: HttpRequest, queryset: QuerySet[AdvocacyEvent]) -> None:
        verified, refused = 0, []
        for event in queryset.select_related("account").order_by("pk"):
            try:
                advocacy_event_verify(actor=request.user, event=event)
            except ValidationError as error:
                refused.append(f"{event} ({event.account}): {' '.join(error.messages)}")
            except PermissionDenied as error:
                refused.append(f"{event} ({event.account}): {error}")
            else:
                verified += 1
        if verified:
            self.message_user(request, f"{verified} advocacy event(s) verified.", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, f"Not verified: {reason}", messages.ERROR)


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["__str__", "account_column", "kind", "service_level", "starts_on", "ends_on", "auto_renew"]
    list_filter = ["kind", "service_level", "auto_renew"]
    date_hierarchy = "starts_on"
    list_select_related = ["account"]
    search_fields = ["title", "external_id", "account__name"]
    autocomplete_fields = ["account"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description="Account", ordering="account__name")
    def account_column(self, obj: Contract) -> str:
        return account_link(obj)


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["subject", "account_column", "kind", "status", "occurred_at", "user", "next_step_due"]
    list_filter = ["kind", "status"]
    date_hierarchy = "occurred_at"
    list_select_related = ["account", "user"]
    search_fields = ["subject", "summary", "next_step", "account__name"]
    autocomplete_fields = ["account", "user", "contacts"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description="Account", ordering="account__name")
    def account_column(self, obj: Interaction) -> str:
        return account_link(obj)

    def save_model(self, request: HttpRequest, obj: Interaction, form, change: bool) -> None:
        previous = form.initial.get("account") if change else None
        super().save_model(request, obj, form, change)
        contact_cadence_refresh(account_ids={obj.account_id, *([previous] if previous else [])})

    def delete_model(self, request: HttpRequest, obj: Interaction) -> None:
        account_id = obj.account_id
        super().delete_model(request, obj)
        contact_cadence_refresh(account_ids=[account_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Interaction]) -> None:
        account_ids = set(queryset.values_list("account_id", flat=True))
        super().delete_queryset(request, queryset)
        contact_cadence_refresh(account_ids=account_ids)


# --- the loyalty ladder: read-only in the admin; decisions go through the services (pages and API) ----------


class _ReadOnly(admin.ModelAdmin):
    """The ladder's records are written by its evaluation and by the decision services (row locks, evidence,
    four eyes), never edited by hand: the admin shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LadderState)
class LadderStateAdmin(_ReadOnly):
    list_display = ["account", "stage", "rule_stage", "since", "updated_at"]
    list_filter = ["stage", "rule_stage"]
    list_select_related = ["account"]
    search_fields = ["account__name", "account__external_id"]


@admin.register(LadderTransition)
class LadderTransitionAdmin(_ReadOnly):
    list_display = ["account", "from_stage", "to_stage", "rule_stage", "mode", "as_of", "actor", "occurred_at"]
    list_filter = ["mode", "to_stage", "from_stage"]
    date_hierarchy = "occurred_at"
    list_select_related = ["account", "actor"]
    search_fields = ["account__name", "note"]


@admin.register(LadderOverride)
class LadderOverrideAdmin(_ReadOnly):
    list_display = ["account", "stage", "status", "expires_on", "requested_by", "decided_by", "created_at"]
    list_filter = ["status", "stage"]
    list_select_related = ["account", "requested_by", "decided_by"]
    search_fields = ["account__name", "reason"]


@admin.register(PartnerProposal)
class PartnerProposalAdmin(_ReadOnly):
    list_display = ["account", "status", "as_of", "created_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["account", "decided_by"]
    search_fields = ["account__name"]


# --- account plans ------------------------------------------------------------------------------------------
# A part never moves to another plan (the pages and the API refuse it; for actions a composite foreign key
# holds it), so ``plan`` is read-only once a part exists.


class PlanObjectiveInline(admin.TabularInline):
    model = PlanObjective
    extra = 0
    fields = ["position", "title", "target", "target_value", "target_unit", "due", "status"]


class SwotItemInline(admin.TabularInline):
    model = SwotItem
    extra = 0
    fields = ["kind", "text", "position"]


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ["title", "owner", "due", "status", "objective", "completed_at"]
    autocomplete_fields = ["owner", "objective"]


@admin.register(AccountPlan)
class AccountPlanAdmin(admin.ModelAdmin):
    list_display = ["title", "account_column", "period_start", "period_end", "status", "created_by", "updated_at"]
    list_filter = ["status"]
    date_hierarchy = "period_start"
    list_select_related = ["account", "created_by"]
    search_fields = ["title", "summary", "account__name", "account__external_id"]
    autocomplete_fields = ["account", "created_by"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [PlanObjectiveInline, SwotItemInline, ActionItemInline]

    @admin.display(description="Account", ordering="account__name")
    def account_column(self, obj: AccountPlan) -> str:
        return account_link(obj)

    def get_readonly_fields(self, request: HttpRequest, obj: AccountPlan | None = None) -> list[str]:
        # Its parts' owners work on this account: a plan stays with it.
        return [*self.readonly_fields, "account"] if obj else list(self.readonly_fields)


class PlanPartAdmin(admin.ModelAdmin):
    list_select_related = ["plan__account"]
    autocomplete_fields = ["plan"]

    @admin.display(description="Account", ordering="plan__account__name")
    def account_column(self, obj: PlanObjective | SwotItem | ActionItem) -> str:
        return account_link(obj.plan)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [*self.readonly_fields, "plan"] if obj else list(self.readonly_fields)


@admin.register(PlanObjective)
class PlanObjectiveAdmin(PlanPartAdmin):
    list_display = ["title", "plan", "account_column", "target", "due", "status"]
    list_filter = ["status"]
    date_hierarchy = "due"
    search_fields = ["title", "target", "plan__title", "plan__account__name"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(SwotItem)
class SwotItemAdmin(PlanPartAdmin):
    list_display = ["__str__", "plan", "account_column", "kind"]
    list_filter = ["kind"]
    search_fields = ["text", "plan__title", "plan__account__name"]
    readonly_fields = ["created_at"]


@admin.register(ActionItem)
class ActionItemAdmin(PlanPartAdmin):
    list_display = ["title", "plan", "account_column", "owner", "due", "status", "completed_at"]
    list_filter = ["status"]
    date_hierarchy = "due"
    list_select_related = ["plan__account", "owner"]
    search_fields = ["title", "notes", "plan__title", "plan__account__name"]
    autocomplete_fields = ["plan", "owner", "objective"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(ContactCadence)
class ContactCadenceAdmin(admin.ModelAdmin):
    list_display = ["account_column", "allowed_days", "last_contact_at", "due_on", "overdue_since", "notified_at"]
    list_filter = [("overdue_since", admin.EmptyFieldListFilter), "allowed_days"]
    list_select_related = ["account"]
    search_fields = ["account__name", "account__external_id"]
    readonly_fields = ["account", "allowed_days", "last_contact_at", "due_on", "overdue_since", "notified_at"]

    @admin.display(description="Account", ordering="account__name")
    def account_column(self, obj: ContactCadence) -> str:
        return account_link(obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ContactCadence | None = None) -> bool:
        return False
