"""Every filter and ordering the lists offer is served by an index (issue 10): for each one ``list_catalog`` finds —
every filter, ordering field and default order of every API list, whose FilterSets the pages share — an index
leads with the column (or expression) it reads. A new filter or ordering without one fails here; ``bench/explain.py``
shows what the plans make of them at volume."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from tests.kam.list_catalog import Key, ListFilter, list_filters

pytestmark = pytest.mark.django_db


def _leading(definition: str) -> tuple[str, str]:
    """(access method, first key) of a ``CREATE INDEX`` statement."""
    found = re.search(r" USING (\w+) \((.*)\)", definition)
    assert found, definition
    keys = found.group(2)
    depth = 0
    for position, char in enumerate(keys):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            return found.group(1), keys[:position]
    return found.group(1), keys


def indexes_of(table: str) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [c for c in constraints.values() if c["index"] or c["unique"] or c["primary_key"]]


def index_definitions(table: str) -> list[str]:
    """``CREATE INDEX`` statements of ``table``'s indexes (``get_constraints`` tells no NULLS order)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return [row[0] for row in cursor.fetchall()]


def is_served(key: Key) -> bool:
    """An index of ``key.table`` leads with ``key``: its columns, or its expression with the access method asked
    for — or a trigram GIN index on the expression where a btree is asked for (pg_trgm ≥ 1.4 answers ``=`` too)."""
    if key.descending_nulls_last:
        return any(
            re.search(rf" USING btree \({key.columns[0]} DESC NULLS LAST[,)]", definition)
            for definition in index_definitions(key.table)
        )
    for index in indexes_of(key.table):
        if key.expression:
            if not index.get("definition"):
                continue
            method, first = _leading(index["definition"])
            wanted = f"{key.expression}(({key.columns[0]})::text)"
            methods = {key.method, "gin"} if key.method == "btree" else {key.method}
            if method in methods and first.split(" ")[0] == wanted:
                return True
        elif list(index["columns"][: len(key.columns)]) == list(key.columns) and index.get("type") != "gin":
            return True
    return False


def queryset_of(director):
    def of(viewset):
        request = Request(APIRequestFactory().get("/"))
        request.user = director
        view = viewset(request=request, action="list", kwargs={}, format_kwarg=None)
        return view.get_queryset()

    return of


def test_the_catalog_finds_every_list_and_filter(director):
    entries = list_filters(queryset_of=queryset_of(director))
    names = {(entry.listing, entry.name) for entry in entries}
    # a few that must be there: the portfolio's search and KAS sort, an evidence list's date range, default orders
    assert {("account", "search"), ("account", "ordering=-kas"), ("order", "order_date_after")} <= names
    assert ("order", "default order") in names and ("notification", "unread") in names


def test_every_filter_and_ordering_is_served_by_an_index(director):
    entries: list[ListFilter] = list_filters(queryset_of=queryset_of(director))
    unserved = []
    for entry in entries:
        if not entry.keys and not entry.exempt:
            unserved.append(f"{entry.listing} {entry.name}: {entry.note or 'nothing serves it'}")
        for key in entry.keys:
            if not is_served(key):
                unserved.append(f"{entry.listing} {entry.name}: no index leads with {key}")
    assert unserved == [], "\n" + "\n".join(sorted(set(unserved)))
