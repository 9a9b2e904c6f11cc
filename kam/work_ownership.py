"""Who is executing a queued piece of work (a scoring run, an import job), so that a dead worker's work is taken up.

A row says ``running`` once a worker has claimed it; that alone cannot tell a live worker from one that was killed
mid-run (SIGKILL, OOM, a lost host). So the worker also holds a PostgreSQL *session* advisory lock on
``(kind, id)`` from before it claims the row until after it has written the outcome. PostgreSQL drops the lock
with the session: when the worker dies, its connection closes, its transaction rolls back and the lock is free.
Hence:

- a ``running`` row whose lock nobody holds lost its worker (``work_owner_alive`` is false): whoever takes the lock
  may start it again, from the beginning — the work itself is all or nothing, so nothing of the first attempt
  remains;
- a second delivery of the same message waits for the lock, then finds the row finished and leaves it alone.

A worker killed while its backend is busy in a statement leaves that backend running until it next talks to the
client; ``session_notice_dead_client`` makes PostgreSQL check the client every few seconds (PostgreSQL ≥ 14), so
the lock and the row locks of a dead worker go within seconds, not at the end of a long statement.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from django.db import DatabaseError, connection, transaction

logger = logging.getLogger(__name__)

# Advisory lock classes (the two-int form, apart from the one-bigint keys of the periodic jobs): "KAM" + 0x10…
SCORING_RUN = 0x4B414D10
IMPORT_JOB = 0x4B414D11

DEAD_CLIENT_CHECK = "2s"


@contextlib.contextmanager
def work_owned(*, kind: int, pk: int, wait_seconds: float) -> Iterator[bool]:
    """Hold the ownership lock of ``(kind, pk)`` for the ``with`` block, waiting up to ``wait_seconds`` for a
    live owner to let go; yields False (and holds nothing) when it still had not."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # SET LOCAL needs one; a session lock outlives it
            cursor.execute("SET LOCAL lock_timeout = %s", [f"{max(1, int(wait_seconds * 1000))}ms"])
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [kind, pk])
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")  # inside a caller's transaction, too
    except DatabaseError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != "55P03":  # lock_not_available: a live owner kept it
            raise
        owned = False
    else:
        owned = True
    if not owned:
        yield False
        return
    try:
        yield True
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [kind, pk])
        except DatabaseError:
            # The connection broke: the session, and its lock, are gone with it.
            logger.warning("could not release the ownership lock of %s/%s", kind, pk, exc_info=True)


def work_owner_alive_sql(*, kind: int, id_column: str) -> str:
    """A SQL condition, true while some session holds the ownership lock of the row ``id_column`` names."""
    return f"""EXISTS (SELECT 1 FROM pg_locks l
                        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                          AND l.classid = {int(kind)}::oid AND l.objid = ({id_column})::oid)"""  # noqa: S608 (an int and a column name of the caller's)


def session_notice_dead_client() -> None:
    """Within the current transaction, have PostgreSQL check every few seconds that the client is still there
    and abort the statement (and the transaction) when it is not."""
    if connection.pg_version >= 140000:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL client_connection_check_interval = %s", [DEAD_CLIENT_CHECK])
