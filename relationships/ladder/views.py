"""The ladder pages: the panel on the account page (with override requests and a director's decisions), the
Ladder board and the director's queue of Partner proposals and override requests.

Account-scoped URLs fetch the account through ``accounts.selectors.account_get`` (404 for who may not see it);
deciding is for directors (403). htmx requests get the panel they swap; without JavaScript the same URLs
answer with a redirect to the account page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import permissions
from accounts import selectors as account_selectors
from accounts.choices import LadderStage
from accounts.forms import DecisionForm
from accounts.models import Account
from kam.constraints import errors_by_field
from kam.csv_export import Column, col, csv_export_requested, csv_page_response, label, user_name
from relationships import selectors, services
from relationships.ladder.forms import LadderOverrideForm
from relationships.models import LadderOverride, PartnerProposal

if TYPE_CHECKING:
    from accounts.views import HtmxHttpRequest

# After new evidence is logged in the page, the panel asks again every POLL_SECONDS until the evaluation (a
# Celery task) has moved the ladder, at most POLL_TRIES times.
POLL_SECONDS = 2
POLL_TRIES = 10


def ladder_context(
    request: HttpRequest, account: Account, *, form: LadderOverrideForm | None = None, polling: dict | None = None
) -> dict[str, Any]:
    """What the ladder panel needs (``relationships/partials/account_ladder.html``)."""
    user = request.user
    today = timezone.localdate()
    ladder = selectors.account_ladder(account=account, today=today)
    can_request = permissions.can_request_ladder_override(user, account)
    return {
        "account": account,
        "ladder": ladder,
        "can_decide_ladder": permissions.can_decide_ladder(user),
        "override_form": (form or LadderOverrideForm()) if can_request and not ladder["override_pending"] else None,
        "ladder_polling": polling,
        "ladder_version": _version(ladder),
        "ladder_next_label": None if ladder["view"].next_rung is None else LadderStage.labels[ladder["view"].next_rung],
        "decision_form": DecisionForm(),
    }


def _version(ladder: dict[str, Any]) -> str:
    """What changes when an evaluation moved something: the stage, the rule stage, the latest move."""
    state = ladder["state"]
    latest = ladder["transitions"][0].pk if ladder["transitions"] else 0
    return f"{ladder['stage']}-{state.rule_stage if state else ''}-{latest}"


def _panel(request: HttpRequest, account: Account, **kwargs: Any) -> HttpResponse:
    return render(request, "relationships/partials/account_ladder.html", ladder_context(request, account, **kwargs))


def ladder_polling(version: str) -> dict[str, Any]:
    """The panel asks again until the version moves (new evidence has just been logged)."""
    return {"version": version, "tries": POLL_TRIES, "seconds": POLL_SECONDS}


@login_required
@require_safe
def ladder_panel(request: HtmxHttpRequest, account_pk: int) -> HttpResponse:
    """The account's ladder panel. With ``version`` and ``tries`` (after new evidence), it keeps asking while
    the ladder is unchanged and tries remain."""
    account = account_selectors.account_get(user=request.user, pk=account_pk)
    if not request.htmx:
        return redirect(account.get_absolute_url() + "#ladder")
    version = request.GET.get("version")
    try:
        tries = max(0, min(POLL_TRIES, int(request.GET.get("tries", "0"))))
    except ValueError:
        tries = 0
    context = ladder_context(request, account)
    if version and context["ladder_version"] == version and tries > 1:
        context["ladder_polling"] = {"version": version, "tries": tries - 1, "seconds": POLL_SECONDS}
    return render(request, "relationships/partials/account_ladder.html", context)


@login_required
@require_http_methods(["POST"])
def ladder_override_create(request: HtmxHttpRequest, account_pk: int) -> HttpResponse:
    account = account_selectors.account_get(user=request.user, pk=account_pk)
    if not permissions.can_request_ladder_override(request.user, account):
        raise PermissionDenied("Only those working on the account and directors ask for an override.")
    form = LadderOverrideForm(request.POST)
    sent = False
    if form.is_valid():
        try:
            override = services.ladder_override_request(actor=request.user, account=account, **form.service_values())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            sent = True
            if override.status == "approved":
                until = f"{override.expires_on:%d %b %Y}"
                messages.success(request, f"Stage pinned at {override.get_stage_display()} until {until}.")
            else:
                messages.success(request, "Override requested: a director decides.")
    if request.htmx:
        return _panel(request, account, form=None if sent else form)
    if not sent:
        for field_messages in form.errors.values():
            for message in field_messages:
                messages.error(request, str(message))
    return redirect(account.get_absolute_url() + "#ladder")


def _decide(request: HttpRequest, decide: Any, subject: Any, done: str) -> None:
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        decide(actor=request.user, note=note, **subject)
    except ValidationError as error:
        for field_messages in errors_by_field(error).values():
            for message in field_messages:
                messages.error(request, message)
    else:
        messages.success(request, done)


def _after_decision(request: HtmxHttpRequest, account: Account) -> HttpResponse:
    if request.POST.get("next") == "queue":
        return redirect("ladder:queue")
    if request.htmx:
        return _panel(request, account)
    return redirect(account.get_absolute_url() + "#ladder")


DECISIONS = {
    "approve": (services.ladder_override_approve, "Override approved: the stage is pinned."),
    "reject": (services.ladder_override_reject, "Override rejected."),
    "revoke": (services.ladder_override_revoke, "Override ended: the rules decide again."),
}


@login_required
@require_POST
def ladder_override_decide(request: HtmxHttpRequest, account_pk: int, pk: int, decision: str) -> HttpResponse:
    """Approve, reject or revoke an override (the service decides who may: a director; its requester may
    withdraw a waiting request)."""
    account = account_selectors.account_get(user=request.user, pk=account_pk)
    override = get_object_or_404(LadderOverride, pk=pk, account=account)
    if decision not in DECISIONS:
        raise PermissionDenied("Unknown decision.")
    decide, done = DECISIONS[decision]
    _decide(request, decide, {"override": override}, done)
    return _after_decision(request, account)


@login_required
@require_POST
def partner_proposal_decide(request: HtmxHttpRequest, account_pk: int, pk: int, decision: str) -> HttpResponse:
    account = account_selectors.account_get(user=request.user, pk=account_pk)
    proposal = get_object_or_404(PartnerProposal, pk=pk, account=account)
    if not permissions.can_decide_ladder(request.user):
        raise PermissionDenied("Only a KAM director decides a Partner proposal.")
    if decision == "approve":
        _decide(request, services.partner_proposal_approve, {"proposal": proposal}, f"{account} is now a Partner.")
    elif decision == "reject":
        _decide(request, services.partner_proposal_reject, {"proposal": proposal}, "Partner proposal rejected.")
    else:
        raise PermissionDenied("Unknown decision.")
    return _after_decision(request, account)


@login_required
@require_safe
def ladder_board(request: HttpRequest) -> HttpResponse:
    """Accounts per stage, the funnel and the moves of the last 90 days, over the accounts the user sees."""
    board = selectors.ladder_board(user=request.user, today=timezone.localdate())
    return render(request, "relationships/ladder_board.html", {"board": board, "section": "ladder_board"})


# The queue's two lists in one download, a row per request, oldest first within each.
LADDER_QUEUE_COLUMNS = [
    Column("Request", lambda item: "Partner proposal" if isinstance(item, PartnerProposal) else "Stage override"),
    col("ID", "pk"),
    col("Requested", "created_at"),
    col("Account ID", "account_id"),
    col("Account", "account.name"),
    Column("Current stage", label(LadderStage, "account.ladder_state.stage")),
    Column("Rule stage", label(LadderStage, "account.ladder_state.rule_stage")),
    Column(
        "Stage asked for",
        lambda item: LadderStage.PARTNER.label if isinstance(item, PartnerProposal) else LadderStage(item.stage).label,
    ),
    Column("Requested by", lambda item: user_name("requested_by")(item) if isinstance(item, LadderOverride) else None),
    Column("Reason", lambda item: item.reason if isinstance(item, LadderOverride) else None),
    Column("Expires on", lambda item: item.expires_on if isinstance(item, LadderOverride) else None),
]


@login_required
@require_safe
def ladder_queue(request: HttpRequest) -> HttpResponseBase:
    """A director's queue: open Partner proposals and override requests."""
    if not permissions.can_decide_ladder(request.user):
        raise PermissionDenied("The approval queue is for KAM directors.")
    queue = selectors.ladder_queue(user=request.user)
    if csv_export_requested(request):
        rows = [*queue["proposals"], *queue["override_requests"]]
        return csv_page_response(rows=rows, columns=LADDER_QUEUE_COLUMNS, resource="ladder-queue")
    return render(
        request,
        "relationships/ladder_queue.html",
        {"queue": queue, "decision_form": DecisionForm(), "section": "ladder_queue"},
    )
