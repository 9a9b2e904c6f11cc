"""Pure predicates about what a user may do with an account (visibility itself is a selector)."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions

from accounts.models import Account
from kam.roles import is_director, is_integration


def can_create_account(user: Any) -> bool:
    return is_director(user)


def can_delete_account(user: Any) -> bool:
    return is_director(user)


def can_assign_owner(user: Any) -> bool:
    return is_director(user)


def can_edit_account(user: Any, account: Account) -> bool:
    """Directors edit every account, owners their own; team members read."""
    return is_director(user) or (account.owner_id is not None and account.owner_id == user.pk)


def can_manage_team(user: Any, account: Account) -> bool:
    return can_edit_account(user, account)


def _on_team(user: Any, account: Account) -> bool:
    return account.team.filter(pk=user.pk).exists()


def can_edit_contacts(user: Any, account: Account) -> bool:
    """Directors, integrations, the owner and the team keep an account's contacts up to date."""
    if is_director(user) or is_integration(user) or account.owner_id == user.pk:
        return True
    return _on_team(user, account)


class AccountPermission(permissions.BasePermission):
    """DRF wrapper: reads for everyone who can see the account; writes by the predicates above."""

    def has_permission(self, request, view) -> bool:
        if request.method == "POST" and getattr(view, "action", None) == "create":
            return can_create_account(request.user)
        return True

    def has_object_permission(self, request, view, obj: Account) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.method == "DELETE":
            return can_delete_account(request.user)
        return can_edit_account(request.user, obj)


class ContactPermission(permissions.BasePermission):
    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_edit_contacts(request.user, obj.account)
