"""EXPLAIN ANALYZE, at volume, of every filter and ordering the pages and the API offer (issue 10).

    .venv/bin/python -m kam.stack exec python bench/explain.py [--accounts 100000 --orders 2000000] [--reseed]
        [--only order] [--slow 50] [--json after.json] [--compare before.json]

It works in a database of its own, ``kam_explain`` on the configured server, created, migrated and seeded when
missing (``manage.py seed_volume``: accounts, contacts, orders, invoices, NPS answers, advocacy, contracts), and
kept afterwards; it then gives the portfolio what the lists read beyond that, once: 20 account managers owning the
accounts round-robin and a director, a scoring run as of today (scores and the ladder), the contact cadence, and
three interactions per account.

Then, for every entry of ``tests/kam/list_catalog.py`` — each filter, each ordering (both directions) and the
default order of every API list, whose FilterSets the pages share — it builds the list's queryset as the API does
for the director (every account: the largest lists), applies the filter through the real FilterSet with a value
taken from the data, and EXPLAIN ANALYZEs the page (the first 50 rows) and the count, each once warmed up. It
prints one line per entry: the plan's top node, the indexes it used, the page's and the count's time, ``SEQ``
where a plan scans a big table (more than 50,000 rows) sequentially and ``SLOW`` beyond ``--slow`` ms; with
``--compare`` the times of an earlier ``--json`` beside (before and after a migration, say). The times are of one
warm run each: on a busy machine, compare plans more than milliseconds.
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
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_filters import filters as django_filters  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402

from accounts.volume import DEFAULT_ACCOUNTS, DEFAULT_ORDERS, DEFAULT_SEED, volume_counts  # noqa: E402
from kam.filtering import IntegerFilter, IsoDateFilter, StrictBooleanFilter  # noqa: E402
from kam.roles import ACCOUNT_MANAGER, KAM_DIRECTOR  # noqa: E402
from tests.kam.list_catalog import ListFilter, list_filters  # noqa: E402

DATABASE = "kam_explain"
MANAGERS = 20
DIRECTOR = "explain-director"
PAGE = 50
BIG_TABLE_ROWS = 50_000
INTERACTIONS_PER_ACCOUNT = 3


def database_use() -> None:
    """Point Django's connection at ``kam_explain``, created when missing, and migrate it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
        if cursor.fetchone() is None:
            print(f"creating database {DATABASE}", flush=True)
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(DATABASE)}")
    connection.close()
    connection.settings_dict["NAME"] = DATABASE
    connection.close()
    call_command("migrate", verbosity=0, interactive=False)


def portfolio_ensure(*, accounts: int, orders: int, reseed: bool) -> None:
    found = volume_counts()
    if found["accounts"] == accounts and found["orders"] == orders and not reseed:
        print(f"reusing the volume portfolio in {DATABASE}: " + ", ".join(f"{k} {v:,}" for k, v in found.items()))
        return
    print(f"seeding {DATABASE} with {accounts:,} accounts and {orders:,} orders", flush=True)
    started = time.monotonic()
    call_command("seed_volume", accounts=accounts, orders=orders, seed=DEFAULT_SEED, replace=True)
    print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)


