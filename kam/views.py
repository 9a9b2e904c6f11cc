"""Project-level pages: the home page, the health check and the user's notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.http import require_POST, require_safe

from kam import selectors, services
from kam.filters import NotificationFilterSet

NOTIFICATIONS_PAGE_SIZE = 25


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # The KPI dashboard (issue 7) will live here; until then the portfolio is the start page.
    return redirect("accounts:account_list")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 in the caller's language: JSON under /api/ (as DRF answers), the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


@login_required
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, all or only the unread ones (``?unread=true``); the same
    filter as the API. A malformed filter is a 400 that says which."""
    filterset = NotificationFilterSet(request.GET, queryset=selectors.notification_list(user=request.user))
    page = None
    if filterset.is_valid():
        page = Paginator(filterset.qs, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": filterset.form,
        "page": page,
        "unread_only": request.GET.get("unread") == "true",
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1) if page else [],
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
