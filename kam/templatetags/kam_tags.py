"""Template tags of the project-level pages: the dashboard's table cells, list pagination."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


@register.filter
def figure(value: Any) -> str:
    """A table cell: numbers with thousands separators and the decimals they carry (money has two, shares one),
    nothing as a dash, anything else as it is."""
    if value is None or value == "":
        return "—"
    if is_number(value):
        return f"{value:,}"
    return str(value)


@register.simple_tag(takes_context=True)
def page_url(context: Any, number: int) -> str:
    """``?…&page=N``: the current list's query (its filters) with another page number."""
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"
