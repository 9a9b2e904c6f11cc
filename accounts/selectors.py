"""Reads of accounts and contacts. Visibility lives here and nowhere else (STYLE rule 3)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import Account, Contact, Invoice, Order
from kam.roles import ACCOUNT_MANAGER, KAM_DIRECTOR, sees_all_accounts

User = get_user_model()


def accounts_visible_to(user: Any) -> QuerySet[Account]:
    """Every account for directors and integration users; for anyone else the accounts they own or
    are on the team of. Anonymous and deactivated users see none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Account.objects.none()
    if sees_all_accounts(user):
        return Account.objects.all()
    on_team = Account.team.through.objects.filter(account_id=OuterRef("pk"), user_id=user.pk)
    return Account.objects.filter(Q(owner_id=user.pk) | Exists(on_team))


def account_list(*, user: Any) -> QuerySet[Account]:
    """The portfolio: visible accounts with what every row shows, in a constant number of queries."""
    return (
        accounts_visible_to(user)
        .select_related("owner")
        .annotate(contact_count=Count("contacts", filter=Q(contacts__is_active=True), distinct=True))
        # GROUP BY drops Meta.ordering; paging needs a stable order.
        .order_by("name", "id")
    )


def account_get(*, user: Any, pk: Any) -> Account:
    """The account if ``user`` may see it; otherwise 404, so its existence is not confirmed."""
    try:
        return accounts_visible_to(user).select_related("owner").get(pk=pk)
    except (Account.DoesNotExist, ValueError, TypeError):
        raise Http404("No such account.") from None


def account_team(*, account: Account) -> QuerySet:
    return account.team.order_by("first_name", "last_name", "username")


def contacts_visible_to(user: Any) -> QuerySet[Contact]:
    return Contact.objects.filter(account__in=accounts_visible_to(user))


def contact_list(*, user: Any) -> QuerySet[Contact]:
    return contacts_visible_to(user).select_related("account")


def contact_get(*, user: Any, pk: Any) -> Contact:
    try:
        return contacts_visible_to(user).select_related("account").get(pk=pk)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contact.") from None


def account_contacts(*, account: Account) -> QuerySet[Contact]:
    return account.contacts.order_by("-is_active", "name", "id")


def account_contact_get(*, account: Account, pk: Any) -> Contact:
    """A contact of ``account`` (already fetched through ``account_get``); 404 for any other contact, so a
    page under one account never reaches the contacts of another."""
    try:
        return account_contacts(account=account).get(pk=pk)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contact.") from None


def assignable_users() -> QuerySet:
    """Users who may own an account or be on its team: active managers and directors."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name__in=[ACCOUNT_MANAGER, KAM_DIRECTOR]))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


# --- evidence -------------------------------------------------------------------------------------------


def rows_on_visible_accounts(model: Any, user: Any) -> QuerySet:
    """Rows of ``model`` (which has an ``account``) on accounts ``user`` can see."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return model.objects.none()
    if sees_all_accounts(user):
        return model.objects.all()
    return model.objects.filter(account__in=accounts_visible_to(user))


def orders_visible_to(user: Any) -> QuerySet[Order]:
    return rows_on_visible_accounts(Order, user)


def invoices_visible_to(user: Any) -> QuerySet[Invoice]:
    return rows_on_visible_accounts(Invoice, user)


def order_list(*, user: Any) -> QuerySet[Order]:
    return orders_visible_to(user).select_related("account")


def invoice_list(*, user: Any) -> QuerySet[Invoice]:
    return invoices_visible_to(user).select_related("account")
