"""The relationship sections of the account page: the interaction timeline with its inline "log interaction"
form, the NPS answers with "log", the advocacy events with "log" and "verify", and the account plan; and the
account plan's own pages.

Like the account views: the account comes through ``accounts.selectors.account_get`` (anyone who may not see
it gets a 404, on every URL), one service writes, and htmx requests get the section they swap. Without
JavaScript the same URLs answer a plain POST with a redirect, or with a full-page form showing the errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import permissions, selectors
from accounts.models import Account
from kam.constraints import errors_by_field
from relationships import selectors as plan_selectors
from relationships import services
from relationships.choices import ActionStatus, SwotKind
from relationships.forms import (
    AccountPlanForm,
    ActionItemForm,
    AdvocacyEventForm,
    FeedbackForm,
    InteractionForm,
    PlanObjectiveForm,
    SwotItemForm,
)
from relationships.ladder.views import ladder_context, ladder_polling
from relationships.models import AccountPlan

if TYPE_CHECKING:  # accounts.views imports this module for the account page
    from accounts.views import HtmxHttpRequest

TIMELINE_LENGTH = 20


def interactions_context(request: HttpRequest, account: Account, form: InteractionForm | None) -> dict[str, Any]:
    """What the timeline partial needs: the latest interactions and, for who may log one, the form."""
    can_log = permissions.can_log_interaction(request.user, account)
    interactions = selectors.account_interactions(account=account, limit=TIMELINE_LENGTH + 1)
    return {
        "account": account,
        "interactions": interactions[:TIMELINE_LENGTH],
        "interactions_truncated": len(interactions) > TIMELINE_LENGTH,
        "timeline_length": TIMELINE_LENGTH,
        "can_log_interaction": can_log,
        "interaction_form": (form or InteractionForm(account=account)) if can_log else None,
        "today": timezone.localdate(),
    }


def advocacy_context(request: HttpRequest, account: Account, form: AdvocacyEventForm | None) -> dict[str, Any]:
    """What the advocacy partial needs. ``can_verify`` is set on each event: a verifier may vouch for events
    that someone else logged and nobody verified yet (the service refuses the rest anyway)."""
    user = request.user
    events = selectors.account_advocacy_events(account=account, user=user)
    may_verify: dict[int, bool] = {}  # per account: the predicate reads only the event's account
    for event in events:
        if event.account_id not in may_verify:
            may_verify[event.account_id] = permissions.can_verify_advocacy(user, event)
        event.can_verify = may_verify[event.account_id] and not event.verified and event.logged_by_id != user.pk
    can_log = permissions.can_log_advocacy(user, account)
    return {
        "account": account,
        "advocacy_events": events,
        "can_log_advocacy": can_log,
        "advocacy_form": (form or AdvocacyEventForm(account=account, user=user)) if can_log else None,
    }


def feedback_context(request: HttpRequest, account: Account, form: FeedbackForm | None) -> dict[str, Any]:
    """What the NPS section needs: the latest answers, the year's mean and spread, and the form for who may
    log an answer they were given."""
    can_log = permissions.can_log_feedback(request.user, account)
    return {
        "account": account,
        "feedback": selectors.account_feedback(account=account),
        "nps": selectors.account_nps(account=account, today=timezone.localdate()),
        "can_log_feedback": can_log,
        "feedback_form": (form or FeedbackForm(account=account)) if can_log else None,
    }


def _interactions_section(
    request: HttpRequest, account: Account, form: InteractionForm | None, *, logged: bool = False
) -> HttpResponse:
    """The timeline; once an interaction is ``logged``, the stakeholders card too (out of band): its contact
    cadence ("last contact … days ago", overdue) and each stakeholder's last contact follow from it."""
    response = render(
        request, "relationships/partials/interaction_timeline.html", interactions_context(request, account, form)
    )
    if logged:
        stakeholders = render(
            request,
            "relationships/partials/stakeholder_map.html",
            {
                "stakeholder_map": plan_selectors.account_stakeholder_map(account=account, today=timezone.localdate()),
                "stakeholders_oob": True,
            },
        )
        response.content += stakeholders.content
    return response


def _advocacy_section(request: HttpRequest, account: Account, form: AdvocacyEventForm | None) -> HttpResponse:
    return render(request, "relationships/partials/advocacy_events.html", advocacy_context(request, account, form))