def _user(username: str, role: str) -> Any:
    user, created = get_user_model()._default_manager.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def portfolio_complete(*, today: datetime.date) -> Any:
    """Owners, a director, a run as of today, the cadence and interactions, each made once; the director."""
    from accounts.models import ScoringRun
    from accounts.scoring.runs import scoring_run_perform
    from relationships.cadence import contact_cadence_check
    from relationships.models import Interaction

    director = _user(DIRECTOR, KAM_DIRECTOR)
    managers = [_user(f"explain-manager-{n:02d}", ACCOUNT_MANAGER).pk for n in range(1, MANAGERS + 1)]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_account SET owner_id = (%s::int[])[id %% %s + 1] WHERE owner_id IS NULL",
            [managers, len(managers)],
        )
    if not ScoringRun.objects.filter(as_of=today, status="done").exists():
        started = time.monotonic()
        scoring_run_perform(as_of=today)
        print(f"scored as of {today} in {time.monotonic() - started:.0f} s", flush=True)
        contact_cadence_check(today=today)
    if not Interaction.objects.exists():
        started = time.monotonic()
        with connection.cursor() as cursor:
            # Three per account over the last two years: meetings, calls, emails…, most completed, some planned
            # with a next step; by the account's owner.
            cursor.execute(
                """
                INSERT INTO relationships_interaction
                    (account_id, kind, status, occurred_at, user_id, subject, summary, next_step, next_step_due,
                     created_at, updated_at)
                SELECT a.id,
                       (ARRAY['meeting','call','email','visit','video','business_review','event'])[1 + (a.id + n) %% 7],
                       CASE WHEN (a.id + n) %% 5 = 0 THEN 'planned' ELSE 'completed' END,
                       now() - make_interval(days => ((a.id * 7 + n * 131) %% 730)::int),
                       a.owner_id, 'Review ' || n, '', CASE WHEN n = 1 THEN 'Follow up' ELSE '' END,
                       CASE WHEN n = 1 THEN current_date + ((a.id %% 90) - 30)::int END, now(), now()
                FROM accounts_account a CROSS JOIN generate_series(1, %s) n
                """,
                [INTERACTIONS_PER_ACCOUNT],
            )
        print(f"interactions made in {time.monotonic() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return director


# --- the queries ---------------------------------------------------------------------------------------------------


def _request(user: Any, params: dict[str, str]) -> Request:
    request = Request(APIRequestFactory().get("/", params))
    request.user = user
    return request


def _view(viewset: Any, user: Any) -> Any:
    return viewset(request=_request(user, {}), action="list", kwargs={}, format_kwarg=None)


def _sample(model: Any, field_name: str) -> str:
    """A value of ``field_name`` that rows have (of the last row: the portfolio's rows are made in id order)."""
    value = (
        model._default_manager.exclude(**{f"{field_name}__isnull": True})
        .order_by("-pk")
        .values_list(field_name, flat=True)
        .first()
    )
    return "" if value is None else str(value)


def example_params(entry: ListFilter, *, today: datetime.date) -> dict[str, str]:
    """The request's parameters for ``entry``: a value the data has (of the newest row), a date a month back for
    ``…_after`` and two and a half years back for ``…_before``, the last choice; a search for "Trading 3", which
    the volume portfolio's names have."""
    if "ordering" in entry.params or not entry.params:
        return dict(entry.params)
    name = next(iter(entry.params))
    declared = entry.filterset.base_filters[name]
    model = entry.filterset._meta.model
    fixed = {
        "search": "Trading 3",
        "kas_min": "80",
        "kas_max": "20",
        "score_min": "9",
        "score_max": "3",
        "in_force_on": today.isoformat(),
    }
    if name == "owner":
        return {name: _sample(model, "owner_id")}
    if name in fixed:
        return {name: fixed[name]}
    if isinstance(declared, StrictBooleanFilter):
        return {name: "true"}
    if isinstance(declared, IsoDateFilter):
        after = name.endswith("_after")
        day = today - datetime.timedelta(days=30) if after else today - datetime.timedelta(days=900)
        return {name: day.isoformat()}
    if isinstance(declared, django_filters.ChoiceFilter | django_filters.MultipleChoiceFilter):
        choices = list(declared.extra.get("choices") or [])
        return {name: str(choices[-1][0])} if choices else {}
    if isinstance(declared, IntegerFilter | django_filters.NumberFilter | django_filters.CharFilter):
        value = _sample(model, declared.field_name)
        return {name: value.lower() if declared.lookup_expr == "iexact" else value}
    return {name: _sample(model, declared.field_name)}


def _plan(sql: str, params: Any) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # warm up
        cursor.fetchall()
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        return cursor.fetchone()[0][0]


def _captured(run: Any) -> tuple[str, Any]:
    """The SQL and parameters of the query ``run()`` makes (its first: prefetches follow it)."""
    seen: list[tuple[str, Any]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper), CaptureQueriesContext(connection):
        run()
    return seen[0]


_BIG: dict[str, bool] = {}


def _is_big(table: str) -> bool:
    if table not in _BIG:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            row = cursor.fetchone()
        _BIG[table] = bool(row and row[0] > BIG_TABLE_ROWS)
    return _BIG[table]


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node.get("Plans", []):
        found += _nodes(child)
    return found


def summary(plan: dict[str, Any]) -> dict[str, Any]:
    nodes = _nodes(plan["Plan"])
    indexes = sorted({node["Index Name"] for node in nodes if "Index Name" in node})
    seq = sorted(
        {node["Relation Name"] for node in nodes if node["Node Type"] == "Seq Scan" and _is_big(node["Relation Name"])}
    )
    top = plan["Plan"]
    while top["Node Type"] in ("Limit", "Aggregate", "Gather", "Gather Merge") and top.get("Plans"):
        top = top["Plans"][0]
    return {"top": top["Node Type"], "indexes": indexes, "seq": seq, "ms": round(plan["Execution Time"], 1)}


def explain(entry: ListFilter, *, director: Any, today: datetime.date) -> dict[str, Any]:
    params = example_params(entry, today=today)
    view = _view(entry.viewset, director)
    queryset = view.get_queryset()
    if entry.filterset is not None:
        data = QueryDict(urlencode(params))
        filterset = entry.filterset(data, queryset=queryset, request=_request(director, params))
        if not filterset.is_valid():
            return {"params": params, "error": dict(filterset.errors)}
        queryset = filterset.qs
    page = _plan(*_captured(lambda: list(queryset[:PAGE])))
    count = _plan(*_captured(queryset.count))
    return {"params": params, "page": summary(page), "count": summary(count)}


def _line(entry: ListFilter, result: dict[str, Any], *, slow: float, before: dict[str, Any] | None) -> str:
    head = f"{entry.listing:<17} {entry.name:<30}"
    if "error" in result:
        return f"{head} ERROR {result['params']} {result['error']}"
    page, count = result["page"], result["count"]
    what = f"{page['top']} / {', '.join(page['indexes']) or '-'}"
    flags = []
    if page["seq"] or count["seq"]:
        flags.append("SEQ " + ",".join(sorted(set(page["seq"]) | set(count["seq"]))))
    if page["ms"] > slow or count["ms"] > slow:
        flags.append("SLOW")
    was = ""
    if before is not None:
        was = (
            f"{before['page']['ms']:>9.1f} {before['count']['ms']:>8.1f} "
            if "page" in before
            else f"{'-':>9} {'-':>8} "
        )
    return f"{head} {what[:58]:<58} {was}{page['ms']:>9.1f} {count['ms']:>8.1f}  {' '.join(flags)}"


def report(rows: list[tuple[ListFilter, dict[str, Any]]], *, slow: float, before: dict[tuple[str, str], Any]) -> None:
    """One line per entry: the page's top node and indexes, then its time and the count's (in ms), after the
    times of ``before`` (an earlier ``--json``) when given."""
    was = f"{'was page':>9} {'count':>8} " if before else ""
    plan = "page plan: top node / indexes"
    print(f"\n{'list':<17} {'filter / ordering':<30} {plan:<58} {was}{'page ms':>9} {'count':>8}")
    for entry, result in rows:
        earlier = before.get((entry.listing, entry.name), {}) if before else None
        print(_line(entry, result, slow=slow, before=earlier))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS)
    parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS)
    parser.add_argument("--reseed", action="store_true", help="load the portfolio again even if it is there")
    parser.add_argument("--seed-only", action="store_true", help="stop once the portfolio is there")
    parser.add_argument("--only", default="", help="only the lists whose name contains this (e.g. order)")
    parser.add_argument("--slow", type=float, default=50.0, help="flag plans slower than this many ms (default 50)")
    parser.add_argument("--json", default="", help="also write the results to this file")
    parser.add_argument("--compare", default="", help="show the times of an earlier --json file beside")
    options = parser.parse_args()

    database_use()
    portfolio_ensure(accounts=options.accounts, orders=options.orders, reseed=options.reseed)
    today = timezone.localdate()
    director = portfolio_complete(today=today)
    if options.seed_only:
        return
    entries = [
        entry
        for entry in list_filters(queryset_of=lambda viewset: _view(viewset, director).get_queryset())
        if options.only in entry.listing
    ]
    rows = []
    for entry in entries:
        rows.append((entry, explain(entry, director=director, today=today)))
    before = {}
    if options.compare:
        before = {(row["list"], row["name"]): row for row in json.loads(Path(options.compare).read_text())}
    report(rows, slow=options.slow, before=before)
    if options.json:
        Path(options.json).write_text(
            json.dumps([{"list": e.listing, "name": e.name, **r} for e, r in rows], indent=1, default=str)
        )


if __name__ == "__main__":
    main()
