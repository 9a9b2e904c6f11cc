"""``make bench``: time the set-based scoring run over 100,000 accounts and 2,000,000 orders; measure its peak
memory; compare it with the naive way (a Python loop of per-account queries) and with the floor (one GROUP BY over
the orders); then time the KPI dashboard at that volume (``bench/dashboard.py``), KAM served by gunicorn under an
open-loop load (``bench/load.py``), a CSV import of 1,000,000 orders (``bench/imports.py``) and a bulk upsert of
5,000 orders (``bench/bulk_upsert.py``).

    make bench [ARGS="--accounts 100000 --orders 2000000 --sample 2000 --reseed"]
    .venv/bin/python -m kam.stack exec python bench/scoring.py [same options]

It works in a database of its own, ``kam_bench`` on the configured server, created and migrated when missing and
kept afterwards: loading the volume portfolio (``manage.py seed_volume``) takes minutes, so a database that
already holds the portfolio of the requested size is reused (``--reseed`` loads it again). Then:

1. the scoring run (``accounts.scoring.runs.scoring_run_perform``) in a child process, as nightly: from unscored
   accounts, yesterday's run to warm up, then today's timed (wall seconds, commit included), which writes a score
   for every account and rewrites the key status of those whose status moved; the child's peak resident memory
   comes from ``getrusage(RUSAGE_CHILDREN).ru_maxrss``;
2. the naive way (``bench/naive_scoring.py``) over a sample of the population, extrapolated linearly;
3. the floor: ``SELECT account_id, count(*), sum(net_amount) FROM accounts_order GROUP BY account_id``;
4. the dashboard through Django's test client; 5. 50 requests/s for 60 s on five endpoints served by gunicorn;
6. the CSV import; 7. the bulk upsert, in a throwaway database of its own.

It prints one table of every figure against its target (run ≤ 10 s, peak ≤ 500 MB, naive/run ≥ 30×, run/floor
≤ 3×, dashboard p95 ≤ 300 ms, served p95 ≤ 100 ms with no errors, import ≤ 60 s, bulk upsert ≤ 2 s per 5,000,
the whole bench ≤ 20 min; MISSED when missed) and writes them with a description of the machine to
``bench/results.json`` (after each step, so a late failure keeps the earlier figures). It exits non-zero on
errors only. ``--seed-only`` stops once the portfolio is there; ``--only-run`` times the scoring run and the floor and
stops (nothing written); ``KAM_BENCH_RUNNER="module:function"`` times
another implementation of ``scoring_run_perform(*, as_of, requested_by=None, progress=None)``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings.local")

import django  # noqa: E402

STARTED = time.monotonic()
django.setup()

import bulk_upsert as bulk_bench  # noqa: E402  (bench/bulk_upsert.py)
import dashboard as dashboard_bench  # noqa: E402  (bench/dashboard.py)
import imports as imports_bench  # noqa: E402  (bench/imports.py)
import load as load_bench  # noqa: E402  (bench/load.py)
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.volume import DEFAULT_ACCOUNTS, DEFAULT_ORDERS, DEFAULT_SEED, rows_delete, volume_counts  # noqa: E402

DATABASE = "kam_bench"
RESULTS = BENCH / "results.json"
TARGET_RUN_SECONDS = 10.0
TARGET_PEAK_MB = 500.0
TARGET_RATIO = 30.0
TARGET_RUN_OVER_FLOOR = 3.0
TARGET_BENCH_SECONDS = 20 * 60.0
RUNNER = "accounts.scoring.runs:scoring_run_perform"
FLOOR_SQL = "SELECT account_id, count(*), sum(net_amount) FROM accounts_order GROUP BY account_id"


def database_use(*, create: bool) -> None:
    """Point Django's connection at ``kam_bench``; with ``create``, create it when missing and migrate it."""
    if create:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
            if cursor.fetchone() is None:
                print(f"creating database {DATABASE}", flush=True)
                cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(DATABASE)}")
        connection.close()
    connection.settings_dict["NAME"] = DATABASE
    connection.close()
    if create:
        call_command("migrate", verbosity=0, interactive=False)