@login_required
@require_http_methods(["GET", "POST"])
def interaction_create(request: HtmxHttpRequest, account_pk: int) -> HttpResponse:
    account = selectors.account_get(user=request.user, pk=account_pk)
    if not permissions.can_log_interaction(request.user, account):
        raise PermissionDenied("Only the account's owner, its team or a director log interactions.")
    form = InteractionForm(request.POST if request.method == "POST" else None, account=account)
    if form.is_bound and form.is_valid():
        try:
            interaction = services.interaction_create(
                actor=request.user, account=account, values=form.service_values(), contacts=form.service_contacts()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{interaction.get_kind_display()} “{interaction.subject}” logged.")
            if request.htmx:
                return _interactions_section(request, account, form=None, logged=True)
            return redirect(interaction)
    if request.htmx:
        return _interactions_section(request, account, form=form)
    return render(request, "relationships/interaction_form.html", {"form": form, "account": account})


@login_required
@require_safe
def advocacy_referral_options(request: HttpRequest, account_pk: int) -> HttpResponse:
    """The referred-account field's suggestions, ``<option>``s for its ``<datalist>``, as the user types."""
    account = selectors.account_get(user=request.user, pk=account_pk)
    if not permissions.can_log_advocacy(request.user, account):
        raise PermissionDenied("You cannot log advocacy for this account.")
    text = request.GET.get("referred_account", "")
    options = selectors.advocacy_referral_options(user=request.user, account=account, text=text)
    return render(request, "relationships/partials/referral_options.html", {"options": options})


@login_required
@require_http_methods(["GET", "POST"])
def advocacy_event_create(request: HtmxHttpRequest, account_pk: int) -> HttpResponse:
    account = selectors.account_get(user=request.user, pk=account_pk)
    if not permissions.can_log_advocacy(request.user, account):
        raise PermissionDenied("You cannot log advocacy for this account.")
    form = AdvocacyEventForm(request.POST if request.method == "POST" else None, account=account, user=request.user)
    if form.is_bound and form.is_valid():
        try:
            event = services.advocacy_event_create(actor=request.user, account=account, values=form.service_values())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{event.get_kind_display()} logged. A colleague or a director verifies it.")
            if request.htmx:
                return _advocacy_section(request, account, form=None)
            return redirect(event)
    if request.htmx:
        return _advocacy_section(request, account, form=form)
    return render(request, "relationships/advocacy_event_form.html", {"form": form, "account": account})


@login_required
@require_POST
def advocacy_event_verify(request: HtmxHttpRequest, account_pk: int, pk: int) -> HttpResponse:
    """Vouch for an event (four eyes). Whoever logged it is told so, and nothing changes."""
    account = selectors.account_get(user=request.user, pk=account_pk)
    event = selectors.account_advocacy_event_get(account=account, pk=pk)
    try:
        services.advocacy_event_verify(actor=request.user, event=event)
    except ValidationError as error:
        for field_messages in errors_by_field(error).values():
            for message in field_messages:
                messages.error(request, message)
    else:
        messages.success(request, f"{event.get_kind_display()} of {date_format(event.occurred_on, 'j M Y')} verified.")
    if request.htmx:
        return _advocacy_section(request, account, form=None)
    return redirect(event)


@login_required
@require_http_methods(["GET", "POST"])
def feedback_create(request: HtmxHttpRequest, account_pk: int) -> HttpResponse:
    """Log an NPS answer. Once it commits the ladder re-evaluates the account (a Celery task): the htmx answer
    swaps the NPS section and has the ladder panel ask again until the move shows."""
    account = selectors.account_get(user=request.user, pk=account_pk)
    if not permissions.can_log_feedback(request.user, account):
        raise PermissionDenied("Only those working on the account, directors and integrations log NPS answers.")
    form = FeedbackForm(request.POST if request.method == "POST" else None, account=account)
    if form.is_bound and form.is_valid():
        version = ladder_context(request, account)["ladder_version"]
        try:
            answer = services.feedback_create(actor=request.user, account=account, values=form.service_values())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"NPS answer {answer.score} logged; the ladder is re-evaluated.")
            if request.htmx:
                context = {
                    **feedback_context(request, account, form=None),
                    **ladder_context(request, account, polling=ladder_polling(version)),
                    "ladder_oob": True,
                }
                return render(request, "relationships/partials/feedback_summary.html", context)
            return redirect(answer)
    if request.htmx:
        return render(request, "relationships/partials/feedback_summary.html", feedback_context(request, account, form))
    return render(request, "relationships/feedback_form.html", {"form": form, "account": account})


