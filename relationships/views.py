"""The relationship sections of the account page: the interaction timeline with its inline "log interaction"
form, and the advocacy events with "log" and "verify".

Like the account views: the account comes through ``accounts.selectors.account_get`` (anyone who may not see
it gets a 404, on every URL), one service writes, and htmx requests get the section they swap. Without
JavaScript the same URLs answer a plain POST with a redirect, or with a full-page form showing the errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_http_methods, require_POST

from accounts import permissions, selectors
from accounts.models import Account
from kam.constraints import errors_by_field
from relationships import services
from relationships.forms import AdvocacyEventForm, FeedbackForm, InteractionForm
from relationships.ladder.views import ladder_context, ladder_polling

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


def _interactions_section(request: HttpRequest, account: Account, form: InteractionForm | None) -> HttpResponse:
    return render(
        request, "relationships/partials/interaction_timeline.html", interactions_context(request, account, form)
    )


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
                return _interactions_section(request, account, form=None)
            return redirect(interaction)
    if request.htmx:
        return _interactions_section(request, account, form=form)
    return render(request, "relationships/interaction_form.html", {"form": form, "account": account})


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
