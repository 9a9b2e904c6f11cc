"""The API router: every app's viewsets under /api/v1/ (router names ``api:<basename>-list``)."""

from rest_framework.routers import DefaultRouter

from accounts.api.views import AccountViewSet, ContactViewSet

app_name = "api"


class KamRouter(DefaultRouter):
    include_format_suffixes = False  # JSON only: no `.json` suffix URLs


router = KamRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
# Evidence viewsets (issue 3) are registered below this line.

# Explicit paths first: `orders/bulk/` must not be read as the order with pk "bulk".
explicit_patterns: list = [
    # Bulk upsert paths (issue 3) go here.
]

urlpatterns = [*explicit_patterns, *router.urls]
