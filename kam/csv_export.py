"""CSV downloads, streamed: one header row, then one row per record, written as the rows are read so memory stays
flat however long the list. The pages' "Export CSV" links and the API's ``text/csv`` lists both write through
here, and every cell goes through :func:`csv_cell`, so text a spreadsheet would run as a formula never does.

A page exports with :func:`csv_page_response`: the rows its selector and filters give (all of them, not one page)
and a column spec, a list of :class:`Column`.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# Rows fetched per round trip: a server-side cursor (and each chunk's prefetches) per this many records, so the
# number of queries grows with rows / CHUNK_SIZE only — constant for any list a person reads.
CHUNK_SIZE = 2000
# The query parameter the pages read: ``?export=csv`` downloads what the page shows, with its filters and sort.
EXPORT_PARAMETER = "export"
# Characters that make a spreadsheet read a cell as a formula (or, for tab and CR, hide one after them).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A plain number written as text (the API's money is a decimal string) is no formula, even when negative.
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def csv_cell(cell: Any) -> Any:
    """A cell as a spreadsheet should read it: nothing as empty, and text that a spreadsheet would take for a
    formula (an account named ``=HYPERLINK(…)``) quoted with a leading apostrophe. Numbers stay numbers."""
    if cell is None:
        return ""
    if isinstance(cell, str) and cell[:1] in FORMULA_PREFIXES and not PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


class _Line:
    """A file-like target for ``csv.writer`` that hands back each written line instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(*, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The header, then each row, as CSV lines (``\\n``-terminated, as the dashboard's), every cell made safe."""
    writer = csv.writer(_Line(), lineterminator="\n")
    yield writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([csv_cell(cell) for cell in row])


def csv_filename(resource: str) -> str:
    """``<resource>-<today>.csv``, the day in the site's time zone."""
    return f"{resource}-{timezone.localdate():%Y-%m-%d}.csv"


def csv_streaming_response(
    *, header: Sequence[str], rows: Iterable[Sequence[Any]], resource: str
) -> StreamingHttpResponse:
    """A download of ``rows`` under ``header``, named ``<resource>-<today>.csv``."""
    response = StreamingHttpResponse(csv_lines(header=header, rows=rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(resource)}"'
    return response


def records(source: Iterable[Any]) -> Iterator[Any]:
    """Each record of ``source``; a queryset is read in chunks (``.iterator``) rather than all at once."""
    if isinstance(source, QuerySet):
        return source.iterator(chunk_size=CHUNK_SIZE)
    return iter(source)


# --- pages ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a page's export: its header and how to read its cell from a row."""

    header: str
    value: Callable[[Any], Any]


def attr(path: str) -> Callable[[Any], Any]:
    """A cell read by a dotted attribute path (``owner.username``); a missing link in the chain is empty."""
    names = path.split(".")

    def read(row: Any) -> Any:
        value = row
        for name in names:
            if value is None:
                return None
            if isinstance(value, dict):
                value = value[name]
            elif isinstance(value, (tuple, list)) and name.isdigit():  # a row that is a tuple: "0.name"
                value = value[int(name)]
            else:
                try:
                    value = getattr(value, name)
                except ObjectDoesNotExist:  # a one-to-one not made yet (an account never on the ladder)
                    return None
        # a method named by the spec, e.g. get_kind_display (a functools.partial in Django 5, not a bound method)
        return value() if names[-1].startswith("get_") and callable(value) else value

    return read


def col(header: str, path: str | None = None) -> Column:
    """A column named ``header`` read from the attribute ``path`` (default: the header itself)."""
    return Column(header, attr(path or header))


def user_name(path: str) -> Callable[[Any], Any]:
    """A cell with the username of the user at ``path`` (empty when there is none)."""
    read = attr(path)

    def name(row: Any) -> Any:
        user = read(row)
        return user.get_username() if user is not None else None

    return name


def csv_export_requested(request: HttpRequest) -> bool:
    """The page was asked for its CSV (``GET …?export=csv``) rather than its HTML."""
    return request.method in ("GET", "HEAD") and request.GET.get(EXPORT_PARAMETER) == "csv"


def label(choices: Any, path: str) -> Callable[[Any], Any]:
    """A cell with the label of the choice code at ``path`` (``client`` → ``Client``), as the page shows it."""
    read = attr(path)

    def show(row: Any) -> Any:
        code = read(row)
        return choices(code).label if code not in (None, "") else None

    return show


def page_value(value: Any) -> Any:
    """A page's value as a cell: times in the site's time zone to the second, booleans as ``true``/``false``."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds") if timezone.is_aware(value) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_page_response(*, rows: Iterable[Any], columns: Sequence[Column], resource: str) -> StreamingHttpResponse:
    """A page's rows as a CSV download: every row of ``rows`` (the page's selector with its filters and sort, not
    one page of it), one column per entry of ``columns``."""
    return csv_streaming_response(
        header=[column.header for column in columns],
        rows=([page_value(column.value(row)) for column in columns] for row in records(rows)),
        resource=resource,
    )
