"""Project-level pages: the home page (the KPI dashboard), the health check and the user's notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.http import require_POST, require_safe

from benefits.selectors import ROI_METHOD
from kam import dashboard, reports, selectors, services
from kam.csv_export import col, csv_export_requested, csv_page_response
from kam.filters import NotificationFilterSet
from kam.forms import DashboardFilterForm
from kam.health import healthz_response
from kam.queue import QueueUnavailable, enqueue_on_commit
from kam.roles import is_director

NOTIFICATIONS_PAGE_SIZE = 25


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The KPI dashboard over the accounts the user sees, filtered; ``?export=<table>`` downloads one of its tables
    as CSV. A filter or export that is not offered is a 400 with the form's error on that field."""
    form = DashboardFilterForm(request.GET, user=request.user)
    valid = form.is_valid()
    filters = form.filters()
    export = form.cleaned_data.get("export") if valid else ""
    # The at-risk export has every at-risk account; the page the first few.
    limit = None if export == "at_risk" else dashboard.AT_RISK_SHOWN
    board = dashboard.dashboard(user=request.user, filters=filters, today=timezone.localdate(), at_risk_limit=limit)
    if export:
        table = reports.tables(board).get(export)
        if table is not None:
            response = HttpResponse(table.csv(), content_type="text/csv; charset=utf-8")
            as_of = board.run.as_of if board.run else board.today
            name = f"kam-{export.replace('_', '-')}-{as_of:%Y-%m-%d}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        form.add_error("export", "There is no such table for these filters yet (no scoring run).")
        valid = False
    tables = reports.tables(board)
    query = request.GET.copy()
    query.pop("export", None)
    context = {
        "form": form,
        "board": board,
        "tables": tables,
        "charts": {f"chart-{name}": data for name, data in reports.charts(board, tables).items()},
        "query": query.urlencode(),
        "filtered": any(request.GET.get(name) for name in ("kind", "industry", "owner")),
        "at_risk_shown": dashboard.AT_RISK_SHOWN,
        "kas_drop": dashboard.kas_drop_threshold(),
        "roi_note": "Cost: the costs recorded since the period's first day, else the committed cost prorated to the "
        f"grant's days since then, to today. Return, to date: {ROI_METHOD}",
    }
    return render(request, "kam/dashboard.html", context, status=200 if valid else 400)


@login_required
@require_POST
def dashboard_refresh(request: HttpRequest) -> HttpResponse:
    """A director asks for the dashboard's summary to be rebuilt now (the workers do it after every scoring run and
    every daily check); a worker does it."""
    if not is_director(request.user):
        raise PermissionDenied("Only a KAM director refreshes the dashboard.")
    from kam.tasks import dashboard_refresh_task

    try:
        enqueue_on_commit(dashboard_refresh_task)
    except QueueUnavailable as unavailable:
        messages.error(request, f"The figures were not refreshed. {unavailable}")
    else:
        messages.success(request, "The dashboard's figures are being refreshed: reload the page in a few seconds.")
    return redirect("home")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and compose: the database answers (``kam.health`` answers it first)."""
    return healthz_response()


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 in the caller's language: JSON under /api/ (as DRF answers), the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


NOTIFICATION_COLUMNS = [
    col("ID", "pk"),
    col("Created", "created_at"),
    col("Kind", "kind"),
    col("Title", "title"),
    col("Account ID", "account_id"),
    col("Account", "account.name"),
    col("Body", "body"),
    col("Link", "url"),
    col("Read", "read_at"),
]


@login_required
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, all or only the unread ones (``?unread=true``); the same
    filter as the API. A malformed filter is a 400 that says which."""
    filterset = NotificationFilterSet(request.GET, queryset=selectors.notification_list(user=request.user))
    page = None
    if filterset.is_valid():
        if csv_export_requested(request):
            return csv_page_response(rows=filterset.qs, columns=NOTIFICATION_COLUMNS, resource="notifications")
        page = Paginator(filterset.qs, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": filterset.form,
        "page": page,
        "unread_only": request.GET.get("unread") == "true",
    }
    return render(request, "kam/notification_list.html", context, status=200 if page is not None else 400)


def _back_to_list(request: HttpRequest) -> str:
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return reverse("notification_list")


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's notifications read; with ``open`` go on to where it points. Anyone else's is a
    404."""
    notification = selectors.notification_get(user=request.user, pk=pk)
    services.notification_mark_read(user=request.user, notification=notification)
    if request.POST.get("open") and notification.url:
        return redirect(notification.url)
    return redirect(_back_to_list(request))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    marked = services.notifications_mark_all_read(user=request.user)
    if marked:
        messages.success(request, f"{marked} notification{'s' if marked != 1 else ''} marked read.")
    return redirect(_back_to_list(request))
