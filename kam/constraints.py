"""Translate a violated model constraint into errors that name the fields it protects.

Every constraint in KAM carries ``violation_error_code`` equal to its name. Whether a violation is caught
by ``full_clean()`` (a ``ValidationError`` with that code) or only by PostgreSQL (an ``IntegrityError``
naming the constraint), the same lookup turns it into ``{field: [message]}`` so pages and the API can say
which field is wrong.
"""

from __future__ import annotations

import functools
from typing import Any

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import BaseConstraint, CheckConstraint, F, Q, UniqueConstraint


def _fields_in_q(condition: Any) -> list[str]:
    names: list[str] = []
    for child in condition.children:
        if isinstance(child, Q):
            names.extend(_fields_in_q(child))
        else:
            lookup, value = child
            names.append(lookup.split("__")[0])
            if isinstance(value, F):
                names.append(str(value.name).split("__")[0])  # type: ignore[attr-defined]
    return names


def _fields_in_expression(expression: Any) -> list[str]:
    if isinstance(expression, F):
        return [str(expression.name)]  # type: ignore[attr-defined]
    names: list[str] = []
    for source in expression.get_source_expressions():
        if source is not None:
            names.extend(_fields_in_expression(source))
    return names


def constraint_fields(constraint: BaseConstraint) -> list[str]:
    """The fields a constraint is about, in the order they appear: the first one is blamed.

    ``due_date >= issue_date`` blames ``due_date``. A constraint whose first field is not the culprit names
    it in its ``violation_error_code`` as ``<constraint name>:<field>``.
    """
    if isinstance(constraint, UniqueConstraint):
        if constraint.fields:
            return list(constraint.fields)
        names: list[str] = []
        for expression in constraint.expressions:
            names.extend(_fields_in_expression(expression))
        return [name for name in names if name]
    if isinstance(constraint, CheckConstraint):
        condition = constraint.condition
        names = _fields_in_q(condition) if isinstance(condition, Q) else _fields_in_expression(condition)
        return list(dict.fromkeys(names))
    return []


@functools.cache
def _constraint_index() -> dict[str, BaseConstraint]:
    return {constraint.name: constraint for model in apps.get_models() for constraint in model._meta.constraints}


def field_for_constraint(name: str) -> tuple[str, str] | None:
    """(field, message) for a constraint name, or None when no model declares it."""
    constraint = _constraint_index().get(name)
    if constraint is None:
        return None
    code = constraint.violation_error_code or ""
    blamed = code.split(":", 1)[1] if ":" in code else None
    fields = constraint_fields(constraint)
    field = blamed or (fields[0] if fields else NON_FIELD_ERRORS)
    return field, str(constraint.get_violation_error_message())


def errors_by_field(error: ValidationError) -> dict[str, list[str]]:
    """A ``ValidationError`` as ``{field: [messages]}``; constraint errors moved onto their field."""
    result: dict[str, list[str]] = {}
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                target = field
                if field == NON_FIELD_ERRORS and item.code:
                    found = field_for_constraint(item.code.split(":", 1)[0])
                    if found:
                        target = found[0]
                result.setdefault(target, []).extend(item.messages)
    else:
        result.setdefault(NON_FIELD_ERRORS, []).extend(error.messages)
    return result
