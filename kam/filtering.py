"""Filters shared by the FilterSets of every app (pages and API use the same FilterSet)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, F, Model, Value, When
from django.utils import timezone
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.utils import extend_schema_field

BOOLEAN_CHOICES = (("true", "Yes"), ("false", "No"))


@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class StrictBooleanFilter(django_filters.ChoiceFilter):
    """``true``/``false`` only: anything else is a 400 naming the filter, never silently "no filter"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", BOOLEAN_CHOICES)
        kwargs.setdefault("widget", forms.Select)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in ("", None):
            return qs
        return super().filter(qs, value == "true")


def rank_of(field: str, codes: list[str]) -> Case:
    """A choice field's position in ``codes`` (their declaration order: ladder rungs, key statuses lowest first),
    so sorting follows the meaning, not the alphabet."""
    return Case(*(When(**{field: code}, then=Value(rank)) for rank, code in enumerate(codes)), default=Value(None))


def _may_be_null(model: type[Model], name: str) -> bool:
    """Whether the column or annotation ``name`` of ``model``'s rows may be NULL (an annotation may: a LEFT JOIN)."""
    try:
        return model._meta.get_field(name).null
    except FieldDoesNotExist:
        return True


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Sorts with empty values (an unscored account's KAS) last in either direction, and the primary key as
    the final tie-breaker (descending after a descending NOT NULL column), so pages of a sort with ties never
    overlap. Pages and API share it.

    ``expressions`` sorts a parameter by expressions rather than by its field: a choice by its rank
    (``rank_of``), a person by their name.

    ``NULLS LAST`` is said only of what may be NULL: on a NOT NULL column it changes no order, but PostgreSQL
    would then not read a descending sort backwards off the column's index (an index is ``ASC NULLS LAST``, so
    read backwards ``DESC NULLS FIRST``) and would sort the whole table for every page instead."""

    def __init__(self, *args, expressions: dict[str, list[Any]] | None = None, **kwargs):
        self.expressions = expressions or {}
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        terms = []
        tie_breaker = "pk"
        for param in dict.fromkeys(param for param in value if param):
            name = param.removeprefix("-")
            field = self.param_map[name]
            expressions = self.expressions.get(name)
            # an expression (a rank, a name) may be NULL; a column only if the model says so
            nulls_last = True if expressions or _may_be_null(qs.model, field) else None
            descending = param.startswith("-")
            for expression in expressions or [F(field)]:
                term = expression.desc if descending else expression.asc
                terms.append(term(nulls_last=nulls_last))
            # The primary key runs the way a ``(column, id)`` index reads: backwards for a descending NOT NULL
            # column (ascending, a sort sharing one value — 1,000,000 orders imported in one statement share
            # created_at — had to be sorted whole), forwards after DESC NULLS LAST, as its own index holds it.
            tie_breaker = "-pk" if descending and nulls_last is None else "pk"
        return qs.order_by(*terms, tie_breaker)


@extend_schema_field(
    {
        "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}],
        "description": "ISO 8601 date (YYYY-MM-DD); empty means any.",
    }
)
class IsoDateFilter(django_filters.DateFilter):
    """A date in ISO 8601 only (the schema's ``format: date``), not the locale's other input formats; an empty
    value means "any", as the pages' filter forms send it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(*args, **kwargs)


class IsoDayOfFilter(IsoDateFilter):
    """A date-time on or after (``lookup_expr="gte"``) or on or before (``"lte"``) a calendar day of the current
    time zone, compared as the instants where that day starts and the next one starts: what ``__date__gte`` /
    ``__date__lte`` answer, but in a form an index on the date-time column serves (``__date`` casts every row's
    value to a date first)."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        if self.lookup_expr == "gte":
            return qs.filter(**{f"{self.field_name}__gte": _day_start(value)})
        return qs.filter(**{f"{self.field_name}__lt": _day_start(value + datetime.timedelta(days=1))})


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), timezone.get_current_timezone())


class UpperCaseFilter(django_filters.CharFilter):
    """Equal to the value in capitals, for a column that holds capitals only (a check constraint says so, e.g. a
    country code): what ``iexact`` answers, but in a form the column's own index serves (``iexact`` compares
    ``UPPER(column)``). A value with other than ASCII characters matches nothing, as under ``iexact`` (no stored
    value has them, and Python's capitals of them are not always PostgreSQL's)."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.filter(**{self.field_name: value.upper()}) if value.isascii() else qs.none()


class _WholeNumberField(forms.IntegerField):
    """Digits only: ``0.5`` or ``1.0`` is not a whole number (forms.IntegerField would take ``1.0``)."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not re.fullmatch(r"-?\d+", value.strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field(
    {
        "anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 0}],
        "description": "A whole number; empty means any.",
    }
)
class IntegerFilter(django_filters.NumberFilter):
    field_class = _WholeNumberField


class _ChoicesField(forms.MultipleChoiceField):
    """Empty values are dropped ("any"): ``?status=`` is every status, ``?status=&status=open`` the open ones."""

    def clean(self, value):
        if isinstance(value, list | tuple):
            value = [item for item in value if item not in ("", None)]
        return super().clean(value)


class ChoicesFilter(django_filters.MultipleChoiceFilter):
    """One or more codes (``?status=open&status=won``); an empty value means any, as the pages' forms send it and
    the schema admits (``kam.api.schema.empty_filter_values``)."""

    field_class = _ChoicesField


@extend_schema_field(
    {
        "anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 0}],
        "description": "An id; empty means any.",
    }
)
class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """One object by its id (``?owner=7``); an empty value means any, as the pages' filter forms send it."""

    field_class = forms.ModelChoiceField
