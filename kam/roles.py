"""The three roles of DESIGN §9, each a Django group of that exact name, and pure predicates on them.

A user's group names are read once per user object and kept on it, so permission checks inside a list
never cost a query per row.
"""

from __future__ import annotations

from typing import Any

ACCOUNT_MANAGER = "account_manager"
KAM_DIRECTOR = "kam_director"
INTEGRATION = "integration"
ROLES = (ACCOUNT_MANAGER, KAM_DIRECTOR, INTEGRATION)


def user_roles(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_kam_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._kam_roles = cached
    return cached


def is_director(user: Any) -> bool:
    """Directors see everything and approve; superusers act as directors."""
    return bool(getattr(user, "is_superuser", False) and user.is_active) or KAM_DIRECTOR in user_roles(user)


def is_integration(user: Any) -> bool:
    return INTEGRATION in user_roles(user)


def is_account_manager(user: Any) -> bool:
    return ACCOUNT_MANAGER in user_roles(user)


def sees_all_accounts(user: Any) -> bool:
    """Directors and integration users work on every account; managers only on their own."""
    return is_director(user) or is_integration(user)


def director_ids() -> list[int]:
    """The active directors, by id: whom a decision waiting for a director is announced to."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        ._default_manager.filter(is_active=True, groups__name=KAM_DIRECTOR)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
