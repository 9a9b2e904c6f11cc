"""The webhooks pages (directors): subscriptions with their delivery counts, a form to subscribe (the secret is
shown once, in the answer to it), and a subscription's page with its recent deliveries, each attempt's response
code and a Replay button; pause, resume, rotate the secret, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kam import webhooks
from kam.csv_export import Column, col, csv_export_requested, csv_page_response
from kam.forms import WebhookSubscriptionForm
from kam.models import DeliveryStatus
from kam.queue import QueueUnavailable
from kam.roles import is_director

DELIVERIES_PAGE_SIZE = 25
# Never the secret.
SUBSCRIPTION_COLUMNS = [
    col("ID", "pk"),
    col("Name", "name"),
    col("URL", "url"),
    Column("Events", lambda subscription: " ".join(subscription.events)),
    col("Active", "is_active"),
    col("Delivered", "delivered"),
    col("Retrying or failed", "failing"),
    col("Created", "created_at"),
]
DELIVERY_COLUMNS = [
    col("ID", "pk"),
    col("Created", "created_at"),
    col("Event", "event.event"),
    col("Event ID", "event.uid"),
    col("Status", "get_status_display"),
    col("Attempts", "attempts"),
    col("Last HTTP status", "last_status_code"),
    col("Last error", "last_error"),
    col("Next attempt", "next_attempt_at"),
    col("Delivered", "delivered_at"),
]


def _director(request: HttpRequest) -> None:
    if not is_director(request.user):
        raise PermissionDenied("Only a KAM director manages webhooks.")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    _director(request)
    form = WebhookSubscriptionForm(request.POST or None, initial={"is_active": True})
    secret = created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created, secret = webhooks.webhook_subscription_create(actor=request.user, values=form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
        if created is None:
            status = 400
        else:
            form = WebhookSubscriptionForm(initial={"is_active": True})
    subscriptions = webhooks.subscriptions_visible_to(request.user).annotate(
        delivered=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.SUCCEEDED)),
        failing=Count("deliveries", filter=Q(deliveries__status__in=[DeliveryStatus.RETRYING, DeliveryStatus.FAILED])),
    )
    if csv_export_requested(request):
        return csv_page_response(rows=subscriptions, columns=SUBSCRIPTION_COLUMNS, resource="webhooks")
    context = {"form": form, "subscriptions": subscriptions, "created": created, "secret": secret}
    return render(request, "kam/webhook_list.html", context, status=status)


# A subscription or delivery the user may not see is a 404 (``kam.webhooks`` selectors), as in the API.


@login_required
@require_safe
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = webhooks.subscription_get(user=request.user, pk=pk)
    deliveries = webhooks.delivery_list(user=request.user, subscription=subscription).prefetch_related("attempt_log")
    if csv_export_requested(request):
        return csv_page_response(rows=deliveries, columns=DELIVERY_COLUMNS, resource=f"webhook-{pk}-deliveries")
    page = Paginator(deliveries, DELIVERIES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "kam/webhook_detail.html", {"subscription": subscription, "page": page})


@login_required
@require_POST
def webhook_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Pause, resume, rotate the secret or delete a subscription."""
    subscription = webhooks.subscription_get(user=request.user, pk=pk)
    if action in ("pause", "resume"):
        webhooks.webhook_subscription_update(subscription=subscription, values={"is_active": action == "resume"})
        messages.success(request, f"{subscription.name} {'resumed' if action == 'resume' else 'paused'}.")
    elif action == "rotate":
        secret = webhooks.webhook_secret_rotate(subscription=subscription)
        messages.warning(request, f"New secret of {subscription.name} (shown once, keep it): {secret}")
    elif action == "delete":
        webhooks.webhook_subscription_delete(subscription=subscription)
        messages.success(request, f"{subscription.name} deleted with its delivery log.")
        return redirect("webhooks:list")
    else:
        raise Http404("No such action.")
    return redirect("webhooks:detail", pk=subscription.pk)


@login_required
@require_POST
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = webhooks.delivery_get(user=request.user, pk=pk)
    try:
        webhooks.webhook_replay(delivery=delivery)
    except QueueUnavailable as unavailable:
        messages.error(request, f"Delivery {delivery.pk} was not sent again. {unavailable}")
    else:
        messages.success(request, f"Delivery {delivery.pk} is being sent again; reload to see the attempt.")
    return redirect("webhooks:detail", pk=delivery.subscription_id)
