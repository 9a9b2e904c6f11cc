"""Bulk upsert of orders and invoices by ``external_id`` (DESIGN §8): the ERP's nightly push.

Set-based (STYLE rule 5): each record is checked in plain Python — the model's field validators and its check
constraints, evaluated in memory — then every account reference is resolved with one query, the existing rows
are read with one query, and everything is written with one ``INSERT … ON CONFLICT … DO UPDATE`` over
``unnest`` arrays. The batch is all-or-nothing: one bad record and nothing is written; every bad record is
reported with its index and the field at fault. The database constraints remain the final guard.

A record is the whole order (or invoice) as the ERP knows it: an optional field it leaves out takes its
default, on update too, so the same batch posted twice leaves the same rows.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Account, Invoice, Order
from accounts.permissions import can_write_commercial_records
from accounts.selectors import accounts_visible_to
from accounts.services import INVOICE_FIELDS, ORDER_FIELDS
from kam.constraints import field_for_constraint
from kam.roles import is_director, is_integration
from relationships.tasks import ladder_evaluate_on_commit

BULK_MAX_ITEMS = 5000
REFERENCE_FIELDS = frozenset({"account", "account_external_id"})
# An invalid record's errors: {field: [messages]}; the batch's errors: [{"index": i, "errors": {...}}, ...].
ItemErrors = dict[str, list[str]]


@dataclass(frozen=True)
class BulkResult:
    """``updated`` counts every existing row the batch named; ``unchanged`` is the part of those that already
    held exactly these values (they are left alone: their ``updated_at`` is kept)."""

    created: int
    updated: int
    unchanged: int


class BulkInvalid(Exception):
    """The batch was refused and nothing was written; ``errors`` lists every bad record, by index."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} invalid record(s)")
        self.errors = errors


def can_bulk_write_commercial_records(user: Any) -> bool:
    """Bulk writes are the ERP's and the directors' (who write commercial records on every account, see
    ``can_write_commercial_records``); account managers do not use them at all."""
    return is_director(user) or is_integration(user)


# --- the model's check constraints, evaluated in memory ------------------------------------------------


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool | None]:
    return lambda actual, expected: None if actual is None or expected is None else op(actual, expected)


_LOOKUPS: dict[str, Callable[[Any, Any], bool | None]] = {
    "exact": _compare(operator.eq),
    "gt": _compare(operator.gt),
    "gte": _compare(operator.ge),
    "lt": _compare(operator.lt),
    "lte": _compare(operator.le),
    "in": _compare(lambda actual, expected: actual in expected),
    "regex": _compare(lambda actual, expected: re.search(expected, actual) is not None),
    "isnull": lambda actual, expected: (actual is None) == bool(expected),
}


def condition_holds(condition: Q, values: Mapping[str, Any]) -> bool | None:
    """SQL's three-valued logic over one row: True, False, or None (unknown — which a CHECK accepts).

    Handles the lookups KAM's constraints use; a constraint using any other raises ``KeyError`` in tests long
    before a batch would meet it.
    """
    results: list[bool | None] = []
    for child in condition.children:
        if isinstance(child, Q):
            results.append(condition_holds(child, values))
            continue
        lookup, expected = cast(tuple[str, Any], child)
        name, _, op = lookup.partition("__")
        if isinstance(expected, F):
            expected = values[expected.name]  # type: ignore[attr-defined]
        if op in ("", "exact") and expected is None:
            result: bool | None = values[name] is None  # `field=None` is SQL `IS NULL`
        else:
            result = _LOOKUPS[op or "exact"](values[name], expected)
        results.append(result)
    if condition.connector == Q.AND:
        combined = False if False in results else (None if None in results else True)
    else:
        combined = True if True in results else (None if None in results else False)
    if condition.negated and combined is not None:
        return not combined
    return combined


# --- what a bulk upsert writes --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    model: type[models.Model]
    fields: frozenset[str]
    noun: str


ORDERS = _Spec(Order, ORDER_FIELDS, "order")
INVOICES = _Spec(Invoice, INVOICE_FIELDS, "invoice")


def _columns(spec: _Spec) -> list[models.Field]:
    """The written columns, in a fixed order: the account, then the record's own fields."""
    meta = spec.model._meta
    return [cast(models.Field, meta.get_field(name)) for name in ["account", *sorted(spec.fields)]]


@functools.cache
def _own_fields(spec: _Spec) -> list[tuple[str, models.Field, bool]]:
    """(name, model field, required) for each field a record carries; external_id, the upsert key, is required."""
    fields = []
    for name in sorted(spec.fields):
        field = cast(models.Field, spec.model._meta.get_field(name))
        required = name == "external_id" or (not field.has_default() and not field.null)
        fields.append((name, field, required))
    return fields


