"""Template context every page needs: the user's roles for the navigation, the currency."""

from django.conf import settings

from kam.roles import is_director, is_integration


def kam(request):
    user = getattr(request, "user", None)
    return {
        "KAM_CURRENCY": settings.KAM_CURRENCY,
        "user_is_director": bool(user and is_director(user)),
        "user_is_integration": bool(user and is_integration(user)),
    }