# --- account plans ----------------------------------------------------------------------------------------
# The account page shows the current plan (``account_plan_context``); the plan's own page lists its objectives,
# SWOT grid and actions, each a section with an inline "add" form that htmx swaps in place. Editing one part,
# deleting it, and creating or editing the plan itself are plain pages that work without JavaScript.

PLAN_EDITORS = "Only the account's owner, its team or a director change its plans."


def account_plan_context(request: HttpRequest, account: Account) -> dict[str, Any]:
    """The account page's "Account plan" section: the plan in force (or the nearest one), its objectives,
    SWOT grid and actions, and the account's other plans — four queries with a plan, one without."""
    today = timezone.localdate()
    plans = list(plan_selectors.account_plans(account=account))
    plan = plan_selectors.current_plan(plans, today=today)
    objectives = list(plan_selectors.plan_objectives(plan=plan, today=today)) if plan else []
    actions = list(plan_selectors.plan_action_items(plan=plan, today=today)) if plan else []
    return {
        "account_plan": plan,
        "account_plans": plans,
        "plan_objectives": objectives,
        "plan_swot": _swot_grid(plan_selectors.plan_swot(plan=plan)) if plan else [],
        "plan_actions": actions,
        "plan_progress": plan_selectors.plan_progress(objectives=objectives, actions=actions),
        "can_edit_plan": permissions.can_edit_plan(request.user, account),
    }