def _clean_item(spec: _Spec, item: Mapping[str, Any]) -> tuple[dict[str, Any], ItemErrors]:
    """One record's own values, cleaned like ``full_clean()`` would, without a query: fields first (defaults
    for the optional ones left out), then the check constraints whose fields are all valid."""
    errors: ItemErrors = {}
    unknown = sorted(set(item) - spec.fields - REFERENCE_FIELDS)
    for name in unknown:
        errors[name] = ["This field cannot be set."]
    values: dict[str, Any] = {}
    for name, field, required in _own_fields(spec):
        if name in item:
            raw = item[name]
        elif required:
            errors[name] = ["This field is required."]
            continue
        else:
            raw = field.get_default()
        if name == "external_id":
            raw = raw.strip() if isinstance(raw, str) else raw
            if not raw:
                errors[name] = ["This field is required."]
                continue
        try:
            values[name] = field.clean(raw, None)
        except ValidationError as error:
            errors[name] = list(error.messages)
    for constraint, condition, fields in _checks(spec.model):
        if fields <= values.keys() and condition_holds(condition, values) is False:
            found = field_for_constraint(constraint.name)
            field_name, message = found if found else (NON_FIELD_ERRORS, str(constraint.violation_error_message))
            errors.setdefault(field_name, []).append(message)
    return values, errors


@functools.cache
def _checks(model: type[models.Model]) -> list[tuple[models.CheckConstraint, Q, frozenset[str]]]:
    """The model's check constraints, each with its condition and the fields it reads."""
    return [
        (constraint, constraint.condition, frozenset(_condition_fields(constraint.condition)))
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint) and isinstance(constraint.condition, Q)
    ]


def _condition_fields(condition: Q) -> list[str]:
    names: list[str] = []
    for child in condition.children:
        if isinstance(child, Q):
            names.extend(_condition_fields(child))
        else:
            lookup, value = cast(tuple[str, Any], child)
            names.append(lookup.split("__")[0])
            if isinstance(value, F):
                names.append(str(value.name))  # type: ignore[attr-defined]
    return names


def _reference(item: Mapping[str, Any]) -> tuple[Any, Any]:
    return item.get("account"), item.get("account_external_id")


def _resolve_account(
    item: Mapping[str, Any], by_pk: Mapping[int, Account], by_external_id: Mapping[str, Account]
) -> tuple[Account | None, ItemErrors]:
    """The account a record names, among those the caller sees; any other is "does not exist"."""
    pk, external_id = _reference(item)
    if pk is None and external_id is None:
        return None, {"account": ["Give `account` (id) or `account_external_id`."]}
    account = None
    if pk is not None:
        account = by_pk.get(pk)
        if account is None:
            return None, {"account": [f'Invalid pk "{pk}" - object does not exist.']}
    if external_id is not None:
        named = by_external_id.get(external_id)
        if named is None:
            return None, {"account_external_id": ["No account has this external id."]}
        if account is not None and named.pk != account.pk:
            return None, {"account_external_id": ["Names a different account than `account`."]}
        account = named
    return account, {}


