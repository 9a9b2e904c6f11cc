"""``{% csv_export_url %}``: the current page's URL asking for its CSV — same filters and sort, no page number
(the download has every row, not one page)."""

from __future__ import annotations

from typing import Any

from django import template

from kam.csv_export import EXPORT_PARAMETER

register = template.Library()


@register.simple_tag(takes_context=True)
def csv_export_url(context: Any) -> str:
    request = context["request"]
    query = request.GET.copy()
    query.pop("page", None)
    query[EXPORT_PARAMETER] = "csv"
    return f"{request.path}?{query.urlencode()}"
