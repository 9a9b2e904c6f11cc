"""Template context every page needs: the user's roles for the navigation, the currency, and how many unread
notifications the navbar's badge shows."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from kam.roles import is_director, is_integration
from kam.selectors import notification_unread_count


def kam(request):
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "KAM_CURRENCY": settings.KAM_CURRENCY,
        "user_is_director": bool(user and is_director(user)),
        "user_is_integration": bool(user and is_integration(user)),
        # One indexed count, and only when a template shows it: htmx fragments never read it, so they pay nothing.
        "notification_unread_count": SimpleLazyObject(lambda: notification_unread_count(user=user)) if signed_in else 0,
    }
