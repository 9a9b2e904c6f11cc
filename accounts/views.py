"""Account pages: the portfolio, the account page, account and contact forms.

Each view parses the request, fetches through a selector (which scopes to what the user may see, so anything
else is a 404), calls one service and renders. htmx requests get the partial they swap; the same URLs work
as plain GET/POST without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.middleware import HtmxDetails

from accounts import permissions, selectors, services
from accounts.choices import INDUSTRY_SUGGESTIONS, KeyStatus, LadderStage, ScoringRunStatus
from accounts.filters import AccountFilterSet, ScoringRunFilterSet
from accounts.forms import AccountForm, ContactForm, ScoringPolicyForm, ScoringRunForm, portfolio_filter_form
from accounts.models import Account, Contact, ScoringPolicy
from accounts.scoring import policy as scoring_policy
from accounts.scoring import runs as scoring_runs
from accounts.scoring import selectors as scoring_selectors
from accounts.scoring.advice import key_advice
from accounts.scoring.schedule import scoring_nightly_next
from audit.selectors import account_history
from benefits.views import benefits_context
from kam.csv_export import Column, col, csv_export_requested, csv_page_response, label, user_name
from kam.queue import QueueUnavailable
from relationships.ladder.views import ladder_context
from relationships.selectors import account_stakeholder_map
from relationships.views import account_plan_context, advocacy_context, feedback_context, interactions_context

PORTFOLIO_PAGE_SIZE = 25
SCORING_RUNS_PAGE_SIZE = 25
# How often a page showing a queued or running scoring run asks for its progress.
PROGRESS_POLL_SECONDS = 2
UNFINISHED_RUN = (ScoringRunStatus.QUEUED, ScoringRunStatus.RUNNING)
# How many runs the account page's KAS trend goes back.
SCORE_TREND_RUNS = 12
# Query parameters that only arrange the portfolio; any other non-empty one narrows it.
ARRANGING_PARAMETERS = frozenset({"ordering", "page"})


# The portfolio's CSV: the columns of its table, as values.
ACCOUNT_COLUMNS = [
    col("ID", "pk"),
    col("Name", "name"),
    col("External ID", "external_id"),
    col("Kind", "get_kind_display"),
    col("Industry", "industry"),
    col("Country", "country"),
    Column("Owner", user_name("owner")),
    Column("Stage", label(LadderStage, "stage")),
    Column("Key status", label(KeyStatus, "key_status")),
    col("KAS", "kas"),
    col("KAS of the run before", "kas_previous"),
    col("Revenue 12 months", "revenue_12m"),
    col("Contacts", "contact_count"),
    col("Last contact", "last_contact_at"),
    col("Contact overdue since", "contact_overdue_since"),
    col("Active", "is_active"),
    col("Updated", "updated_at"),
]
SCORING_RUN_COLUMNS = [
    col("ID", "pk"),
    col("As of", "as_of"),
    col("Status", "get_status_display"),
    col("Policy", "policy.version"),
    col("Accounts scored", "accounts_scored"),
    col("Status changes", "status_changes"),
    col("Requested by", "requested_by.username"),
    col("Requested", "created_at"),
    col("Started", "started_at"),
    col("Finished", "finished_at"),
    col("Error", "error"),
]


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (for the type checker)."""

    htmx: HtmxDetails


def _wants_partial(request: HtmxHttpRequest) -> bool:
    # A history restore after a cache miss needs the whole page, not the fragment.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _render_varying(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render a page whose body depends on HX-Request, so caches never serve the fragment as the page."""
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_safe
def account_list(request: HtmxHttpRequest) -> HttpResponse:
    filterset = AccountFilterSet(request.GET, queryset=selectors.account_list(user=request.user))
    portfolio_filter_form(filterset.form)
    page = None
    if filterset.is_valid():
        if csv_export_requested(request):
            return csv_page_response(rows=filterset.qs, columns=ACCOUNT_COLUMNS, resource="accounts")
        page = Paginator(filterset.qs, PORTFOLIO_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": filterset.form,
        "page": page,
        "ordering": request.GET.get("ordering", ""),
        "is_filtered": any(value for key, value in request.GET.items() if key not in ARRANGING_PARAMETERS),
        "industry_suggestions": INDUSTRY_SUGGESTIONS,
    }
    template = "accounts/partials/account_table.html" if _wants_partial(request) else "accounts/account_list.html"
    return _render_varying(request, template, context)


