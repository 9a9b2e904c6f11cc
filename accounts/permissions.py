"""Pure predicates about what a user may do with an account (visibility itself is a selector)."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions

from accounts.models import Account
from kam.roles import is_director, is_integration


def can_create_account(user: Any) -> bool:
    """Directors, and integrations syncing the ERP's customer master data (without owner or team)."""
    return is_director(user) or is_integration(user)


def can_delete_account(user: Any) -> bool:
    return is_director(user)


def can_assign_owner(user: Any) -> bool:
    return is_director(user)


def can_request_scoring_run(user: Any) -> bool:
    """Rescoring the whole population is a director's decision or the ERP sync's (after a bulk load)."""
    return is_director(user) or is_integration(user)


def can_edit_scoring_policy(user: Any) -> bool:
    """Weights and thresholds decide who is key: a director's call (DESIGN §9)."""
    return is_director(user)


def can_view_scoring_runs(user: Any) -> bool:
    """Runs span every account, so only those who see every account see them."""
    return is_director(user) or is_integration(user)


def can_edit_account(user: Any, account: Account) -> bool:
    """Directors edit every account, owners their own, integrations the master data; team members read."""
    return is_director(user) or is_integration(user) or (account.owner_id is not None and account.owner_id == user.pk)


def can_manage_team(user: Any, account: Account) -> bool:
    """Who works on an account is decided by its owner or a director, never by a sync."""
    return is_director(user) or (account.owner_id is not None and account.owner_id == user.pk)


def _on_team(user: Any, account: Account) -> bool:
    # Remembered on the account object: one page asks several predicates about the same user and account.
    answers = account.__dict__.setdefault("_kam_on_team", {})
    if user.pk not in answers:
        answers[user.pk] = account.team.filter(pk=user.pk).exists()
    return answers[user.pk]


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


# --- evidence: orders, invoices and the relationship records ---------------------------------------------


def _works_on(user: Any, account: Account) -> bool:
    return account.owner_id == user.pk or _on_team(user, account)


def can_write_commercial_records(user: Any, account: Account) -> bool:
    """Orders, invoices, NPS answers and contracts come from the ERP and the survey tool: integrations and
    directors write them; managers read them."""
    return is_director(user) or is_integration(user)


def can_log_advocacy(user: Any, account: Account) -> bool:
    return is_director(user) or is_integration(user) or _works_on(user, account)


def can_change_advocacy(user: Any, event: Any) -> bool:
    """The person who logged an event may correct it; directors and integrations too."""
    return (
        is_director(user) or is_integration(user) or (event.logged_by_id is not None and event.logged_by_id == user.pk)
    )


def can_verify_advocacy(user: Any, event: Any) -> bool:
    """A director or someone working on the account vouches for it; integrations verify nothing. That the
    verifier is not the logger is a rule of the data (a 400), checked by the service."""
    return not is_integration(user) and (is_director(user) or _works_on(user, event.account))


def can_log_interaction(user: Any, account: Account) -> bool:
    return is_director(user) or _works_on(user, account)


def can_change_interaction(user: Any, interaction: Any) -> bool:
    return is_director(user) or interaction.user_id == user.pk or interaction.account.owner_id == user.pk


def can_log_feedback(user: Any, account: Account) -> bool:
    """An NPS answer comes from the survey tool, or from a contact who gave it to the people working on the
    account (a business review, a call): they log it too. Changing or deleting one stays with integrations and
    directors."""
    return is_director(user) or is_integration(user) or _works_on(user, account)


# --- the loyalty ladder -------------------------------------------------------------------------------------


def can_request_ladder_override(user: Any, account: Account) -> bool:
    """Those working on the account ask for a pinned stage; a director's own request applies at once."""
    return not is_integration(user) and (is_director(user) or _works_on(user, account))


def can_decide_ladder(user: Any) -> bool:
    """Partner proposals and override requests are decided by directors (DESIGN §6, §9)."""
    return is_director(user)


# --- account plans -----------------------------------------------------------------------------------------


def can_edit_plan(user: Any, account: Account) -> bool:
    """The account's owner, its team and directors keep its plans — objectives, SWOT, actions; integrations
    only read them."""
    return is_director(user) or _works_on(user, account)


def can_delete_plan(user: Any, account: Account) -> bool:
    """Throwing a whole plan away is the owner's or a director's call; the team closes a plan instead."""
    return is_director(user) or (account.owner_id is not None and account.owner_id == user.pk)


def can_own_plan_action(user: Any, account: Account) -> bool:
    """Who may be given an action of the account's plan: someone working on the account, or a director."""
    return is_director(user) or _works_on(user, account)


# --- benefits ---------------------------------------------------------------------------------------------------


def can_request_benefit(user: Any, account: Account) -> bool:
    """Those working on the account ask for a benefit for it; integrations ask for nothing."""
    return not is_integration(user) and (is_director(user) or _works_on(user, account))


def can_decide_benefit(user: Any) -> bool:
    """Directors approve, reject and revoke grants (never one they requested: a rule of the data), and keep the
    catalog and the budgets."""
    return is_director(user)


def can_record_benefit_cost(user: Any) -> bool:
    """What a grant actually cost comes from the ERP or a director."""
    return is_director(user) or is_integration(user)
