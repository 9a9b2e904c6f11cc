"""Reads of the audit trail: an account's history, as the account page and its history page show it."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from audit.models import AuditEntry

HISTORY_ON_PAGE = 8  # the account page's newest changes; "All changes" pages through the rest
HISTORY_PAGE_SIZE = 50


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class HistoryItem:
    """One entry in words: who, when, what (``subject``: "Order #12"), and the fields changed."""

    entry: AuditEntry
    subject: str
    changes: list[FieldChange]


@dataclass(frozen=True)
class HistoryPage:
    items: list[HistoryItem]
    older_than: int | None  # the id to ask for older entries with; None when there are none


@functools.cache
def _models_by_table() -> dict[str, tuple[str, dict[str, models.Field]]]:
    """table → (the record's name, {column: field}); the team's table names its member."""
    found: dict[str, tuple[str, dict[str, models.Field]]] = {}
    for model in apps.get_models(include_auto_created=True):
        fields = {
            str(field.column): field
            for field in model._meta.concrete_fields
            if isinstance(field, models.Field) and field.column
        }
        name = str(model._meta.verbose_name)
        if model._meta.auto_created:
            name = "team member"
        found[str(model._meta.db_table)] = (name[:1].upper() + name[1:], fields)
    return found


def _is_user_reference(field: models.Field | None) -> bool:
    return bool(field is not None and field.is_relation and field.related_model is get_user_model())


def _shown(field: models.Field | None, value: Any, users: dict[int, Any]) -> Any:
    if value is None:
        return None
    if field is not None and field.choices and not field.is_relation:
        return dict(field.flatchoices).get(value, value)
    if _is_user_reference(field):
        user = users.get(value)
        return user.get_username() if user is not None else f"user #{value}"
    if field is not None and field.is_relation:
        return f"#{value}"
    return value


def history_items(entries: list[AuditEntry]) -> list[HistoryItem]:
    """The entries in words. One query whatever they are: the users they name (owners, deciders)."""
    tables = _models_by_table()
    user_ids = {
        value
        for entry in entries
        for column, pair in entry.field_changes().items()
        if _is_user_reference(tables.get(entry.table_name, ("", {}))[1].get(column))
        for value in pair
        if isinstance(value, int)
    }
    # Always one query, even when no entry names a user (pk 0 never exists): the page's cost must not depend on
    # which changes happen to be the latest.
    users = get_user_model()._default_manager.filter(pk__in=[*user_ids, 0]).in_bulk()
    items = []
    for entry in entries:
        name, fields = tables.get(entry.table_name, (entry.table_name, {}))
        ordered = sorted(
            entry.field_changes().items(), key=lambda pair: list(fields).index(pair[0]) if pair[0] in fields else 99
        )
        changes = []
        for column, (old, new) in ordered:
            field = fields.get(column)
            label = str(field.verbose_name) if field is not None else column
            label = label[:1].upper() + label[1:]
            changes.append(FieldChange(label=label, old=_shown(field, old, users), new=_shown(field, new, users)))
        subject = name if entry.table_name == "accounts_account" else f"{name} #{entry.object_id}"
        items.append(HistoryItem(entry=entry, subject=subject, changes=changes))
    return items


def account_history(*, account: Any, limit: int = HISTORY_ON_PAGE, older_than: int | None = None) -> HistoryPage:
    """The newest ``limit`` entries of the account and its records (older than the entry ``older_than``, when
    given): two queries — the entries (one more, to know whether older ones exist) and the users they name."""
    entries = AuditEntry.objects.filter(account_id=account.pk)
    if older_than is not None:
        entries = entries.filter(id__lt=older_than)
    found = list(entries.order_by("-id")[: limit + 1])
    shown = found[:limit]
    return HistoryPage(items=history_items(shown), older_than=shown[-1].pk if len(found) > limit else None)