def _swot_grid(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    return [{"kind": SwotKind(kind), "items": items} for kind, items in grid.items()]


def _plan_of(request: HttpRequest, account_pk: int, pk: int, *, edit: bool = False) -> tuple[Account, AccountPlan]:
    """The visible account and its plan (else 404); with ``edit``, only for who may change it (else 403)."""
    account = selectors.account_get(user=request.user, pk=account_pk)
    plan = plan_selectors.account_plan_get(account=account, pk=pk)
    if edit and not permissions.can_edit_plan(request.user, account):
        raise PermissionDenied(PLAN_EDITORS)
    return account, plan


def _objectives_context(request: HttpRequest, plan: AccountPlan, form: PlanObjectiveForm | None) -> dict[str, Any]:
    objectives = list(plan_selectors.plan_objectives(plan=plan, today=timezone.localdate()))
    can_edit = permissions.can_edit_plan(request.user, plan.account)
    return {"objectives": objectives, "objective_form": (form or PlanObjectiveForm()) if can_edit else None}


def _swot_context(request: HttpRequest, plan: AccountPlan, form: SwotItemForm | None) -> dict[str, Any]:
    """The SWOT grid; an inline form per quadrant (each with ids of its own), the bound one where it was sent."""
    can_edit = permissions.can_edit_plan(request.user, plan.account)
    grid = _swot_grid(plan_selectors.plan_swot(plan=plan))
    for quadrant in grid:
        kind = quadrant["kind"]
        mine = form is not None and form.data.get("kind") == kind
        fresh = SwotItemForm(initial={"kind": kind}, auto_id=f"id_swot_{kind}_%s")
        quadrant["form"] = (form if mine else fresh) if can_edit else None
    stray = form if form is not None and form.data.get("kind") not in SwotKind.values else None
    return {"swot": grid, "swot_errors": stray}


def _actions_context(request: HttpRequest, plan: AccountPlan, form: ActionItemForm | None) -> dict[str, Any]:
    actions = list(plan_selectors.plan_action_items(plan=plan, today=timezone.localdate()))
    can_edit = permissions.can_edit_plan(request.user, plan.account)
    if can_edit and form is None:
        form = ActionItemForm(plan=plan, initial={"owner": request.user.pk})
    return {"actions": actions, "action_form": form if can_edit else None}


@dataclass(frozen=True)
class PlanPart:
    """How the plan's pages handle one kind of part: its form, selector, services and section."""

    label: str  # in headings and messages
    url_name: str  # relationships:<url_name>_create / _update / _delete
    section: str  # the partial htmx swaps
    anchor: str  # the section's id on the plan page
    form: Callable[..., Any]
    context: Callable[[HttpRequest, AccountPlan, Any], dict[str, Any]]
    get: Callable[..., Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]
    record_kwarg: str  # the services' keyword for the part
    fields_template: str


def _objective_form(*args: Any, plan: AccountPlan, **kwargs: Any) -> PlanObjectiveForm:
    return PlanObjectiveForm(*args, **kwargs)


def _swot_form(*args: Any, plan: AccountPlan, **kwargs: Any) -> SwotItemForm:
    return SwotItemForm(*args, **kwargs)


PLAN_PARTS: dict[str, PlanPart] = {
    "objective": PlanPart(
        label="Objective",
        url_name="plan_objective",
        section="relationships/partials/plan_objectives.html",
        anchor="plan-objectives",
        form=_objective_form,
        context=_objectives_context,
        get=plan_selectors.plan_objective_get,
        create=services.plan_objective_create,
        update=services.plan_objective_update,
        delete=services.plan_objective_delete,
        record_kwarg="objective",
        fields_template="relationships/partials/plan_objective_fields.html",
    ),
    "swot": PlanPart(
        label="SWOT item",
        url_name="swot_item",
        section="relationships/partials/plan_swot.html",
        anchor="plan-swot",
        form=_swot_form,
        context=_swot_context,
        get=plan_selectors.swot_item_get,
        create=services.swot_item_create,
        update=services.swot_item_update,
        delete=services.swot_item_delete,
        record_kwarg="item",
        fields_template="relationships/partials/plan_swot_fields.html",
    ),
    "action": PlanPart(
        label="Action",
        url_name="action_item",
        section="relationships/partials/plan_actions.html",
        anchor="plan-actions",
        form=ActionItemForm,
        context=_actions_context,
        get=plan_selectors.action_item_get,
        create=services.action_item_create,
        update=services.action_item_update,
        delete=services.action_item_delete,
        record_kwarg="action",
        fields_template="relationships/partials/plan_action_fields.html",
    ),
}


def _part(name: str) -> PlanPart:
    try:
        return PLAN_PARTS[name]
    except KeyError:
        raise Http404("No such part of a plan.") from None


def _section(request: HttpRequest, account: Account, plan: AccountPlan, part: PlanPart, form: Any) -> HttpResponse:
    """One section of the plan page for htmx to swap. Objectives changing also refresh the actions section
    out of band: its objective choices and the objectives it names."""
    context = {"account": account, "plan": plan, "today": timezone.localdate(), **part.context(request, plan, form)}
    if part is PLAN_PARTS["objective"]:
        context.update(_actions_context(request, plan, None), actions_oob=True)
    return render(request, part.section, context)


def _described(part: PlanPart, record: Any) -> str:
    text = str(record)
    return f"{part.label} “{text if len(text) <= 60 else text[:59] + '…'}”"


@login_required
@require_safe
def account_plan_detail(request: HttpRequest, account_pk: int, pk: int) -> HttpResponse:
    """A plan with its objectives, SWOT grid and actions; who may edit it adds and changes them in place."""
    account, plan = _plan_of(request, account_pk, pk)
    context = {
        "account": account,
        "plan": plan,
        "today": timezone.localdate(),
        "account_plans": plan_selectors.account_plans(account=account),
        "can_edit_plan": permissions.can_edit_plan(request.user, account),
        "can_delete_plan": permissions.can_delete_plan(request.user, account),
        **_objectives_context(request, plan, None),
        **_swot_context(request, plan, None),
        **_actions_context(request, plan, None),
    }
    context["plan_progress"] = plan_selectors.plan_progress(
        objectives=context["objectives"], actions=context["actions"]
    )
    return render(request, "relationships/account_plan_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def account_plan_create(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = selectors.account_get(user=request.user, pk=account_pk)
    if not permissions.can_edit_plan(request.user, account):
        raise PermissionDenied(PLAN_EDITORS)
    start, end = plan_selectors.plan_period_suggestion(
        plan_selectors.account_plans(account=account), today=timezone.localdate()
    )
    initial = {"title": f"Account plan {start.year}", "period_start": start, "period_end": end}
    form = AccountPlanForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            plan = services.account_plan_create(actor=request.user, account=account, values=form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Plan “{plan}” created. Add its objectives, SWOT and actions.")
            return redirect(plan)
    return render(request, "relationships/account_plan_form.html", {"form": form, "account": account, "plan": None})


@login_required
@require_http_methods(["GET", "POST"])
def account_plan_update(request: HttpRequest, account_pk: int, pk: int) -> HttpResponse:
    account, plan = _plan_of(request, account_pk, pk, edit=True)
    form = AccountPlanForm(request.POST if request.method == "POST" else None, instance=plan)
    if form.is_bound and form.is_valid():
        try:
            plan = services.account_plan_update(actor=request.user, plan=plan, values=form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
            plan.refresh_from_db()  # the service assigned the input before it refused it: show the stored plan
        else:
            messages.success(request, f"Plan “{plan}” saved.")
            return redirect(plan)
    return render(request, "relationships/account_plan_form.html", {"form": form, "account": account, "plan": plan})


@login_required
@require_http_methods(["GET", "POST"])
def account_plan_delete(request: HttpRequest, account_pk: int, pk: int) -> HttpResponse:
    account, plan = _plan_of(request, account_pk, pk)
    if not permissions.can_delete_plan(request.user, account):
        raise PermissionDenied("Only the account's owner or a director delete a plan; close it instead.")
    if request.method == "POST":
        services.account_plan_delete(actor=request.user, plan=plan)
        messages.success(request, f"Plan “{plan}” deleted.")
        return redirect(f"{account.get_absolute_url()}#plan")
    return render(request, "relationships/account_plan_confirm_delete.html", {"account": account, "plan": plan})


@login_required
@require_http_methods(["GET", "POST"])
def plan_part_create(request: HtmxHttpRequest, account_pk: int, plan_pk: int, part: str) -> HttpResponse:
    """Add an objective, SWOT item or action: inline on the plan page (htmx swaps the section), or as a page of
    its own without JavaScript."""
    kind = _part(part)
    account, plan = _plan_of(request, account_pk, plan_pk, edit=True)
    form = kind.form(request.POST if request.method == "POST" else None, plan=plan)
    if form.is_bound and form.is_valid():
        try:
            record = kind.create(actor=request.user, plan=plan, values=form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{_described(kind, record)} added.")
            if request.htmx:
                return _section(request, account, plan, kind, None)
            return redirect(record)
    if request.htmx:
        return _section(request, account, plan, kind, form)
    context = {"form": form, "account": account, "plan": plan, "part": kind, "record": None}
    return render(request, "relationships/plan_part_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan_part_update(request: HttpRequest, account_pk: int, plan_pk: int, pk: int, part: str) -> HttpResponse:
    kind = _part(part)
    account, plan = _plan_of(request, account_pk, plan_pk, edit=True)
    record = kind.get(plan=plan, pk=pk)
    form = kind.form(request.POST if request.method == "POST" else None, instance=record, plan=plan)
    if form.is_bound and form.is_valid():
        try:
            record = kind.update(actor=request.user, values=form.cleaned_data, **{kind.record_kwarg: record})
        except ValidationError as error:
            form.add_service_errors(error)
            record.refresh_from_db()
        else:
            messages.success(request, f"{_described(kind, record)} saved.")
            return redirect(record)
    context = {"form": form, "account": account, "plan": plan, "part": kind, "record": record}
    return render(request, "relationships/plan_part_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan_part_delete(request: HtmxHttpRequest, account_pk: int, plan_pk: int, pk: int, part: str) -> HttpResponse:
    kind = _part(part)
    account, plan = _plan_of(request, account_pk, plan_pk, edit=True)
    record = kind.get(plan=plan, pk=pk)
    if request.method == "POST":
        kind.delete(actor=request.user, **{kind.record_kwarg: record})
        messages.success(request, f"{_described(kind, record)} deleted.")
        if request.htmx:
            return _section(request, account, plan, kind, None)
        return redirect(f"{plan.get_absolute_url()}#{kind.anchor}")
    context = {"account": account, "plan": plan, "part": kind, "record": record}
    return render(request, "relationships/plan_part_confirm_delete.html", context)


@login_required
@require_POST
def action_item_done(request: HtmxHttpRequest, account_pk: int, plan_pk: int, pk: int) -> HttpResponse:
    """Tick an action off (the service records when)."""
    kind = PLAN_PARTS["action"]
    account, plan = _plan_of(request, account_pk, plan_pk, edit=True)
    action = plan_selectors.action_item_get(plan=plan, pk=pk)
    services.action_item_update(actor=request.user, action=action, values={"status": ActionStatus.DONE})
    messages.success(request, f"{_described(kind, action)} done.")
    if request.htmx:
        return _section(request, account, plan, kind, None)
    return redirect(action)
