"""CSV import at volume (issue 8: 1,000,000 orders in ≤ 60 s).

``bench/scoring.py`` calls ``imports_measure`` after the load test, in the ``kam_bench`` database, and reports its
seconds and rows per second (the 60 s target is 16,667 rows/s). It writes a CSV file of 1,000,000 new orders
(external ids ``IMP-…``) spread over the accounts of the volume portfolio, times
``accounts.imports.import_csv`` end to end — reading the file, COPY, validation, the upsert and the commit — as
the operator of ``manage.py import_csv``, and then deletes what it imported (set-based), so the portfolio is left
as it was.

The ladder evaluations the import asks for on commit are counted, not sent: nothing consumes the bench's queue,
and a worker of the developer's database must not take them.

    .venv/bin/python -m kam.stack exec python bench/imports.py [--orders 1000000]   # alone, against kam_bench
"""

from __future__ import annotations

import datetime
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ORDERS = 1_000_000
PREFIX = "IMP-"
TARGET_SECONDS = 60.0
HEADER = "account_external_id,external_id,order_date,net_amount,discount_pct,service_level,status\n"


def _csv_write(path: Path, orders: int, external_ids: list[str]) -> int:
    """The file: random accounts, dates over two years, amounts with cents; returns its size in bytes."""
    rng = random.Random(8)  # noqa: S311 — reproducible test data
    start = datetime.date.today() - datetime.timedelta(days=730)
    days = [(start + datetime.timedelta(days=n)).isoformat() for n in range(730)]
    levels = ("standard", "standard", "enhanced", "premium")
    statuses = ("fulfilled", "fulfilled", "fulfilled", "confirmed", "cancelled")
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        batch = []
        for n in range(orders):
            batch.append(
                f"{rng.choice(external_ids)},{PREFIX}{n:07d},{rng.choice(days)},"
                f"{rng.randrange(10_000, 5_000_000) / 100:.2f},"
                f"{rng.choice((0, 0, 2.5, 5, 10))},{rng.choice(levels)},{rng.choice(statuses)}\n"
            )
            if len(batch) == 10_000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
    return path.stat().st_size


def imports_measure(orders: int = ORDERS) -> dict[str, Any]:
    """Time the import of ``orders`` new orders; their figures (``import_*``) for ``bench/results.json``."""
    from django.db import connection

    import accounts.imports as imports
    from accounts.models import Account, Order
    from accounts.volume import rows_delete
    from audit.models import AuditEntry

    leftovers = Order.objects.filter(external_id__startswith=PREFIX)
    if leftovers.exists():  # an interrupted earlier bench
        rows_delete(leftovers)
    # The audit trail of the import and of its undoing (2,000,000 entries) goes too, so every bench imports into
    # the same audit table rather than one growing by two million entries a run.
    audited_before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    external_ids = list(
        Account.objects.filter(external_id__isnull=False).order_by("pk").values_list("external_id", flat=True)
    )
    evaluated: list[int] = []
    sent = imports.ladder_evaluate_on_commit
    imports.ladder_evaluate_on_commit = lambda ids: evaluated.extend(ids)  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        started = time.monotonic()
        size = _csv_write(path, orders, external_ids)
        print(
            f"imports: {orders:,} orders ({size / 1e6:.0f} MB) written in {time.monotonic() - started:.1f} s",
            flush=True,
        )
        phases: dict[str, float] = {}
        began = time.monotonic()

        def progress(phase: str, done: int, total: int | None) -> None:
            phases.setdefault(phase, round(time.monotonic() - began, 2))

        try:
            with path.open("rb") as file:
                started = time.monotonic()
                result = imports.import_csv(kind="orders", file=file, progress=progress)
                seconds = time.monotonic() - started
        finally:
            imports.ladder_evaluate_on_commit = sent  # type: ignore[assignment]
    if not result.ok:
        raise RuntimeError(f"the bench's import was refused: {result.errors[:5]}")
    print(
        f"imports: {result.rows:,} rows in {seconds:.1f} s ({result.rows / seconds:,.0f} rows/s), created "
        f"{result.created:,}; phases start at {phases} s; {len(set(evaluated)):,} accounts' ladders to evaluate",
        flush=True,
    )
    started = time.monotonic()
    deleted = rows_delete(Order.objects.filter(external_id__startswith=PREFIX))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {AuditEntry._meta.db_table} WHERE id > %s AND table_name = %s",  # noqa: S608
            [audited_before, Order._meta.db_table],
        )
        cursor.execute("VACUUM (ANALYZE) accounts_order")
        cursor.execute(f"VACUUM (ANALYZE) {AuditEntry._meta.db_table}")
    print(f"imports: {sum(deleted.values()):,} rows deleted again in {time.monotonic() - started:.1f} s", flush=True)
    return {
        "import_orders": result.rows,
        "import_file_mb": round(size / 1e6, 1),
        "import_seconds": round(seconds, 2),
        "import_rows_per_second": round(result.rows / seconds),
        "import_phase_starts_s": phases,
    }


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings.local")
    import django

    django.setup()
    from django.db import connection

    connection.settings_dict["NAME"] = "kam_bench"
    connection.close()
    count = int(sys.argv[sys.argv.index("--orders") + 1]) if "--orders" in sys.argv else ORDERS
    print(imports_measure(count))
