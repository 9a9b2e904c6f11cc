"""Time ``POST /api/v1/orders/bulk/`` with 5,000 new orders, then the same 5,000 again (unchanged), then with new
amounts (real updates) — through Django's test client, so parsing, validation, the write and the JSON answer count.

    .venv/bin/python -m kam.stack exec python bench/bulk_upsert.py [--records 5000] [--accounts 50]

It runs in a database of its own, ``kam_bench_bulk`` on the configured server, created and migrated for the run
and dropped afterwards, so the developer's data is never touched; its rows (an integration user, its token,
accounts and orders) are named ``BENCH-BULK-…`` all the same. The target is well under 2 s per request (≥ 2,500
rows/s for 5,000 records). ``make bench`` calls ``bulk_measure`` last and reports its rows/s.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings.local")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Account, Order  # noqa: E402
from kam.api_tokens import api_token_create  # noqa: E402
from kam.roles import INTEGRATION  # noqa: E402

DATABASE = "kam_bench_bulk"
PREFIX = "BENCH-BULK-"
URL = "/api/v1/orders/bulk/"


def batch(records: int, accounts: int, *, cents: int) -> list[dict]:
    start = datetime.date(2025, 1, 1)
    return [
        {
            "account_external_id": f"{PREFIX}ACC-{n % accounts:04d}",
            "external_id": f"{PREFIX}SO-{n:06d}",
            "order_date": (start + datetime.timedelta(days=n % 365)).isoformat(),
            "net_amount": f"{1000 + n}.{cents:02d}",
            "discount_pct": "2.50",
            "service_level": ("standard", "enhanced", "premium")[n % 3],
            "status": "confirmed",
        }
        for n in range(records)
    ]


TARGET_SECONDS = 2.0


def post(client: Client, key: str, body: str, label: str, records: int) -> float:
    """POST one batch, print its figures, and return its wall seconds (parsing, validation, write, answer)."""
    reset_queries()
    began = time.perf_counter()
    response = client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}")
    elapsed = time.perf_counter() - began
    if response.status_code != 200:
        raise RuntimeError(f"{label}: HTTP {response.status_code} {response.content[:500]!r}")
    queries = len(connection.queries) if connection.queries_logged else "n/a"
    if os.environ.get("BENCH_SQL"):
        for query in connection.queries:
            print(f"    {query['time']} s  {query['sql'][:90]!r}")
    print(
        f"bulk: {label:<26} {elapsed * 1000:7.0f} ms  {records / elapsed:7.0f} rows/s  "
        f"queries={queries}  answer={response.json()}",
        flush=True,
    )
    return elapsed


def bulk_measure(*, records: int = 5000, accounts: int = 50) -> dict[str, Any]:
    """In a throwaway database (created, migrated, dropped), time the three posts; the figures (``bulk_upsert``)
    for ``bench/results.json``. The connection is pointed back at the database it had."""
    previous = connection.settings_dict["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = DATABASE
    connection.settings_dict.setdefault("TEST", {})["NAME"] = DATABASE
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        seconds = run(records, accounts)
    finally:
        connection.creation.destroy_test_db(previous, verbosity=0)
    return {
        "bulk_upsert": {
            "records": records,
            "accounts": accounts,
            **{f"{step}_seconds": round(value, 3) for step, value in seconds.items()},
            **{f"{step}_rows_per_second": round(records / value) for step, value in seconds.items()},
        }
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--accounts", type=int, default=50)
    options = parser.parse_args()
    print(bulk_measure(records=options.records, accounts=options.accounts))


def run(records: int, accounts: int) -> dict[str, float]:
    """The posts, in the current (throwaway) database: the seconds of each."""
    user = get_user_model().objects.create_user(username=f"{PREFIX}erp".lower())
    user.groups.add(Group.objects.get_or_create(name=INTEGRATION)[0])
    _token, key = api_token_create(user=user, name="bench")
    Account.objects.bulk_create(
        Account(name=f"{PREFIX}Account {n:04d}", external_id=f"{PREFIX}ACC-{n:04d}") for n in range(accounts)
    )
    client = Client(SERVER_NAME="localhost")
    first = json.dumps(batch(records, accounts, cents=50))
    changed = json.dumps(batch(records, accounts, cents=75))
    print(f"bulk: {records} orders on {accounts} accounts, {len(first) / 1e6:.1f} MB of JSON, database {DATABASE}")
    # A running server has its URLconf, serializers and schema code loaded: keep that one-off cost out.
    post(client, key, "[]", "warm-up (empty list)", 0)
    seconds = {
        "create": post(client, key, first, "create", records),
        "unchanged": post(client, key, first, "re-post (unchanged)", records),
        "update": post(client, key, changed, "re-post (all amounts new)", records),
    }
    assert Order.objects.filter(external_id__startswith=PREFIX).count() == records
    return seconds


if __name__ == "__main__":
    main()
