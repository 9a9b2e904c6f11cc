"""Reads of project-wide records: a user's notifications and API tokens.

A notification is its recipient's alone: nobody else reads it, directors and superusers included (the admin
aside), so any other notification is a 404. An API token is its user's, and directors (superusers too) see
everybody's, to find and revoke a forgotten or leaked one; anyone else's is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from kam.models import ApiToken, Notification
from kam.roles import is_director


def notifications_visible_to(user: Any) -> QuerySet[Notification]:
    """The notifications addressed to ``user``; none for anonymous or deactivated users."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk)


def notification_list(*, user: Any) -> QuerySet[Notification]:
    """The user's notifications, newest first, with the account each is about (one query per page)."""
    return notifications_visible_to(user).select_related("account").order_by("-created_at", "-id")


def notification_get(*, user: Any, pk: Any) -> Notification:
    """One of the user's notifications; 404 for anyone else's, so its existence is not confirmed."""
    try:
        return notifications_visible_to(user).get(pk=pk)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404("No such notification.") from None


def notification_unread_count(*, user: Any) -> int:
    """How many of the user's notifications are unread: the navbar's badge, one indexed count."""
    return notifications_visible_to(user).filter(read_at__isnull=True).count()


def api_tokens_visible_to(user: Any) -> QuerySet[ApiToken]:
    """The user's own API tokens; every user's for directors. None for anonymous or deactivated users."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ApiToken.objects.none()
    if is_director(user):
        return ApiToken.objects.all()
    return ApiToken.objects.filter(user_id=user.pk)


def api_token_list(*, user: Any) -> QuerySet[ApiToken]:
    """The tokens the user sees, newest first, each with its owner (one query per page)."""
    return api_tokens_visible_to(user).select_related("user").order_by("-created_at", "-id")


def api_token_get(*, user: Any, pk: Any) -> ApiToken:
    """One token the user sees, with its owner; 404 for anyone else's, so its existence is not confirmed."""
    try:
        return api_tokens_visible_to(user).select_related("user").get(pk=pk)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404("No such API token.") from None
