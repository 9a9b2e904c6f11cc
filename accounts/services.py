"""Writes of accounts and contacts. Each service checks the rules, owns its transaction and validates the
row with ``full_clean()`` so that pages and the API refuse the same things with the same messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import Account, Contact, Invoice, Order
from accounts.permissions import (
    can_assign_owner,
    can_create_account,
    can_delete_account,
    can_edit_account,
    can_edit_contacts,
    can_manage_team,
    can_write_commercial_records,
)
from kam.roles import ACCOUNT_MANAGER, KAM_DIRECTOR, user_roles
from relationships.tasks import ladder_evaluate_on_commit

ACCOUNT_EDITABLE_FIELDS = frozenset(
    {
        "name",
        "kind",
        "industry",
        "country",
        "owner",
        "external_id",
        "annual_potential",
        "payment_terms_days",
        "credit_limit",
        "is_active",
    }
)
CONTACT_EDITABLE_FIELDS = frozenset(
    {"name", "email", "phone", "job_title", "buying_role", "influence", "attitude", "is_active"}
)


def _normalise_account(values: dict[str, Any]) -> None:
    if "external_id" in values:
        values["external_id"] = (values["external_id"] or "").strip() or None
    if values.get("country"):
        values["country"] = values["country"].strip().upper()
    if values.get("name"):
        values["name"] = values["name"].strip()


def check_assignable(field: str, users: Iterable[Any]) -> None:
    """Only active account managers and directors own, staff or have interactions with an account."""
    for user in users:
        if not user.is_active or not ({ACCOUNT_MANAGER, KAM_DIRECTOR} & user_roles(user) or user.is_superuser):
            raise ValidationError({field: [f"{user.get_username()} is not an active account manager or director."]})


def _unknown(values: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValidationError({name: ["This field cannot be set."] for name in unknown})


@transaction.atomic
def account_create(*, actor: Any, values: Mapping[str, Any], team: Iterable[Any] | None = None) -> Account:
    """Create an account. Directors create accounts and assign owners and teams; integrations create the
    ERP's accounts unassigned, for a director to staff."""
    if not can_create_account(actor):
        raise PermissionDenied("Only a KAM director or an integration can create accounts.")
    fields = dict(values)
    _unknown(fields, ACCOUNT_EDITABLE_FIELDS)
    _normalise_account(fields)
    if fields.get("owner") is not None:
        if not can_assign_owner(actor):
            raise ValidationError({"owner": ["Only a KAM director can assign an account's owner."]})
        check_assignable("owner", [fields["owner"]])
    members = list(team or [])
    if members and not can_assign_owner(actor):
        raise ValidationError({"team": ["Only a KAM director or the owner can change the team."]})
    check_assignable("team", members)
    account = Account(**fields)
    account.full_clean()
    account.save()
    if members:
        account.team.set(members)
    return account


@transaction.atomic
def account_update(
    *, actor: Any, account: Account, values: Mapping[str, Any], team: Iterable[Any] | None = None
) -> Account:
    """Change an account's profile. Owners edit their accounts; changing the owner is a director's call."""
    if not can_edit_account(actor, account):
        raise PermissionDenied("Only the account's owner, a KAM director or an integration can change it.")
    fields = dict(values)
    _unknown(fields, ACCOUNT_EDITABLE_FIELDS)
    _normalise_account(fields)
    if "owner" in fields and fields["owner"] != account.owner and not can_assign_owner(actor):
        raise ValidationError({"owner": ["Only a KAM director can assign an account's owner."]})
    if fields.get("owner") is not None and fields["owner"] != account.owner:
        check_assignable("owner", [fields["owner"]])
    for name, value in fields.items():
        setattr(account, name, value)
    account.full_clean()
    account.save()
    if team is not None:
        members = list(team)
        if not can_manage_team(actor, account):
            raise ValidationError({"team": ["Only the account's owner or a KAM director can change the team."]})
        check_assignable("team", members)
        account.team.set(members)
    return account


@transaction.atomic
def account_delete(*, actor: Any, account: Account) -> None:
    """Delete an account and its contacts. Directors only; deactivate (is_active=false) to keep history."""
    if not can_delete_account(actor):
        raise PermissionDenied("Only a KAM director can delete accounts.")
    account.delete()


