"""Progress of long work written where a page can read it while the work is still going.

A scoring run and a CSV import each run in one transaction, all or nothing, so nothing they write is visible
before they commit. Their progress (the import's phase and share of the file read, the run's finished steps) is
written on a database connection of its own instead: each statement commits at once, and the page that polls the
job sees it. Progress is a courtesy, never a reason to wait: the update skips the job's row while another
transaction holds it (a caller that claimed the job inside its own transaction), rather than wait for a
transaction this very thread would have to finish.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections


class ProgressWriter:
    """Updates one job's row on a connection opened on first use; ``close`` when the work ends."""

    def __init__(self, *, table: str, pk: int, running: str) -> None:
        self.table, self.pk, self.running = table, pk, running
        self.connection: Any = None

    def update(self, **values: Any) -> None:
        """``SET`` the given columns of the job's row, if it is still ``running`` and nobody holds it."""
        if self.connection is None:
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        table = self.connection.ops.quote_name(self.table)
        assignments = ", ".join(f"{self.connection.ops.quote_name(column)} = %s" for column in values)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {assignments} WHERE id = ("  # noqa: S608 — names from code, values bound
                f"SELECT id FROM {table} WHERE id = %s AND status = %s FOR UPDATE SKIP LOCKED)",
                [*values.values(), self.pk, self.running],
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
