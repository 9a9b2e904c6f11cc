"""The API router: every app's viewsets under /api/v1/ (router names ``api:<basename>-list``)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api.bulk import InvoiceBulkUpsertView, OrderBulkUpsertView
from accounts.api.imports import ImportJobViewSet
from accounts.api.scoring import AccountScoreHistoryView, AccountScoreView, ScoringRunViewSet
from accounts.api.views import AccountViewSet, ContactViewSet, InvoiceViewSet, OrderViewSet
from benefits.api.views import BenefitBudgetViewSet, BenefitCostViewSet, BenefitGrantViewSet, BenefitTypeViewSet
from kam.api.api_tokens import ApiTokenViewSet
from kam.api.notifications import NotificationViewSet
from kam.api.webhooks import WebhookDeliveryViewSet, WebhookSubscriptionViewSet
from relationships.api.ladder import (
    AccountLadderOverrideView,
    AccountLadderView,
    LadderOverrideViewSet,
    PartnerProposalViewSet,
)
from relationships.api.views import (
    AccountPlanViewSet,
    ActionItemViewSet,
    AdvocacyEventViewSet,
    ContractViewSet,
    FeedbackViewSet,
    InteractionViewSet,
    PlanObjectiveViewSet,
    SwotItemViewSet,
)

app_name = "api"


class KamRouter(DefaultRouter):
    include_format_suffixes = False  # JSON only: no `.json` suffix URLs


router = KamRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
# Evidence viewsets (issue 3) are registered below this line.
router.register("orders", OrderViewSet, basename="order")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("feedback", FeedbackViewSet, basename="feedback")
router.register("advocacy-events", AdvocacyEventViewSet, basename="advocacy-event")
router.register("contracts", ContractViewSet, basename="contract")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("scoring-runs", ScoringRunViewSet, basename="scoringrun")
router.register("ladder-overrides", LadderOverrideViewSet, basename="ladder-override")
router.register("partner-proposals", PartnerProposalViewSet, basename="partner-proposal")
router.register("account-plans", AccountPlanViewSet, basename="account-plan")
router.register("plan-objectives", PlanObjectiveViewSet, basename="plan-objective")
router.register("swot-items", SwotItemViewSet, basename="swot-item")
router.register("action-items", ActionItemViewSet, basename="action-item")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("api-tokens", ApiTokenViewSet, basename="api-token")
router.register("benefit-types", BenefitTypeViewSet, basename="benefit-type")
router.register("grants", BenefitGrantViewSet, basename="grant")
router.register("benefit-budgets", BenefitBudgetViewSet, basename="benefit-budget")
router.register("benefit-costs", BenefitCostViewSet, basename="benefit-cost")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("imports", ImportJobViewSet, basename="import")

# Explicit paths first: `orders/bulk/` must not be read as the order with pk "bulk".
explicit_patterns: list = [
    path("orders/bulk/", OrderBulkUpsertView.as_view(), name="order-bulk"),
    path("invoices/bulk/", InvoiceBulkUpsertView.as_view(), name="invoice-bulk"),
    path("accounts/<int:pk>/score/", AccountScoreView.as_view(), name="account-score"),
    path("accounts/<int:pk>/scores/", AccountScoreHistoryView.as_view(), name="account-scores"),
    path("accounts/<int:pk>/ladder/", AccountLadderView.as_view(), name="account-ladder"),
    path("accounts/<int:pk>/ladder/override/", AccountLadderOverrideView.as_view(), name="account-ladder-override"),
]

urlpatterns = [*explicit_patterns, *router.urls]