@transaction.atomic
def contact_create(*, actor: Any, account: Account, values: Mapping[str, Any]) -> Contact:
    if not can_edit_contacts(actor, account):
        raise PermissionDenied("You cannot add contacts to this account.")
    fields = dict(values)
    _unknown(fields, CONTACT_EDITABLE_FIELDS)
    contact = Contact(account=account, **fields)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_update(
    *, actor: Any, contact: Contact, values: Mapping[str, Any], account: Account | None = None
) -> Contact:
    """Change a contact; moving it to another account needs the right to edit contacts on both."""
    if not can_edit_contacts(actor, contact.account):
        raise PermissionDenied("You cannot change this account's contacts.")
    fields = dict(values)
    _unknown(fields, CONTACT_EDITABLE_FIELDS)
    if account is not None and account.pk != contact.account_id:
        if not can_edit_contacts(actor, account):
            raise PermissionDenied("You cannot add contacts to that account.")
        contact.account = account
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_delete(*, actor: Any, contact: Contact) -> None:
    if not can_edit_contacts(actor, contact.account):
        raise PermissionDenied("You cannot change this account's contacts.")
    contact.delete()


# --- orders and invoices (issue 3) ----------------------------------------------------------------------

ORDER_FIELDS = frozenset({"external_id", "order_date", "net_amount", "discount_pct", "service_level", "status"})
INVOICE_FIELDS = frozenset({"external_id", "number", "issue_date", "due_date", "amount", "paid_date", "status"})


def record_save(*, record: Any, values: Mapping[str, Any], allowed: frozenset[str]) -> Any:
    """Apply ``values`` to an account's record, validate it like the database will, and save it.

    Shared by every evidence service: unknown fields are refused, a blank external_id means "none".
    """
    fields = dict(values)
    _unknown(fields, allowed)
    if "external_id" in fields:
        fields["external_id"] = (fields["external_id"] or "").strip() or None
    for name, value in fields.items():
        setattr(record, name, value)
    record.full_clean()
    record.save()
    return record


def _may_write_commercial(actor: Any, account: Account) -> None:
    if not can_write_commercial_records(actor, account):
        raise PermissionDenied("Orders, invoices, NPS answers and contracts are written by integrations and directors.")


# Every write of evidence below has the ladder re-evaluate the accounts it touched once it commits (DESIGN §6).


@transaction.atomic
def order_create(*, actor: Any, account: Account, values: Mapping[str, Any]) -> Order:
    _may_write_commercial(actor, account)
    ladder_evaluate_on_commit([account.pk])
    return record_save(record=Order(account=account), values=values, allowed=ORDER_FIELDS)


@transaction.atomic
def order_update(*, actor: Any, order: Order, values: Mapping[str, Any], account: Account | None = None) -> Order:
    _may_write_commercial(actor, order.account)
    ladder_evaluate_on_commit([order.account_id])
    if account is not None and account.pk != order.account_id:
        _may_write_commercial(actor, account)
        order.account = account
        ladder_evaluate_on_commit([account.pk])
    return record_save(record=order, values=values, allowed=ORDER_FIELDS)


@transaction.atomic
def order_delete(*, actor: Any, order: Order) -> None:
    _may_write_commercial(actor, order.account)
    ladder_evaluate_on_commit([order.account_id])
    order.delete()


@transaction.atomic
def invoice_create(*, actor: Any, account: Account, values: Mapping[str, Any]) -> Invoice:
    _may_write_commercial(actor, account)
    ladder_evaluate_on_commit([account.pk])
    return record_save(record=Invoice(account=account), values=values, allowed=INVOICE_FIELDS)


@transaction.atomic
def invoice_update(
    *, actor: Any, invoice: Invoice, values: Mapping[str, Any], account: Account | None = None
) -> Invoice:
    _may_write_commercial(actor, invoice.account)
    ladder_evaluate_on_commit([invoice.account_id])
    if account is not None and account.pk != invoice.account_id:
        _may_write_commercial(actor, account)
        invoice.account = account
        ladder_evaluate_on_commit([account.pk])
    return record_save(record=invoice, values=values, allowed=INVOICE_FIELDS)


@transaction.atomic
def invoice_delete(*, actor: Any, invoice: Invoice) -> None:
    _may_write_commercial(actor, invoice.account)
    ladder_evaluate_on_commit([invoice.account_id])
    invoice.delete()