def portfolio_ensure(*, accounts: int, orders: int, seed: int, reseed: bool) -> float | None:
    """Make sure the database holds the volume portfolio of that size; returns the seconds spent seeding (None:
    reused)."""
    wanted = {"accounts": accounts, "orders": orders, "invoices": orders // 2, "feedback": 2 * accounts}
    found = volume_counts()
    # Contracts follow from the behaviours (no count is asked for); a portfolio without any predates them.
    if {k: v for k, v in found.items() if k in wanted} == wanted and found["contracts"] and not reseed:
        print(f"reusing the volume portfolio in {DATABASE}: " + ", ".join(f"{k} {v:,}" for k, v in found.items()))
        return None
    print(f"seeding {DATABASE} with {accounts:,} accounts and {orders:,} orders (seed {seed})", flush=True)
    started = time.monotonic()
    call_command("seed_volume", accounts=accounts, orders=orders, seed=seed, replace=True)
    return time.monotonic() - started


def runs_prune() -> None:
    """Keep only the latest scoring run (the next run's hysteresis reads it), so repeated benchmarks do not pile
    up scores."""
    from accounts.models import ScoringRun

    latest = ScoringRun.objects.order_by("-created_at", "-pk").first()
    if latest is not None:
        rows_delete(ScoringRun.objects.exclude(pk=latest.pk))


def scoring_measure(as_of: datetime.date) -> dict[str, Any]:
    """Run the scoring twice (warm-up, timed) in a child process; its figures and its peak RSS in MB."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_path = Path(handle.name)
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", as_of.isoformat(), str(result_path)],
            check=True,
        )
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        figures = json.loads(result_path.read_text())
    finally:
        result_path.unlink(missing_ok=True)
    if before:
        print(f"note: an earlier child peaked at {before / 1024:.0f} MB; the peak below is the larger of both")
    figures["peak_rss_mb"] = round(peak_kb / 1024, 1)  # ru_maxrss is in kB on Linux
    return figures


def child(as_of: datetime.date, result_path: Path) -> None:
    """In the child process: warm up, then time one scoring run."""
    database_use(create=False)
    # KAM_BENCH_RUNNER="module:function" benchmarks another implementation with the same signature.
    module_name, _colon, function_name = os.environ.get("KAM_BENCH_RUNNER", RUNNER).partition(":")
    scoring_run_perform = getattr(importlib.import_module(module_name), function_name)

    # A nightly run as it happens: yesterday's run is the previous one (hysteresis, trend) and today's writes a
    # score per account. So start from unscored accounts, score yesterday (warm-up), then time today.
    from django.db import connection as db

    with db.cursor() as cursor:
        # Every account back on the first rung with no score, no move and nothing waiting for a director.
        for table in (
            "relationships_laddertransition",
            "relationships_ladderstate",
            "relationships_partnerproposal",
            "relationships_ladderoverride",
            "accounts_accountscore",
            "accounts_scoringrun",
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (our constant names)
        cursor.execute("DELETE FROM kam_notification WHERE kind LIKE 'ladder.%%'")
        cursor.execute(
            "UPDATE accounts_account SET key_status = 'standard', stage = 'prospect'"
            " WHERE key_status <> 'standard' OR stage <> 'prospect'"
        )
    started = time.monotonic()
    warm = scoring_run_perform(as_of=as_of - datetime.timedelta(days=1))
    warmup_seconds = time.monotonic() - started
    print(f"warm-up run {warm.pk}: {warm.accounts_scored:,} accounts in {warmup_seconds:.2f} s", flush=True)
    started = time.monotonic()
    run = scoring_run_perform(as_of=as_of)
    seconds = time.monotonic() - started
    print(
        f"timed run {run.pk}: {run.accounts_scored:,} accounts in {seconds:.2f} s ({run.status}),"
        f" {run.counts.get('accounts_changed', 0):,} account key statuses rewritten, steps {run.timings} ms",
        flush=True,
    )
    result_path.write_text(
        json.dumps(
            {
                "run_id": run.pk,
                "run_status": run.status,
                "accounts_scored": run.accounts_scored,
                "warmup_seconds": round(warmup_seconds, 3),
                "run_seconds": round(seconds, 3),
                "run_timings_ms": run.timings,
                "accounts_changed": run.counts.get("accounts_changed"),
            }
        )
    )


def naive_measure(as_of: datetime.date, sample: int) -> dict[str, Any]:
    """Time the naive loop over an evenly spread sample of the population and extrapolate to all of it."""
    import naive_scoring

    population = naive_scoring.naive_population(as_of)
    step = max(1, len(population) // max(1, sample))
    ids = population[::step][:sample]
    policy = naive_scoring.naive_policy()
    print(f"naive loop over {len(ids):,} of {len(population):,} accounts…", flush=True)
    started = time.monotonic()
    naive_scoring.naive_scores(as_of=as_of, account_ids=ids, policy=policy)
    seconds = time.monotonic() - started
    extrapolated = seconds * len(population) / len(ids) if ids else 0.0
    return {
        "population": len(population),
        "naive_sample": len(ids),
        "naive_sample_seconds": round(seconds, 3),
        "naive_extrapolated_seconds": round(extrapolated, 1),
    }


def floor_measure() -> float:
    """Seconds of the plain GROUP BY over the orders, fetched to the client (warm: run once before)."""
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL)
        cursor.fetchall()
        started = time.monotonic()
        cursor.execute(FLOOR_SQL)
        cursor.fetchall()
        return time.monotonic() - started


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = "unknown"
    memory_mb = None
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    if cpuinfo.exists():
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            model,
        )
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_mb = int(line.split()[1]) // 1024
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_setting('shared_buffers'), current_setting('work_mem')")
        version, shared_buffers, work_mem = cursor.fetchone()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "memory_mb": memory_mb,
        "postgresql": version,
        "postgresql_shared_buffers": shared_buffers,
        "postgresql_work_mem": work_mem,
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
    }


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _ms(value: float | None, *, unit: str = " ms", timeout: float | None = None) -> str:
    """Milliseconds for the table; None is a percentile that fell on a request with no answer within the timeout
    (bench/load.py), or nothing measured."""
    if value is None:
        return f"> {timeout:g} s" if timeout else "—"
    return f"{value:,.0f}{unit}"


def report_rows(figures: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Every figure of the bench as (name, measured, target, verdict) rows, in the order they were measured."""
    run, peak, ratio = figures["run_seconds"], figures["peak_rss_mb"], figures["naive_over_run"]
    rows = []
    if figures.get("seed_seconds") is not None:
        rows.append(("seeding (seed_volume)", f"{figures['seed_seconds']:.0f} s", "", ""))
    rows += [
        ("accounts scored", f"{figures['accounts_scored']:,}", "", ""),
        ("scoring run (nightly)", f"{run:.2f} s", f"≤ {TARGET_RUN_SECONDS:g} s", _verdict(run <= TARGET_RUN_SECONDS)),
        ("peak RSS of the run", f"{peak:.0f} MB", f"≤ {TARGET_PEAK_MB:g} MB", _verdict(peak <= TARGET_PEAK_MB)),
        (f"naive, {figures['naive_sample']:,} accounts", f"{figures['naive_sample_seconds']:.2f} s", "", ""),
        ("naive, extrapolated", f"{figures['naive_extrapolated_seconds']:,.0f} s", "", ""),
        ("naive / run", f"{ratio:.0f}×", f"≥ {TARGET_RATIO:g}×", _verdict(ratio >= TARGET_RATIO)),
        ("floor (GROUP BY orders)", f"{figures['floor_seconds']:.2f} s", "", ""),
        (
            "run / floor",
            f"{figures['run_over_floor']:.1f}×",
            f"≤ {TARGET_RUN_OVER_FLOOR:g}×",
            _verdict(figures["run_over_floor"] <= TARGET_RUN_OVER_FLOOR),
        ),
        (
            "dashboard summary refresh",
            f"{figures['dashboard_refresh_seconds']:.1f} s",
            "",
            f"{figures['dashboard_cells']:,} cells",
        ),
    ]
    target = dashboard_bench.TARGET_P95_MS
    for who, label in (
        ("director", "dashboard, director"),
        ("director_filtered", "dashboard, filtered"),
        ("manager", "dashboard, manager"),
    ):
        timing = figures[f"dashboard_{who}"]
        rows.append(
            (f"{label} p95", f"{timing['p95_ms']:.0f} ms", f"≤ {target:g} ms", _verdict(timing["p95_ms"] <= target))
        )
        rows.append(("  p50 · queries", f"{timing['p50_ms']:.0f} ms · {timing['queries']}", "", ""))
    load = figures["load"]
    server, total = load["server"], load["total"]
    rows.append(
        (
            f"served, {load['rate_per_s']:g} req/s for {load['seconds']:g} s",
            f"{total['sent_rate_per_s']:.1f}/s sent",
            "",
            f"gunicorn {server['worker_class']} {server['workers']}×{server['threads']}, conn_max_age"
            f" {server['conn_max_age_s']} s; succeeded {total['succeeded_per_s']:.1f}/s",
        )
    )
    capacity = load["capacity"]
    rows.append(
        (
            f"  capacity, closed loop of {capacity['clients']}",
            f"{capacity['completed_per_s']:.1f}/s",
            "",
            f"the rate the server keeps up with; {load['rate_per_s']:g}/s offered",
        )
    )
    for name, timing in [*load["endpoints"].items(), ("total", total)]:
        p95, timeout = timing["p95_ms"], load["generator"]["timeout_s"]
        rows.append(
            (
                f"  {'all requests' if name == 'total' else timing['label']} p95",
                _ms(p95, timeout=timeout),
                f"≤ {load_bench.TARGET_P95_MS:g} ms",
                _verdict(p95 is not None and p95 <= load_bench.TARGET_P95_MS),
            )
        )
        rows.append(
            (
                "    p50 · p99 · errors",
                f"{_ms(timing['p50_ms'], unit='', timeout=timeout)} · {_ms(timing['p99_ms'], timeout=timeout)}"
                f" · {timing['errors']:,}",
                f"{load_bench.TARGET_ERRORS} errors",
                _verdict(timing["errors"] <= load_bench.TARGET_ERRORS),
            )
        )
        if "unloaded_p50_ms" in timing:
            rows.append(("    p50 one at a time", _ms(timing["unloaded_p50_ms"]), "", ""))
    met = figures["import_seconds"] <= imports_bench.TARGET_SECONDS
    rows += [
        (
            f"CSV import, {figures['import_orders']:,} orders",
            f"{figures['import_seconds']:.1f} s",
            f"≤ {imports_bench.TARGET_SECONDS:g} s",
            _verdict(met),
        ),
        (
            "  rows per second",
            f"{figures['import_rows_per_second']:,}",
            f"≥ {figures['import_orders'] / imports_bench.TARGET_SECONDS:,.0f}",
            _verdict(met),
        ),
    ]
    bulk = figures["bulk_upsert"]
    for step, label in (("create", "new"), ("unchanged", "unchanged"), ("update", "updated")):
        seconds = bulk[f"{step}_seconds"]
        rows.append(
            (
                f"bulk upsert, {bulk['records']:,} {label}",
                f"{seconds:.2f} s",
                f"≤ {bulk_bench.TARGET_SECONDS:g} s",
                _verdict(seconds <= bulk_bench.TARGET_SECONDS),
            )
        )
        rows.append(
            (
                "  rows per second",
                f"{bulk[f'{step}_rows_per_second']:,}",
                f"≥ {bulk['records'] / bulk_bench.TARGET_SECONDS:,.0f}",
                _verdict(seconds <= bulk_bench.TARGET_SECONDS),
            )
        )
    total = figures["bench_seconds"]
    rows.append(
        (
            "make bench, all of it",
            f"{total / 60:.1f} min",
            f"≤ {TARGET_BENCH_SECONDS / 60:g} min",
            _verdict(total <= TARGET_BENCH_SECONDS),
        )
    )
    return rows


def report(figures: dict[str, Any]) -> None:
    """The table of figures and targets."""
    print()
    print(f"{'figure':<36} {'measured':>20} {'target':>12}  verdict")
    for name, value, target, ok in report_rows(figures):
        print(f"{name:<36} {value:>20} {target:>12}  {ok}")
    print(f"\nwritten to {RESULTS.relative_to(BENCH.parent)}")


def targets_check(figures: dict[str, Any]) -> None:
    """Add every target and whether it was met to ``figures``."""
    run = figures["run_seconds"]
    load = figures["load"]
    bulk = figures["bulk_upsert"]
    figures["targets"] = {
        "run_seconds_max": TARGET_RUN_SECONDS,
        "peak_rss_mb_max": TARGET_PEAK_MB,
        "naive_over_run_min": TARGET_RATIO,
        "run_over_floor_max": TARGET_RUN_OVER_FLOOR,
        "dashboard_p95_ms_max": dashboard_bench.TARGET_P95_MS,
        "load_p95_ms_max": load_bench.TARGET_P95_MS,
        "load_errors_max": load_bench.TARGET_ERRORS,
        "import_seconds_max": imports_bench.TARGET_SECONDS,
        "bulk_upsert_seconds_max": bulk_bench.TARGET_SECONDS,
        "bench_seconds_max": TARGET_BENCH_SECONDS,
    }
    figures["targets_met"] = {
        "run_seconds": run <= TARGET_RUN_SECONDS,
        "peak_rss_mb": figures["peak_rss_mb"] <= TARGET_PEAK_MB,
        "naive_over_run": (figures["naive_over_run"] or 0) >= TARGET_RATIO,
        "run_over_floor": figures["run_over_floor"] is not None and figures["run_over_floor"] <= TARGET_RUN_OVER_FLOOR,
        "dashboard_p95_ms": all(
            figures[f"dashboard_{who}"]["p95_ms"] <= dashboard_bench.TARGET_P95_MS
            for who in ("director", "director_filtered", "manager")
        ),
        "load_p95_ms": all(
            timing["p95_ms"] is not None and timing["p95_ms"] <= load_bench.TARGET_P95_MS
            for timing in [*load["endpoints"].values(), load["total"]]
        ),
        "load_errors": load["total"]["errors"] <= load_bench.TARGET_ERRORS,
        "import_seconds": figures["import_seconds"] <= imports_bench.TARGET_SECONDS,
        "bulk_upsert_seconds": all(
            bulk[f"{step}_seconds"] <= bulk_bench.TARGET_SECONDS for step in ("create", "unchanged", "update")
        ),
        "bench_seconds": figures["bench_seconds"] <= TARGET_BENCH_SECONDS,
    }


def record(figures: dict[str, Any]) -> None:
    """Write what has been measured so far: a step that fails late does not lose the minutes before it."""
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS)
    parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--sample", type=int, default=2000, help="accounts in the naive loop (default 2000)")
    parser.add_argument("--reseed", action="store_true", help="load the portfolio again even if it is there")
    parser.add_argument("--seed-only", action="store_true", help="stop once the portfolio is there")
    parser.add_argument(
        "--only-run",
        action="store_true",
        help="time the scoring run and the floor only (no naive loop, dashboard or import; nothing written)",
    )
    parser.add_argument("--child", nargs=2, metavar=("AS_OF", "RESULT"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(datetime.date.fromisoformat(options.child[0]), Path(options.child[1]))
        return

    database_use(create=True)
    seed_seconds = portfolio_ensure(
        accounts=options.accounts, orders=options.orders, seed=options.seed, reseed=options.reseed
    )
    if options.seed_only:
        return
    as_of = timezone.localdate()
    runs_prune()
    figures: dict[str, Any] = {
        "database": DATABASE,
        "measured_at": timezone.now().isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "portfolio": volume_counts(),
        "seed_seconds": None if seed_seconds is None else round(seed_seconds, 1),
        "machine": machine(),
    }
    figures |= scoring_measure(as_of)
    if options.only_run:
        floor = floor_measure()
        print(
            f"scoring run {figures['run_seconds']:.2f} s, peak RSS {figures['peak_rss_mb']:.0f} MB,"
            f" floor {floor:.2f} s, run / floor {figures['run_seconds'] / floor:.1f}×"
        )
        return
    figures |= naive_measure(as_of, options.sample)
    figures["floor_seconds"] = round(floor_measure(), 3)
    run = figures["run_seconds"]
    figures["naive_over_run"] = round(figures["naive_extrapolated_seconds"] / run, 1) if run else None
    figures["run_over_floor"] = round(run / figures["floor_seconds"], 1) if figures["floor_seconds"] else None
    record(figures)
    figures |= dashboard_bench.dashboard_measure(as_of)
    record(figures)
    figures |= load_bench.load_measure()
    record(figures)
    figures |= imports_bench.imports_measure()
    record(figures)
    figures |= bulk_bench.bulk_measure()
    figures["bench_seconds"] = round(time.monotonic() - STARTED, 1)
    targets_check(figures)
    record(figures)
    report(figures)


if __name__ == "__main__":
    main()