def _contacts_context(request: HttpRequest, account: Account, contact_form: ContactForm | None) -> dict[str, Any]:
    can_edit_contacts = permissions.can_edit_contacts(request.user, account)
    return {
        "account": account,
        "contacts": selectors.account_contacts(account=account),
        "can_edit_contacts": can_edit_contacts,
        "contact_form": (contact_form or ContactForm()) if can_edit_contacts else None,
    }


def _score_context(account: Account) -> dict[str, Any]:
    """The score panel: the latest score explained, what would make the account key, and its KAS over the
    last runs (one query for all of them); when it has none, when the nightly run will score it."""
    trend = list(scoring_selectors.account_scores(account=account)[:SCORE_TREND_RUNS])
    if not trend:
        return {"score": None, "score_trend": [], "nightly_next": scoring_nightly_next(now=timezone.now())}
    explanation = scoring_selectors.score_explanation(score=trend[0])
    return {
        "score": trend[0],
        "score_trend": trend,
        "explanation": explanation,
        "key_advice": key_advice(explanation) if explanation else [],
    }


@login_required
@require_safe
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The account's 360° page. Every section is read by a selector scoped to this account, so the number of
    queries does not depend on how many orders, invoices, interactions, contacts or events it has."""
    account = selectors.account_get(user=request.user, pk=pk)
    today = timezone.localdate()
    context = {
        **_contacts_context(request, account, contact_form=None),
        **interactions_context(request, account, form=None),
        **advocacy_context(request, account, form=None),
        **account_plan_context(request, account),
        "team": selectors.account_team(account=account),
        "can_edit": permissions.can_edit_account(request.user, account),
        "today": today,
        "order_summary": selectors.account_order_summary(account=account, today=today),
        "invoice_summary": selectors.account_invoice_summary(account=account, today=today),
        "latest_orders": selectors.account_latest_orders(account=account),
        "latest_invoices": selectors.account_latest_invoices(account=account),
        **feedback_context(request, account, form=None),
        "contracts": selectors.account_contracts(account=account, today=today),
        "stakeholder_map": account_stakeholder_map(account=account, today=today),
        **_score_context(account),
        **ladder_context(request, account),
        **benefits_context(request, account),
        "history": account_history(account=account),
    }
    return render(request, "accounts/account_detail.html", context)


def _account_form_page(request: HttpRequest, form: AccountForm, account: Account | None) -> HttpResponse:
    context = {"form": form, "account": account, "industry_suggestions": INDUSTRY_SUGGESTIONS}
    return render(request, "accounts/account_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    # Not about any one account, so a refusal is a plain 403 (there is nothing to hide).
    if not permissions.can_create_account(request.user):
        raise PermissionDenied("Only a KAM director or an integration can create accounts.")
    staffing = permissions.can_assign_owner(request.user)  # integrations create accounts unassigned
    form = AccountForm(
        request.POST if request.method == "POST" else None, can_assign_owner=staffing, can_manage_team=staffing
    )
    if form.is_bound and form.is_valid():
        try:
            account = services.account_create(
                actor=request.user, values=form.service_values(), team=form.service_team()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Account “{account}” created.")
            return redirect(account)
    return _account_form_page(request, form, account=None)


@login_required
@require_http_methods(["GET", "POST"])
def account_update(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_get(user=request.user, pk=pk)
    if not permissions.can_edit_account(request.user, account):
        raise PermissionDenied("Only the account's owner or a KAM director can change it.")
    form = AccountForm(
        request.POST if request.method == "POST" else None,
        instance=account,
        can_assign_owner=permissions.can_assign_owner(request.user),
        can_manage_team=permissions.can_manage_team(request.user, account),
    )
    if form.is_bound and form.is_valid():
        try:
            account = services.account_update(
                actor=request.user, account=account, values=form.service_values(), team=form.service_team()
            )
        except ValidationError as error:
            form.add_service_errors(error)
            # The service may have assigned the input before it refused it; show the stored account.
            account.refresh_from_db()
        else:
            messages.success(request, f"Account “{account}” saved.")
            return redirect(account)
    return _account_form_page(request, form, account=account)


def _account_for_contacts(request: HttpRequest, pk: int) -> Account:
    """The visible account (else 404) whose contacts the user may change (else 403)."""
    account = selectors.account_get(user=request.user, pk=pk)
    if not permissions.can_edit_contacts(request.user, account):
        raise PermissionDenied("You cannot change this account's contacts.")
    return account


def _contacts_section(request: HttpRequest, account: Account, contact_form: ContactForm | None) -> HttpResponse:
    """The account page's contacts section, for htmx to swap in place (messages ride along out of band)."""
    return render(request, "accounts/partials/account_contacts.html", _contacts_context(request, account, contact_form))


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    account = _account_for_contacts(request, pk)
    form = ContactForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            contact = services.contact_create(actor=request.user, account=account, values=form.service_values())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Contact “{contact.name}” added.")
            if request.htmx:
                return _contacts_section(request, account, contact_form=None)
            return redirect(contact)
    if request.htmx:
        return _contacts_section(request, account, contact_form=form)
    return render(request, "accounts/contact_form.html", {"form": form, "account": account, "contact": None})


