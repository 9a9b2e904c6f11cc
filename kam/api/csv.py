"""CSV from every API list: ``?format=csv`` or ``Accept: text/csv`` on any list operation answers the whole
filtered, ordered set (not one page) as a streamed CSV download.

It is wired once, globally, in ``REST_FRAMEWORK`` — a list written tomorrow has it without opting in:

- :class:`CsvRenderer` is a default renderer, so ``text/csv`` and ``format=csv`` are negotiable;
- :class:`ListOnlyCsvNegotiation` offers it to list operations only: on a detail or a write, ``Accept: text/csv``
  is a 406 and ``?format=csv`` a 404 (DRF's answer to a format the URL does not have), as before CSV existed;
- :class:`CsvPagination` is the lists' paginator: asked for CSV, it takes the queryset the list built — the
  view's selector (visibility) with its filters and ordering — and streams every row of it instead of a page.

Rows are the list's own serializer's output, flattened to one line each: a nested object of a fixed shape (a
nested serializer) becomes ``parent.child`` columns; free-shaped values (JSON fields, lists such as a team's
user ids) are written as compact JSON text; booleans as ``true``/``false``; null as an empty cell. Foreign keys
are ids, as in JSON. The header row is the column names. Errors (400, 401, 403, 429…) stay JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse
from rest_framework import mixins, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer

from kam.api.pagination import KamPagination
from kam.csv_export import csv_lines, csv_streaming_response, records

CSV_MEDIA_TYPE = "text/csv"
CSV_FORMAT = "csv"
API_PREFIX = ("api", "v1")


def is_list_operation(view: Any, method: str | None) -> bool:
    """The operation reads a list: a viewset's ``list`` action, or a GET of a plain list view (``ListAPIView``)."""
    if view is None or (method or "").upper() not in ("GET", "HEAD"):
        return False
    # A viewset (``get_extra_actions`` is ViewSetMixin's; importing it here would be circular: this module is a
    # default renderer's, which DRF's views import).
    if hasattr(view, "get_extra_actions"):
        return getattr(view, "action", None) == "list"
    return isinstance(view, mixins.ListModelMixin)


def csv_requested(request: Any) -> bool:
    return isinstance(getattr(request, "accepted_renderer", None), CsvRenderer)


# --- flattening -------------------------------------------------------------------------------------------------


def csv_columns(serializer: serializers.Serializer, prefix: str = "") -> list[tuple[str, ...]]:
    """The column paths of ``serializer``'s output: one per readable field, a nested serializer's fields under
    its name (``("owner", "username")`` → header ``owner.username``)."""
    columns: list[tuple[str, ...]] = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        if isinstance(field, serializers.Serializer):
            columns += [(name, *path) for path in csv_columns(field)]
        else:
            columns.append((name,))
    return columns


def csv_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    return value


def _cell(representation: Any, path: tuple[str, ...]) -> Any:
    value = representation
    for name in path:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return csv_value(value)


def csv_records(serializer: serializers.Serializer, rows: Any) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and the flattened rows of ``rows`` as ``serializer`` shows them."""
    columns = csv_columns(serializer)
    header = [".".join(path) for path in columns]
    lines = ([_cell(serializer.to_representation(row), path) for path in columns] for row in rows)
    return header, lines


def csv_resource(path: str) -> str:
    """The download's name from the list's path: ``/api/v1/advocacy-events/`` → ``advocacy-events``,
    ``/api/v1/accounts/7/scores/`` → ``accounts-7-scores``."""
    segments = [segment for segment in path.split("/") if segment]
    if tuple(segments[: len(API_PREFIX)]) == API_PREFIX:
        segments = segments[len(API_PREFIX) :]
    return "-".join(segments) or "export"


# --- DRF plumbing -----------------------------------------------------------------------------------------------


class CsvRenderer(BaseRenderer):
    """``text/csv``. Lists stream through :class:`CsvPagination` and never reach :meth:`render`; what does is an
    error (or an unpaginated body), which is answered as JSON — an error is never a spreadsheet."""

    media_type = CSV_MEDIA_TYPE
    format = CSV_FORMAT
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        context = renderer_context or {}
        response = context.get("response")
        rows = data.get("results") if isinstance(data, dict) else data
        succeeded = response is None or response.status_code < 400
        if succeeded and isinstance(rows, list) and all(isinstance(row, dict) for row in rows):
            header = sorted({name for row in rows for name in row})
            return "".join(csv_lines(header=header, rows=([csv_value(row.get(n)) for n in header] for row in rows)))
        if response is not None:
            response["Content-Type"] = "application/json"
        return JSONRenderer().render(data, "application/json", renderer_context)


class ListOnlyCsvNegotiation(DefaultContentNegotiation):
    """Offer CSV on list operations only; everything else negotiates among the other renderers as before."""

    def select_renderer(self, request, renderers, format_suffix=None):
        view = (getattr(request, "parser_context", None) or {}).get("view")
        # A method the view has no handler for is answered 405 after negotiation: negotiation must not refuse it
        # first (a TRACE of ``…/?format=csv`` is a 405, not a 404); that error is JSON anyway (CsvRenderer.render).
        unhandled = view is not None and not hasattr(view, (request.method or "").lower())
        if not unhandled and not is_list_operation(view, request.method):
            renderers = [renderer for renderer in renderers if not isinstance(renderer, CsvRenderer)]
        return super().select_renderer(request, renderers, format_suffix)


class CsvPagination(KamPagination):
    """Pages for JSON; for CSV the whole filtered set, streamed. ``page`` and ``page_size`` are still checked
    (a malformed one is a 400 either way) but do not cut the CSV."""

    csv_source: tuple[Any, Any] | None = None

    def paginate_queryset(self, queryset, request, view=None):
        if not csv_requested(request):
            return super().paginate_queryset(queryset, request, view)
        self.get_page_size(request)
        page = request.query_params.get(self.page_query_param)
        if page is not None and page != "last" and not (page.isdigit() and int(page) >= 1):
            raise serializers.ValidationError({"page": ["A page number from 1 is required."]})
        self.request = request
        self.csv_source = (queryset, view)
        return []

    def get_paginated_response(self, data):
        if self.csv_source is None:
            return super().get_paginated_response(data)
        queryset, view = self.csv_source
        return csv_list_response(queryset=queryset, view=view, request=self.request)


def csv_list_response(*, queryset: Any, view: Any, request: Any) -> StreamingHttpResponse:
    """Every row of ``queryset`` through ``view``'s serializer, flattened, as a CSV download."""
    header, rows = csv_records(view.get_serializer(), records(queryset))
    return csv_streaming_response(header=header, rows=rows, resource=csv_resource(request.path))
