"""Every filter and ordering the lists offer, and the index that serves each (issue 10): what
``test_list_indexes.py`` checks on the test database and ``bench/explain.py`` explains at volume.

The lists are found, not listed: every API list of the router (``kam.api.urls``) with its FilterSet — the pages
filter with the very same FilterSets (the portfolio with ``AccountFilterSet``, the notifications and API tokens
pages with theirs) — each filter of it, each field of its ``ordering``, and the list's default order. A filter is
served by an index that leads with the column it reads, found from its ``field_name`` and lookup: an exact, range
or null test by a btree on the column; ``iexact`` by an index on ``upper(column)`` (what Django compares);
``icontains`` by a trigram GIN index on ``upper(column)``. A filter that reads a related table
(``account__external_id``) needs that table's index and the foreign key's. What a name alone cannot tell — a method
filter, an ordering by an annotation, a list scoped to its caller — is said in ``DECLARED``; a new one fails the
index test until it is.

Tables that stay small whatever the portfolio need no index for their own columns: ``SMALL_TABLES`` says why, one
by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import F, OrderBy
from django_filters import FilterSet, OrderingFilter
from django_filters.filters import Filter

# Tables whose own columns need no index: they hold a handful of rows in any portfolio.
SMALL_TABLES = {
    "benefits_benefittype": "the benefit catalog: a few dozen types",
    "benefits_benefitbudget": "one budget per category and period",
    "accounts_scoringpolicy": "one row per policy version",
    "accounts_scoringrun": "one run a night: a few thousand in ten years",
    "kam_apitoken": "a few tokens per user",
    "kam_webhooksubscription": "a few subscriptions per integration",
}


@dataclass(frozen=True)
class Key:
    """What an index must lead with: ``columns`` of ``table`` in this order, or an expression over one column
    (``upper`` — ``upper((column)::text)``, as Django's case-insensitive lookups compare), with ``method`` the
    index's access method (``gin`` for a trigram index, which serves ``LIKE '%…%'``)."""

    table: str
    columns: tuple[str, ...]
    expression: str = ""
    method: str = "btree"
    # A descending sort of a nullable column, empty values last: an ascending index read backwards would give
    # them first, so the index must lead with ``column DESC NULLS LAST``.
    descending_nulls_last: bool = False

    def __str__(self) -> str:
        what = ", ".join(self.columns)
        if self.expression:
            what = f"{self.expression}({what})"
        if self.descending_nulls_last:
            what += " DESC NULLS LAST"
        return f"{self.table}({what}){' ' + self.method if self.method != 'btree' else ''}"


@dataclass(frozen=True)
class ListFilter:
    """One filter, ordering or default order of one list: ``params`` as a request sends them (``?`` where the
    value is the caller's), the ``keys`` that must be indexed to serve it, or why none need be (``exempt``)."""

    listing: str  # the router's basename: "order" is /api/v1/orders/ (and any page showing that FilterSet)
    name: str  # "status", "ordering=-kas", "default order"
    params: dict[str, str]
    keys: tuple[Key, ...] = ()
    note: str = ""
    exempt: str = ""
    filterset: type[FilterSet] | None = field(default=None, compare=False)
    viewset: Any = field(default=None, compare=False)


def _table(model: type[models.Model]) -> str:
    return model._meta.db_table


def _column_keys(model: type[models.Model], path: str, *, lookup: str = "exact") -> tuple[tuple[Key, ...], str]:
    """The keys that serve a filter on ``path`` (``account__external_id``, ``status``) with ``lookup`` — the last
    table's column, and each foreign key followed on the way — leaving out small tables; and the exemption when
    only small tables were left out."""
    keys: list[Key] = []
    parts = path.split("__")
    for part in parts[:-1]:
        relation = model._meta.get_field(part)
        keys.append(Key(_table(model), (relation.column,)))
        model = relation.related_model
    column = model._meta.get_field(parts[-1]).column
    if lookup == "iexact":
        keys.append(Key(_table(model), (column,), expression="upper"))
    elif lookup == "icontains":
        keys.append(Key(_table(model), (column,), expression="upper", method="gin"))
    else:
        keys.append(Key(_table(model), (column,)))
    kept = tuple(key for key in keys if key.table not in SMALL_TABLES)
    small = [SMALL_TABLES[key.table] for key in keys if key.table in SMALL_TABLES]
    return kept, ("a small table: " + "; ".join(small)) if small and not kept else ""


def _keys(*specs: tuple[str, str] | tuple[str, str, str]) -> tuple[Key, ...]:
    """``(table, column)``, or ``(table, column, "upper")`` / ``(table, column, "trigram")`` → keys."""
    keys = []
    for spec in specs:
        if len(spec) == 2:
            keys.append(Key(spec[0], (spec[1],)))
        elif spec[2] == "upper":
            keys.append(Key(spec[0], (spec[1],), expression="upper"))
        else:
            keys.append(Key(spec[0], (spec[1],), expression="upper", method="gin"))
    return tuple(keys)


# What a name cannot tell: method filters, orderings by annotations, default orders of lists scoped to their caller.
# Keyed by (FilterSet, filter name), (FilterSet, "ordering:<field>") or (viewset, "default order"); an empty key
# list says why no index is needed.
DECLARED: dict[tuple[str, str], tuple[tuple[Key, ...], str]] = {
    ("AccountFilterSet", "search"): (
        _keys(
            ("accounts_account", "name", "trigram"),
            ("accounts_account", "external_id", "upper"),
            ("accounts_account", "industry", "trigram"),
            ("accounts_account", "country"),
        ),
        "name or industry containing it, external id or country equal to it (any case; country codes are stored in "
        "capitals): a BitmapOr of four indexes",
    ),
    ("AccountFilterSet", "contact_overdue"): (
        _keys(("relationships_contactcadence", "overdue_since")),
        "true: the few overdue accounts, by the partial index; false: the rest (an anti-join)",
    ),
    # The portfolio's sorts added with its sortable headers (issue 11) read what no single index orders: they sort
    # the visible accounts (a manager's few thousand; the director's every account — README, Performance).
    ("AccountFilterSet", "ordering:stage"): ((), "the ladder's rank of the stage (an expression): a sort of the rows"),
    ("AccountFilterSet", "ordering:key_status"): ((), "the key status's rank (an expression): a sort of the rows"),
    ("AccountFilterSet", "ordering:owner"): ((), "the owner's name (a join to the users): a sort of the rows"),
    ("AccountFilterSet", "ordering:revenue_12m"): ((), "the current run's 12-month revenue (a join): a sort"),
    ("AccountFilterSet", "ordering:contact_count"): ((), "a count of each account's contacts: a sort of the rows"),
    ("AccountFilterSet", "ordering:last_contact_at"): ((), "each account's latest interaction: a sort of the rows"),
    ("ApiTokenFilterSet", "ordering:user__username"): ((), "the owner's name (a join): a few tokens per user"),
    ("ApiTokenFilterSet", "ordering:revoked_at"): ((), "active or revoked (an expression): a few tokens per user"),
    ("AccountFilterSet", "kas_min"): (
        (Key("accounts_accountscore", ("run_id", "kas")),),
        "the current run's scores from the KAS bound on",
    ),
    ("AccountFilterSet", "kas_max"): (
        (Key("accounts_accountscore", ("run_id", "kas")),),
        "the current run's scores up to the KAS bound",
    ),
    # Not served at volume, though: the score is LEFT JOINed (unscored accounts sort last), which PostgreSQL does
    # not read off the score's index in order; the portfolio sorted by KAS sorts every visible account (README).
    ("AccountFilterSet", "ordering:kas"): (
        (Key("accounts_accountscore", ("run_id", "kas")),),
        "the current run's scores in KAS order (the join sorts: see README)",
    ),
    ("AccountFilterSet", "ordering:last_scored_at"): (
        (Key("accounts_accountscore", ("run_id", "account_id")),),
        "the current run's finish, the same for every account it scored (the join sorts: see README)",
    ),
    ("ContactFilterSet", "search"): (
        _keys(
            ("accounts_contact", "name", "trigram"),
            ("accounts_contact", "email", "trigram"),
            ("accounts_contact", "job_title", "trigram"),
        ),
        "name, email or job title containing it: a BitmapOr of three trigram indexes",
    ),
    ("AccountPlanFilterSet", "in_force_on"): (
        _keys(("relationships_accountplan", "period_start")),
        "plans started by that day (and not ended before it)",
    ),
    ("ActionItemFilterSet", "overdue"): (
        _keys(("relationships_actionitem", "due")),
        "past due and pending",
    ),
    ("NotificationFilterSet", "unread"): (
        _keys(("kam_notification", "recipient_id")),
        "the caller's notifications (read or not: by recipient; unread: the partial index)",
    ),
    ("ApiTokenFilterSet", "mine"): ((), "a small table: " + SMALL_TABLES["kam_apitoken"]),
    ("ApiTokenFilterSet", "active"): ((), "a small table: " + SMALL_TABLES["kam_apitoken"]),
    ("NotificationViewSet", "default order"): (
        (Key("kam_notification", ("recipient_id", "created_at")),),
        "the caller's notifications, newest first",
    ),
    ("WebhookDeliveryFilterSet", "event"): (
        _keys(("kam_webhookdelivery", "event_id")),
        "deliveries (newest first, or a subscription's) joined to their event by its primary key: the outbox, "
        "written by triggers on every change, takes no index for it",
    ),
}


def _declared(key: tuple[str, str]) -> tuple[tuple[Key, ...], str, str] | None:
    """(keys, note, exemption) said in DECLARED for ``key``, if anything."""
    if key not in DECLARED:
        return None
    keys, note = DECLARED[key]
    return keys, note, "" if keys else note


def _filter_entry(listing: str, filterset: type[FilterSet], name: str, declared: Filter) -> ListFilter:
    said = _declared((filterset.__name__, name))
    if said is not None:
        keys, note, exempt = said
    elif getattr(declared, "method", None):
        keys, note, exempt = (), "a method filter: say in DECLARED what serves it", ""
    else:
        lookup = declared.lookup_expr.split("__")[-1]
        keys, exempt = _column_keys(filterset._meta.model, declared.field_name, lookup=lookup)
        note = ""
    return ListFilter(listing, name, {name: "?"}, keys, note, exempt, filterset)


def _ordering_entries(listing: str, filterset: type[FilterSet], ordering: OrderingFilter) -> list[ListFilter]:
    found = []
    for param, field_name in ordering.param_map.items():
        said = _declared((filterset.__name__, f"ordering:{field_name}"))
        if said is not None:
            keys, note, exempt = said
        elif param in getattr(ordering, "expressions", {}):
            keys, note, exempt = (), "an ordering by expressions (a rank, a name): say in DECLARED what serves it", ""
        else:
            try:
                keys, exempt = _column_keys(filterset._meta.model, field_name)
                note = ""
            except FieldDoesNotExist:
                keys, note, exempt = (), "an ordering by an annotation: say in DECLARED what serves it", ""
        for direction in ("", "-"):
            params = {"ordering": f"{direction}{param}"}
            wanted = keys
            if direction and said is None and keys and _nullable(filterset._meta.model, field_name):
                wanted = (*keys[:-1], replace(keys[-1], descending_nulls_last=True))
            found.append(ListFilter(listing, f"ordering={direction}{param}", params, wanted, note, exempt, filterset))
    return found


def _nullable(model: type[models.Model], field_name: str) -> bool:
    """Whether the column ``field_name`` (``user__username`` follows the relation) may be NULL; a relation that
    may be missing makes it NULL too."""
    *relations, last = field_name.split("__")
    for part in relations:
        relation = model._meta.get_field(part)
        if relation.null:
            return True
        model = relation.related_model
    return bool(model._meta.get_field(last).null)


def _order_field(term: Any) -> str:
    """The field an ordering term sorts by: ``"-order_date"``, ``F("due").asc(nulls_last=True)``."""
    if isinstance(term, OrderBy):
        term = term.expression
    if isinstance(term, F):
        return term.name
    return str(term).lstrip("-")


def _default_order_entry(listing: str, viewset: Any, queryset: models.QuerySet) -> ListFilter:
    """The list's order without ``ordering``: served by an index on its first field (or said in DECLARED)."""
    order = list(queryset.query.order_by or queryset.model._meta.ordering)
    shown = ", ".join(("-" if getattr(term, "descending", False) else "") + _order_field(term) for term in order)
    first = _order_field(order[0]) if order else "pk"
    said = _declared((viewset.__name__, "default order"))
    if said is not None:
        keys, note, exempt = said
    elif first in ("pk", "id"):
        keys, note, exempt = (), "", "the primary key"
    else:
        keys, exempt = _column_keys(queryset.model, first)
        note = ""
    return ListFilter(listing, "default order", {}, keys, f"{shown}; {note}" if note else shown, exempt, None, viewset)


def api_lists() -> list[tuple[str, Any]]:
    """(basename, viewset) of every API list."""
    from kam.api.urls import router

    return [(basename, viewset) for _prefix, viewset, basename in router.registry if hasattr(viewset, "list")]


def list_filters(*, queryset_of: Any) -> list[ListFilter]:
    """Every filter, ordering and default order of every API list (and so of the pages that share their
    FilterSets); ``queryset_of(viewset)`` is the list's queryset, whose order is its default order."""
    entries: list[ListFilter] = []
    for basename, viewset in api_lists():
        found: list[ListFilter] = []
        filterset = getattr(viewset, "filterset_class", None)
        if filterset is not None and viewset.filter_backends:
            for name, declared in filterset.base_filters.items():
                if isinstance(declared, OrderingFilter):
                    found += _ordering_entries(basename, filterset, declared)
                else:
                    found.append(_filter_entry(basename, filterset, name, declared))
        found.append(_default_order_entry(basename, viewset, queryset_of(viewset)))
        entries += [replace(entry, viewset=viewset) for entry in found]
    return entries