def _contact_of(request: HttpRequest, pk: int, contact_pk: int) -> tuple[Account, Contact]:
    account = _account_for_contacts(request, pk)
    return account, selectors.account_contact_get(account=account, pk=contact_pk)


@login_required
@require_http_methods(["GET", "POST"])
def contact_update(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    account, contact = _contact_of(request, pk, contact_pk)
    form = ContactForm(request.POST if request.method == "POST" else None, instance=contact)
    if form.is_bound and form.is_valid():
        try:
            contact = services.contact_update(actor=request.user, contact=contact, values=form.service_values())
        except ValidationError as error:
            form.add_service_errors(error)
            contact.refresh_from_db()
        else:
            messages.success(request, f"Contact “{contact.name}” saved.")
            return redirect(contact)
    return render(request, "accounts/contact_form.html", {"form": form, "account": account, "contact": contact})


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request: HtmxHttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    account, contact = _contact_of(request, pk, contact_pk)
    if request.method == "POST":
        services.contact_delete(actor=request.user, contact=contact)
        messages.success(request, f"Contact “{contact.name}” deleted.")
        if request.htmx:
            return _contacts_section(request, account, contact_form=None)
        return redirect(f"{account.get_absolute_url()}#contacts")
    return render(request, "accounts/contact_confirm_delete.html", {"account": account, "contact": contact})


def _may_view_scoring_runs(request: HttpRequest) -> None:
    # Not about any one account, so a refusal is a plain 403 (there is nothing to hide).
    if not permissions.can_view_scoring_runs(request.user):
        raise PermissionDenied("Only a KAM director can see and start scoring runs.")


@login_required
@require_http_methods(["GET", "POST"])
def scoring_run_list(request: HtmxHttpRequest) -> HttpResponse:
    """The scoring runs with their tallies, and a form to queue one (as of today or a past day). While a run on
    the page is queued or running, the table refreshes itself (htmx) until it is finished."""
    _may_view_scoring_runs(request)
    if request.method == "POST" and not permissions.can_request_scoring_run(request.user):
        raise PermissionDenied("Only a KAM director can start a scoring run.")
    form = ScoringRunForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and form.is_valid():
        try:
            run = scoring_runs.scoring_run_request(as_of=form.cleaned_data["as_of"], requested_by=request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        except QueueUnavailable as unavailable:
            form.add_error(None, str(unavailable))
            status = 503
        else:
            messages.success(request, f"Scoring run as of {run.as_of:%-d %b %Y} queued.")
            return redirect("accounts:scoring_run_detail", pk=run.pk)
    filterset = ScoringRunFilterSet(request.GET, queryset=scoring_selectors.scoring_runs())
    if not filterset.is_valid():
        status = 400
    runs = filterset.qs if filterset.is_valid() else scoring_selectors.scoring_runs()
    if csv_export_requested(request) and status == 200:
        return csv_page_response(rows=runs, columns=SCORING_RUN_COLUMNS, resource="scoring-runs")
    page = Paginator(runs, SCORING_RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filter_errors": filterset.errors,
        "page": page,
        "ordering": request.GET.get("ordering", "") if status != 400 else "",
        "polling": any(run.status in UNFINISHED_RUN for run in page.object_list),
        "poll_seconds": PROGRESS_POLL_SECONDS,
    }
    template = "accounts/partials/scoringrun_table.html" if _wants_partial(request) else "accounts/scoringrun_list.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _scoring_run_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    _may_view_scoring_runs(request)
    run = scoring_selectors.scoring_run_get(user=request.user, pk=pk)
    return {
        "run": run,
        "progress": scoring_selectors.scoring_run_progress(run=run),
        "run_tallies": scoring_selectors.scoring_run_tallies(run=run),
        "poll_seconds": PROGRESS_POLL_SECONDS,
    }


@login_required
@require_safe
def scoring_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One run: when and by whom it was asked for, its progress while it runs, and what it found."""
    return render(request, "accounts/scoringrun_detail.html", _scoring_run_context(request, pk))


@login_required
@require_safe
def scoring_run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's status panel, which polls itself (htmx) while the run is queued or running."""
    return render(request, "accounts/partials/scoringrun_status.html", _scoring_run_context(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def scoring_policy_edit(request: HttpRequest) -> HttpResponse:
    """Weights and thresholds: the active version, a form for a new one with a preview of which accounts would
    change key status (over the latest run, nothing saved), then save (and activate) it. Old versions stay."""
    if not permissions.can_edit_scoring_policy(request.user):
        raise PermissionDenied("Only a KAM director can change the scoring policy.")
    versions = list(scoring_selectors.scoring_policies())
    active = next((version for version in versions if version.is_active), None)
    preview = None
    if request.method == "POST":
        form = ScoringPolicyForm(request.POST)
        if form.is_valid():
            values = form.policy_values()
            try:
                candidate = scoring_policy.scoring_policy_candidate(values=values)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                if request.POST.get("action") == "save":
                    try:
                        saved = scoring_policy.scoring_policy_create(
                            actor=request.user, values=values, activate=form.cleaned_data["activate"]
                        )
                    except ValidationError as error:
                        form.add_service_errors(error)
                    else:
                        state = "saved and active" if saved.is_active else "saved (not active)"
                        messages.success(request, f"Scoring policy {saved.version} {state}.")
                        return redirect("accounts:scoring_policy_edit")
                else:
                    preview = scoring_policy.scoring_policy_preview(policy=candidate)
    else:
        initial = {name: getattr(active, name) for name in ScoringPolicyForm.Meta.fields} if active else {}
        initial["version"] = ""
        form = ScoringPolicyForm(initial=initial)
    return render(
        request,
        "accounts/scoringpolicy_form.html",
        {"form": form, "active": active, "versions": versions, "preview": preview},
    )


@login_required
@require_http_methods(["POST"])
def scoring_policy_activate(request: HttpRequest, pk: int) -> HttpResponse:
    """Make an earlier version the active one again."""
    if not permissions.can_edit_scoring_policy(request.user):
        raise PermissionDenied("Only a KAM director can change the scoring policy.")
    policy = get_object_or_404(ScoringPolicy, pk=pk)
    scoring_policy.scoring_policy_activate(actor=request.user, policy=policy)
    messages.success(request, f"Scoring policy {policy.version} is now active; the next run uses it.")
    return redirect("accounts:scoring_policy_edit")