def _upsert(
    spec: _Spec, *, actor: Any, items: Sequence[Mapping[str, Any]], invalid: Mapping[int, ItemErrors] | None
) -> BulkResult:
    if not can_bulk_write_commercial_records(actor):
        raise PermissionDenied("Bulk writes of orders and invoices are for integrations and directors.")
    if len(items) > BULK_MAX_ITEMS:
        raise ValidationError(f"Send at most {BULK_MAX_ITEMS} records per request, not {len(items)}.")
    errors: dict[int, ItemErrors] = {index: dict(found) for index, found in (invalid or {}).items()}
    checked = [index for index in range(len(items)) if index not in errors]
    # A record that did not parse still has its account checked, if it names one that parsed.
    referencing = [
        index
        for index in range(len(items))
        if index not in errors
        or (REFERENCE_FIELDS & items[index].keys() and not REFERENCE_FIELDS & errors[index].keys())
    ]

    # 1. Each record on its own: pure Python, no query. A repeated external_id is blamed on the later record.
    cleaned: dict[int, dict[str, Any]] = {}
    first_index: dict[str, int] = {}
    for index in checked:
        values, item_errors = _clean_item(spec, items[index])
        external_id = values.get("external_id")
        if external_id in first_index:
            item_errors.setdefault("external_id", []).append(
                f"Appears more than once in this batch (first at index {first_index[external_id]})."
            )
        elif external_id is not None:
            first_index[external_id] = index
        cleaned[index] = values
        if item_errors:
            errors[index] = item_errors

    with transaction.atomic():
        # 2. Every account named, in one query; only accounts the caller sees are found.
        references = [_reference(items[index]) for index in referencing]
        pks = {pk for pk, _ in references if isinstance(pk, int)}
        external_ids = {external_id for _, external_id in references if isinstance(external_id, str)}
        accounts = list(accounts_visible_to(actor).filter(Q(pk__in=pks) | Q(external_id__in=external_ids)))
        by_pk = {account.pk: account for account in accounts}
        by_external_id = {account.external_id: account for account in accounts if account.external_id}

        targets: dict[int, Account] = {}
        for index in referencing:
            account, reference_errors = _resolve_account(items[index], by_pk, by_external_id)
            if account is not None and not can_write_commercial_records(actor, account):
                reference_errors = {"account": [f"You cannot write {spec.noun}s of this account."]}
            if account is not None:
                targets[index] = account
            for field, messages in reference_errors.items():
                errors.setdefault(index, {}).setdefault(field, []).extend(messages)

        if errors:
            raise BulkInvalid([{"index": index, "errors": errors[index]} for index in sorted(errors)])

        # 3. The rows these external ids already name, in one query, locked (in pk order) until the write.
        existing = dict(
            spec.model._default_manager.filter(external_id__in=list(first_index))
            .order_by("pk")
            .select_for_update()
            .values_list("external_id", "account_id")
        )
        # A record that moves an existing row to another account needs the right to write on both.
        moves = {
            index: existing[cleaned[index]["external_id"]]
            for index, account in targets.items()
            if existing.get(cleaned[index]["external_id"], account.pk) != account.pk
        }
        if moves:
            previous = accounts_visible_to(actor).in_bulk(set(moves.values()))
            for index, was_on in moves.items():
                if was_on not in previous:
                    # Its account is one the caller does not see: say no more than the unique constraint would.
                    errors[index] = {"external_id": [f"Another {spec.noun} already has this external id."]}
                elif not can_write_commercial_records(actor, previous[was_on]):
                    errors[index] = {"account": [f"You cannot move this {spec.noun} from its current account."]}

        if errors:
            raise BulkInvalid([{"index": index, "errors": errors[index]} for index in sorted(errors)])
        if not checked:
            return BulkResult(created=0, updated=0, unchanged=0)
        # 4. One statement writes the batch.
        rows = [{**cleaned[index], "account": targets[index].pk} for index in checked]
        created, changed = _write(spec, rows)
        # The ladder of every account the batch touched (and of those rows moved away from) is re-evaluated.
        ladder_evaluate_on_commit({row["account"] for row in rows} | set(moves.values()))
    updated = len(rows) - created
    return BulkResult(created=created, updated=updated, unchanged=updated - changed)


def _write(spec: _Spec, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """INSERT … ON CONFLICT over the partial unique index on external_id (PostgreSQL needs its predicate to
    infer it); rows whose values are unchanged are not touched. Returns (inserted, updated) counts."""
    quote = connection.ops.quote_name
    columns = _columns(spec)
    names = [quote(str(field.column)) for field in columns]
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    table = quote(str(spec.model._meta.db_table))
    keys = [("account" if field.is_relation else field.name) for field in columns]
    changed = ", ".join(f"{name} = EXCLUDED.{name}" for name in names if name != quote("external_id"))
    current = ", ".join(f"t.{name}" for name in names)
    proposed = ", ".join(f"EXCLUDED.{name}" for name in names)
    sql = f"""
        WITH upserted AS (
            INSERT INTO {table} AS t ({", ".join(names)}, "created_at", "updated_at")
            SELECT *, %s, %s FROM unnest({arrays})
            ON CONFLICT ("external_id") WHERE "external_id" IS NOT NULL
            DO UPDATE SET {changed}, "updated_at" = EXCLUDED."updated_at"
            WHERE ({current}) IS DISTINCT FROM ({proposed})
            RETURNING (t.xmax = 0) AS inserted
        )
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted
    """  # noqa: S608 — identifiers come from the model, values are parameters
    # Rows in key order: two batches sharing external ids lock them in the same order, so they queue, not deadlock.
    rows = sorted(rows, key=operator.itemgetter("external_id"))
    now = timezone.now()
    params: list[Any] = [now, now, *([row[key] for row in rows] for key in keys)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted, updated = cursor.fetchone()
    return inserted, updated


def orders_bulk_upsert(
    *, actor: Any, items: Sequence[Mapping[str, Any]], invalid: Mapping[int, ItemErrors] | None = None
) -> BulkResult:
    """Create or update up to ``BULK_MAX_ITEMS`` orders by external_id, all or nothing.

    Each item holds the order's fields and names its account by ``account`` (id) or ``account_external_id``.
    ``invalid`` carries errors the caller already found while parsing (by index): those items' fields are not
    checked again (only the account they name, if any), but they refuse the batch and their errors are reported
    with the rest (``BulkInvalid``).
    """
    return _upsert(ORDERS, actor=actor, items=items, invalid=invalid)


def invoices_bulk_upsert(
    *, actor: Any, items: Sequence[Mapping[str, Any]], invalid: Mapping[int, ItemErrors] | None = None
) -> BulkResult:
    """Create or update up to ``BULK_MAX_ITEMS`` invoices by external_id, all or nothing (as for orders)."""
    return _upsert(INVOICES, actor=actor, items=items, invalid=invalid)
