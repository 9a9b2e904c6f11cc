"""The KPI dashboard at the volume of ``make bench`` (issue 7: ≤ 300 ms p95 at 100,000 accounts).

``bench/scoring.py`` calls this after timing the scoring run, in the ``kam_bench`` database. It first gives the
volume portfolio what the dashboard reads beyond scores — 20 account managers owning the accounts round-robin, a
director, the contact cadence (the daily check), a few hundred benefit grants with recorded costs, and a scoring
run a year back for retention — and refreshes the directors' summary (``kam.dashboard.dashboard_refresh``, as
the workers do after each run). Then it requests the home page through Django's test client (middleware,
session, every query, the template: the whole response) as the director (every account, from the summary),
again with filters, and as the manager with the most accounts (live over their accounts), and reports the p50,
p95 and maximum of the timed requests, the number of queries of one, and how long the refresh took.
"""

from __future__ import annotations

import datetime
import statistics
import time
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.utils import timezone

from accounts.choices import KeyStatus, ScoringRunStatus
from accounts.models import Account, ScoringRun
from kam.roles import ACCOUNT_MANAGER, KAM_DIRECTOR

MANAGERS = 20
GRANTS = 600
WARMUP = 3
SAMPLES = 40
TARGET_P95_MS = 300.0
DIRECTOR = "bench-director"


def _user(username: str, role: str) -> Any:
    user, created = get_user_model()._default_manager.get_or_create(
        username=username, defaults={"first_name": username.replace("-", " ").title()}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def portfolio_complete(as_of: datetime.date) -> None:
    """Owners, a director, the contact cadence, benefit grants and a run a year back, each made once."""
    from accounts.scoring.runs import scoring_run_perform
    from benefits.choices import GrantStatus
    from benefits.models import BenefitCost, BenefitGrant, BenefitType
    from relationships.cadence import contact_cadence_check

    _user(DIRECTOR, KAM_DIRECTOR)
    managers = [_user(f"bench-manager-{n:02d}", ACCOUNT_MANAGER).pk for n in range(1, MANAGERS + 1)]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_account SET owner_id = (%s::int[])[id %% %s + 1] WHERE owner_id IS NULL",
            [managers, len(managers)],
        )
        if cursor.rowcount:
            print(f"dashboard: {cursor.rowcount:,} accounts given to {len(managers)} managers", flush=True)
    started = time.monotonic()
    checked = contact_cadence_check(today=as_of)
    print(f"dashboard: contact cadence checked in {time.monotonic() - started:.1f} s ({checked})", flush=True)
    if not BenefitGrant.objects.exists():
        types = list(BenefitType.objects.order_by("pk"))
        keys = list(
            Account.objects.filter(key_status__in=[KeyStatus.KEY, KeyStatus.STRATEGIC], is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:GRANTS]
        )
        now = timezone.now()
        grants = BenefitGrant.objects.bulk_create(
            BenefitGrant(
                account_id=account_id,
                benefit_type=types[index % len(types)],
                value=Decimal(1),
                valid_from=as_of - datetime.timedelta(days=30 + index % 300),
                valid_to=as_of + datetime.timedelta(days=30 + index % 200),
                justification="A key account of the benchmark portfolio.",
                estimated_annual_cost=Decimal(5000),
                committed_cost=Decimal(4000),
                status=GrantStatus.ACTIVE,
                decided_at=now,
            )
            for index, account_id in enumerate(keys)
        )
        BenefitCost.objects.bulk_create(
            BenefitCost(grant=grant, incurred_on=as_of - datetime.timedelta(days=10), amount=Decimal(900))
            for grant in grants[::2]
        )
        print(f"dashboard: {len(grants)} benefit grants", flush=True)
    year_back = as_of - datetime.timedelta(days=365)
    if not ScoringRun.objects.filter(status=ScoringRunStatus.DONE, as_of__lte=year_back).exists():
        started = time.monotonic()
        run = scoring_run_perform(as_of=year_back)
        print(f"dashboard: the run a year back ({run.as_of}) in {time.monotonic() - started:.1f} s", flush=True)


def manager_busiest() -> Any:
    """The account manager who owns the most accounts (the heaviest portfolio a manager's pages read); the
    first by id among equals, so every bench picks the same one."""
    manager_id = (
        Account.objects.filter(owner__isnull=False)
        .values("owner_id")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n", "owner_id")
        .values_list("owner_id", flat=True)
        .first()
    )
    return get_user_model()._default_manager.get(pk=manager_id)


def _timed(client: Client, path: str) -> tuple[list[float], int]:
    for _ in range(WARMUP):
        assert client.get(path).status_code == 200
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert client.get(path).status_code == 200
    samples = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return samples, len(queries)


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1), "max_ms": round(ordered[-1], 1)}


def dashboard_measure(as_of: datetime.date) -> dict[str, Any]:
    """The summary's refresh (as the workers do it after a run), then the dashboard's response times for the
    director (from the summary, and live for comparison) and for the manager with the most accounts (live)."""
    from kam.dashboard import dashboard_refresh

    portfolio_complete(as_of)
    refreshed = dashboard_refresh(today=as_of)
    print(f"dashboard: summary refreshed, {refreshed.cells:,} cells in {refreshed.seconds:.2f} s", flush=True)
    director = get_user_model()._default_manager.get(username=DIRECTOR)
    manager = manager_busiest()
    figures: dict[str, Any] = {
        "dashboard_refresh_seconds": round(refreshed.seconds, 2),
        "dashboard_cells": refreshed.cells,
    }
    for label, user, path in (
        ("director", director, "/"),
        ("director_filtered", director, "/?kind=customer&period=3"),
        ("manager", manager, "/"),
    ):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        with override_settings(DEBUG=False):  # as served: no SQL log, no debug page (kam.settings.local has DEBUG)
            samples, queries = _timed(client, path)
        figures[f"dashboard_{label}"] = _summary(samples) | {"queries": queries, "samples": len(samples)}
        print(f"dashboard as {label}: {figures[f'dashboard_{label}']}", flush=True)
    return figures
