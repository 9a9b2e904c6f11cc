"""Template tags shared by the pages: the dashboard's table cells, list pagination, sortable column headers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.http import QueryDict

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
    """``?…&page=N``: the current list's query (its filters and sort) with another page number."""
    return list_query(context["request"], {"page": number})


@register.filter
def page_numbers(page: Any) -> Any:
    """The page numbers a list links to: the first, the last, two either side of the current one, and
    ``Paginator.ELLIPSIS`` for the gaps."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


def list_query(request: Any, changes: dict[str, Any]) -> str:
    """``?…``: the current list's query with ``changes`` applied (None drops a key) and empty values left out, so
    a link keeps the list's filters and stays short."""
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [value for value in values if value != ""]
        if kept and key not in changes:
            params.setlist(key, kept)
    for key, value in changes.items():
        if value not in (None, ""):
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.inclusion_tag("partials/sort_header.html", takes_context=True)
def sort_header(
    context: template.Context,
    field: str,
    label: str,
    align: str = "",
    first: str = "asc",
    htmx: bool = False,
    classes: str = "",
) -> dict[str, Any]:
    """A column header that sorts its list by ``field`` (one the list's FilterSet orders by), keeping the
    filters and going back to the first page; a second click reverses the order. ``first="desc"`` starts with
    the largest (amounts, scores, dates where the latest matters); ``htmx`` when the list swaps itself in place;
    ``classes`` for the cell (``d-none d-xl-table-cell`` for a column only wide windows show).
    The list's view puts the order it applied in the context as ``ordering``."""
    current = (context.get("ordering") or "").split(",")[0]
    direction = "ascending" if current == field else "descending" if current == f"-{field}" else ""
    if direction:
        target = f"-{field}" if direction == "ascending" else field
    else:
        target = f"-{field}" if first == "desc" else field
    return {
        "label": label,
        "align": align,
        "classes": classes,
        "direction": direction,
        "next_direction": "descending" if target.startswith("-") else "ascending",
        "htmx": htmx,
        "url": list_query(context["request"], {"ordering": target, "page": None}),
    }
