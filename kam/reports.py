"""The dashboard's figures as tables — the same rows on the page, under each chart, and in its CSV export — and
as the data of its charts, so a chart can never show a number its table does not."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from accounts.choices import KeyStatus, LadderStage
from kam.csv_export import csv_cell
from kam.dashboard import STATUS_ORDER, Dashboard, percent


@dataclass
class Table:
    key: str  # the ``export`` name
    title: str
    headers: list[str]
    rows: list[list[Any]]
    footer: list[Any] | None = None
    links: list[str | None] = field(default_factory=list)  # per row, the page its first cell points to

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.headers)
        for row in [*self.rows, *([self.footer] if self.footer else [])]:
            writer.writerow([csv_cell(cell) for cell in row])
        return out.getvalue()

    @property
    def body(self) -> list[tuple[list[Any], str | None]]:
        links = self.links or [None] * len(self.rows)
        return list(zip(self.rows, links, strict=True))


def _money(label: str) -> str:
    return f"{label} ({settings.KAM_CURRENCY})"


def tables(board: Dashboard) -> dict[str, Table]:
    """Every table of ``board`` by its export name."""
    result: dict[str, Table] = {}
    months = board.filters.period
    if board.headline is not None:
        headline = board.headline
        result["key_share"] = Table(
            key="key_share",
            title=f"Revenue of the last {months} months by key status",
            headers=["Key status", "Accounts", _money(f"Revenue, last {months} months"), "Share of revenue (%)"],
            rows=[[row.label, row.accounts, row.revenue, row.share] for row in board.by_status],
            footer=["All", headline.accounts, headline.revenue, Decimal(100) if headline.revenue else None],
        )
    if board.retention is not None:
        r = board.retention
        result["retention"] = Table(
            key="retention",
            title=f"Key and strategic accounts of {r.cohort_as_of:%d %b %Y}, on {r.current_as_of:%d %b %Y}",
            headers=[
                "Outcome",
                "Accounts",
                "Share of the cohort (%)",
                _money("Revenue, 12 months before the cohort"),
                _money("Revenue, last 12 months"),
            ],
            rows=[
                ["Still key or strategic", r.retained, percent(r.retained, r.cohort), None, None],
                ["Now candidate or standard", r.downgraded, percent(r.downgraded, r.cohort), None, None],
                ["Lost (inactive, not scored)", r.lost, percent(r.lost, r.cohort), None, None],
            ],
            footer=["Cohort", r.cohort, Decimal(100) if r.cohort else None, r.revenue_before, r.revenue_now],
        )
    ladder = board.ladder
    if ladder:
        result["funnel"] = Table(
            key="funnel",
            title="The loyalty ladder",
            headers=["Stage", "Accounts at the stage", "At or above", "Reached from the rung below (%)"],
            rows=[
                [
                    rung["label"],
                    rung["count"],
                    rung["at_or_above"],
                    percent(rung["at_or_above"], below["at_or_above"]) if below else None,
                ]
                for below, rung in zip([None, *ladder["funnel"]], ladder["funnel"], strict=False)
            ],
        )
        result["moves"] = Table(
            key="moves",
            title=f"Ladder moves of the last {ladder['moves_days']} days",
            headers=["From", "To", "Moves"],
            rows=[
                [LadderStage(from_stage).label, LadderStage(to_stage).label, count]
                for (from_stage, to_stage), count in ladder["flows"]
            ],
            footer=[
                "All",
                f"{ladder['moves_up']} up, {ladder['moves_down']} down",
                ladder["moves_up"] + ladder["moves_down"],
            ],
        )
    if board.kas:
        labels = [KeyStatus(status).label for status in STATUS_ORDER]
        rows = [[bucket.label, *[bucket.counts[s] for s in STATUS_ORDER], bucket.total] for bucket in board.kas]
        rows.append(["Not scored", None, None, None, None, board.unscored])
        result["kas"] = Table(
            key="kas",
            title="Accounts by KAS",
            headers=["KAS", *labels, "Accounts"],
            rows=rows,
        )
    if board.benefits is not None:
        total = board.benefits.total()
        result["benefits"] = Table(
            key="benefits",
            title=f"Benefit cost and return, grants running since {board.period_start:%d %b %Y}",
            headers=[
                "Category",
                "Grants",
                _money(f"Cost since {board.period_start:%d %b %Y}"),
                _money("Revenue during"),
                _money("Revenue before"),
                _money("Cost to date"),
                _money("Return"),
                "Return on cost (%)",
            ],
            rows=[
                [
                    row.label,
                    row.grants,
                    row.cost_in_period,
                    row.revenue_during,
                    row.revenue_before,
                    row.cost,
                    row.roi,
                    row.roi_rate,
                ]
                for row in board.benefits.rows
            ],
            footer=[
                "All",
                total.grants,
                total.cost_in_period,
                total.revenue_during,
                total.revenue_before,
                total.cost,
                total.roi,
                total.roi_rate,
            ],
        )
    if board.run is not None:
        risky = board.at_risk
        result["at_risk"] = Table(
            key="at_risk",
            title="Key accounts at risk",
            headers=["Account", "Owner", "Key status", "KAS", "KAS fall", "Why"],
            rows=[
                [
                    item.account.name,
                    _person(item.account.owner),
                    item.account.get_key_status_display(),
                    item.kas,
                    item.kas_drop,
                    "; ".join(item.reasons),
                ]
                for item in risky
            ],
            links=[item.account.get_absolute_url() for item in risky],
        )
        result["managers"] = Table(
            key="managers",
            title="Each manager's portfolio",
            headers=[
                "Owner",
                "Accounts",
                "Strategic",
                "Key",
                _money(f"Revenue, last {months} months"),
                "Contact overdue",
                "Key accounts at risk",
            ],
            rows=[
                [load.name, load.accounts, load.strategic, load.key, load.revenue, load.contact_overdue, load.at_risk]
                for load in board.managers
            ],
        )
    return result


def _person(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- chart data: Chart.js reads these through ``json_script`` (static/kam/dashboard.js) ----------------------

STATUS_COLOURS: dict[str, str] = {
    KeyStatus.STRATEGIC: "#0f1f3d",
    KeyStatus.KEY: "#2563eb",
    KeyStatus.CANDIDATE: "#93c5fd",
    KeyStatus.STANDARD: "#cbd5e1",
}


def _number(value: Any) -> float:
    return float(value or 0)


def charts(board: Dashboard, tables: dict[str, Table]) -> dict[str, dict[str, Any]]:
    """The data of each chart, by the export name of the table it draws."""
    charts: dict[str, dict[str, Any]] = {}
    if "key_share" in tables:
        charts["key_share"] = {
            "type": "doughnut",
            "labels": [row.label for row in board.by_status],
            "datasets": [
                {
                    "label": f"Revenue ({settings.KAM_CURRENCY})",
                    "data": [_number(row.revenue) for row in board.by_status],
                    "colors": [STATUS_COLOURS[row.status] for row in board.by_status],
                }
            ],
        }
    if "retention" in tables:
        r = board.retention
        assert r is not None
        charts["retention"] = {
            "type": "bar",
            "labels": ["Cohort", "Still key or strategic", "Now candidate or standard", "Lost"],
            "datasets": [
                {"label": "Accounts", "data": [r.cohort, r.retained, r.downgraded, r.lost], "colors": ["#0f1f3d"]},
            ],
        }
    if "funnel" in tables:
        charts["funnel"] = {
            "type": "horizontalBar",
            "labels": [rung["label"] for rung in board.ladder["funnel"]],
            "datasets": [
                {
                    "label": "Accounts at or above the stage",
                    "data": [rung["at_or_above"] for rung in board.ladder["funnel"]],
                    "colors": ["#2563eb"],
                }
            ],
        }
    if "kas" in tables:
        charts["kas"] = {
            "type": "bar",
            "stacked": True,
            "labels": [bucket.label for bucket in board.kas],
            "datasets": [
                {
                    "label": KeyStatus(status).label,
                    "data": [bucket.counts[status] for bucket in board.kas],
                    "colors": [STATUS_COLOURS[status]],
                }
                for status in STATUS_ORDER
            ],
        }
    if "benefits" in tables and board.benefits is not None:
        rows = board.benefits.rows
        charts["benefits"] = {
            "type": "bar",
            "labels": [row.label for row in rows],
            "datasets": [
                {
                    "label": f"Cost since {board.period_start:%d %b %Y}",
                    "data": [_number(row.cost_in_period) for row in rows],
                    "colors": ["#dc2626"],
                },
                {"label": "Revenue uplift", "data": [_number(row.uplift) for row in rows], "colors": ["#16a34a"]},
            ],
        }
    if "managers" in tables:
        managers = board.managers
        charts["managers"] = {
            "type": "horizontalBar",
            "stacked": True,
            "labels": [load.name for load in managers],
            "datasets": [
                {
                    "label": "Strategic",
                    "data": [load.strategic for load in managers],
                    "colors": [STATUS_COLOURS[KeyStatus.STRATEGIC]],
                },
                {"label": "Key", "data": [load.key for load in managers], "colors": [STATUS_COLOURS[KeyStatus.KEY]]},
                {
                    "label": "Other accounts",
                    "data": [load.accounts - load.key - load.strategic for load in managers],
                    "colors": [STATUS_COLOURS[KeyStatus.STANDARD]],
                },
            ],
        }
    return charts
