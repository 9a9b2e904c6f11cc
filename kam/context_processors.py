"""Template context every page needs: the user's roles for the navigation, which navbar entry the page belongs
to, the currency, and how many unread notifications the navbar's badge shows."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from kam.roles import is_director, is_integration
from kam.selectors import notification_unread_count

# The navbar entry a page belongs to, by its URL's namespace and name; (namespace, None) covers the rest of a
# namespace. Pages nested under an account (its contacts, plans, ladder and benefits actions) are the portfolio's.
NAV_SECTIONS: dict[tuple[str, str | None], str] = {
    ("", "home"): "dashboard",
    ("", "notification_list"): "notifications",
    ("", "tokens"): "tokens",
    ("accounts", "account_create"): "new_account",
    ("accounts", "scoring_run_list"): "scoring_runs",
    ("accounts", "scoring_run_detail"): "scoring_runs",
    ("accounts", "scoring_policy_edit"): "scoring_policy",
    ("accounts", None): "portfolio",
    ("relationships", None): "portfolio",
    ("ladder", "board"): "ladder",
    ("ladder", "queue"): "ladder_queue",
    ("ladder", None): "portfolio",
    ("benefits", "account_benefits"): "portfolio",
    ("benefits", None): "benefits",
    ("webhooks", None): "webhooks",
    ("imports", None): "imports",
}


def nav_section(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    namespace = match.namespace or ""
    return NAV_SECTIONS.get((namespace, match.url_name)) or NAV_SECTIONS.get((namespace, None), "")


def kam(request):
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "KAM_CURRENCY": settings.KAM_CURRENCY,
        "user_is_director": bool(user and is_director(user)),
        "user_is_integration": bool(user and is_integration(user)),
        "nav_section": nav_section(request),
        # One indexed count, and only when a template shows it: htmx fragments never read it, so they pay nothing.
        "notification_unread_count": SimpleLazyObject(lambda: notification_unread_count(user=user)) if signed_in else 0,
    }
