"""Presentation helpers of the account pages: one colour per ladder stage, key status and record status, money
in the base currency, the revenue chart, interaction icons, and portfolio links that keep the current filters."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts import forms
from accounts.choices import (
    ImportJobStatus,
    InvoiceStatus,
    KeyStatus,
    LadderStage,
    OrderStatus,
    ScoringRunStatus,
    ServiceLevel,
)
from kam.templatetags.kam_tags import list_query
from relationships.choices import AdvocacyKind, InteractionKind, InteractionStatus

register = template.Library()

# Bootstrap 5.3 colour utilities. The ladder climbs from grey through blue to solid green; key status from
# grey through amber to the solid colours reserved for the accounts that matter most.
STAGE_BADGE_CLASSES: dict[str, str] = {
    LadderStage.PROSPECT: "bg-secondary-subtle text-secondary-emphasis border-secondary-subtle",
    LadderStage.CUSTOMER: "bg-info-subtle text-info-emphasis border-info-subtle",
    LadderStage.CLIENT: "bg-primary-subtle text-primary-emphasis border-primary-subtle",
    LadderStage.SUPPORTER: "bg-success-subtle text-success-emphasis border-success-subtle",
    LadderStage.ADVOCATE: "text-bg-primary border-primary",
    LadderStage.PARTNER: "text-bg-success border-success",
}
KEY_STATUS_BADGE_CLASSES: dict[str, str] = {
    KeyStatus.STANDARD: "bg-body-secondary text-body-secondary border-secondary-subtle",
    KeyStatus.CANDIDATE: "bg-warning-subtle text-warning-emphasis border-warning-subtle",
    KeyStatus.KEY: "text-bg-warning border-warning",
    KeyStatus.STRATEGIC: "text-bg-dark border-dark",
}
_FALLBACK_BADGE = "bg-light text-dark border-secondary-subtle"


def _badge(value: str, label: str, classes: str, kind: str) -> str:
    return format_html(
        '<span class="badge rounded-pill border kam-badge {} kam-{}-{}">{}</span>', classes, kind, value, label
    )


@register.filter
def stage_badge(value: str) -> str:
    """``{{ account.stage|stage_badge }}`` — the ladder stage as a coloured badge."""
    if not value:
        return ""
    label = LadderStage(value).label if value in LadderStage.values else value
    return _badge(value, label, STAGE_BADGE_CLASSES.get(value, _FALLBACK_BADGE), "stage")


@register.filter
def key_status_badge(value: str) -> str:
    """``{{ account.key_status|key_status_badge }}`` — the key-account status as a coloured badge."""
    if not value:
        return ""
    label = KeyStatus(value).label if value in KeyStatus.values else value
    return _badge(value, label, KEY_STATUS_BADGE_CLASSES.get(value, _FALLBACK_BADGE), "key-status")


@register.filter
def ladder_rung(value: str) -> str:
    """``{{ account.stage|ladder_rung }}`` → ``rung 3 of 6`` (declaration order is rung order)."""
    if value not in LadderStage.values:
        return ""
    return f"rung {LadderStage.values.index(value) + 1} of {len(LadderStage.values)}"


@register.filter
def influence_dots(value: int | None) -> str:
    """Influence 1–5 as five dots, with its number for screen readers."""
    if value is None:
        return "—"
    filled = max(0, min(5, int(value)))
    return format_html(
        '<span class="kam-dots" title="Influence {} of 5">'
        '<span aria-hidden="true">{}<span class="kam-dots-off">{}</span></span>'
        '<span class="visually-hidden">{} of 5</span></span>',
        filled,
        "●" * filled,
        "●" * (5 - filled),
        filled,
    )


@register.filter
def attitude_label(value: int | None) -> str:
    """Attitude −2…+2 in words, coloured from hostile (red) to champion (green)."""
    if value is None:
        return "—"
    labels = dict(forms.ATTITUDE_CHOICES)
    tone = "text-success" if value > 0 else "text-danger" if value < 0 else "text-body-secondary"
    return format_html('<span class="{} text-nowrap">{}</span>', tone, labels.get(value, value))


@register.filter
def money(value: Decimal | None, currency: str = "") -> str:
    """``{{ amount|money:KAM_CURRENCY }}`` → ``1,250,000.00 EUR``; an empty amount is a dash."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f} {currency}".strip()


@register.filter
def money_figure(value: Decimal | None, currency: str = "") -> str:
    """A headline amount: the figure as ``money`` writes it, with the currency set smaller beside it."""
    text = money(value, "")
    if text == "—" or not currency:
        return text
    return format_html('{}<span class="kam-currency"> {}</span>', text, currency)


@register.filter
def user_label(user: Any) -> str:
    """A person's full name, or their username when they have none."""
    return forms.user_label(user) if user else ""


@register.filter
def selected_labels(bound_field: Any) -> str:
    """The labels of a multiple-choice field's selected values, for a folded check list's summary."""
    selected = {str(value) for value in (bound_field.value() or [])}
    return ", ".join(str(label) for value, label in bound_field.field.choices if str(value) in selected)


@register.simple_tag(takes_context=True)
def portfolio_query(context: template.Context, **changes: Any) -> str:
    """The current portfolio query with ``changes`` applied (None drops a key) and empty values left out:
    ``{% portfolio_query page=3 %}``."""
    return list_query(context["request"], changes)


# --- account page: orders, invoices, NPS, interactions ----------------------------------------------------

ORDER_STATUS_CLASSES: dict[str, str] = {
    OrderStatus.CONFIRMED: "bg-primary-subtle text-primary-emphasis border-primary-subtle",
    OrderStatus.FULFILLED: "bg-success-subtle text-success-emphasis border-success-subtle",
    OrderStatus.CANCELLED: "bg-body-secondary text-body-secondary border-secondary-subtle text-decoration-line-through",
}
INVOICE_STATUS_CLASSES: dict[str, str] = {
    InvoiceStatus.OPEN: "bg-primary-subtle text-primary-emphasis border-primary-subtle",
    InvoiceStatus.PAID: "bg-success-subtle text-success-emphasis border-success-subtle",
    InvoiceStatus.WRITTEN_OFF: "text-bg-danger border-danger",
    InvoiceStatus.CANCELLED: "bg-body-secondary text-body-secondary border-secondary-subtle",
}
OVERDUE_CLASSES = "bg-danger-subtle text-danger-emphasis border-danger-subtle"
SERVICE_LEVEL_CLASSES: dict[str, str] = {
    ServiceLevel.STANDARD: "bg-body-secondary text-body-secondary border-secondary-subtle",
    ServiceLevel.ENHANCED: "bg-info-subtle text-info-emphasis border-info-subtle",
    ServiceLevel.PREMIUM: "bg-warning-subtle text-warning-emphasis border-warning-subtle",
}
INTERACTION_STATUS_CLASSES: dict[str, str] = {
    InteractionStatus.PLANNED: "bg-info-subtle text-info-emphasis border-info-subtle",
    InteractionStatus.COMPLETED: "bg-success-subtle text-success-emphasis border-success-subtle",
    InteractionStatus.CANCELLED: "bg-body-secondary text-body-secondary border-secondary-subtle",
}

# Stroke icons on a 24×24 grid (drawn after the Feather icon set's style), one per interaction kind.
_ICON_PATHS: dict[str, str] = {
    InteractionKind.MEETING: (
        '<path d="M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2"/><circle cx="9" cy="7" r="4"/>'
        '<path d="M23 21v-2a4 4 0 0 0-3-3.87"/><path d="M16 3.13a4 4 0 0 1 0 7.75"/>'
    ),
    InteractionKind.CALL: (
        '<path d="M22 16.92v3a2 2 0 0 1-2.18 2 19.79 19.79 0 0 1-8.63-3.07 19.5 19.5 0 0 1-6-6 19.79 19.79 0 0 '
        "1-3.07-8.67A2 2 0 0 1 4.11 2h3a2 2 0 0 1 2 1.72 12.84 12.84 0 0 0 .7 2.81 2 2 0 0 1-.45 2.11L8.09 9.91a16 "
        '16 0 0 0 6 6l1.27-1.27a2 2 0 0 1 2.11-.45 12.84 12.84 0 0 0 2.81.7A2 2 0 0 1 22 16.92z"/>'
    ),
    InteractionKind.EMAIL: ('<rect x="2" y="4" width="20" height="16" rx="2"/><polyline points="22,6 12,13 2,6"/>'),
    InteractionKind.VISIT: '<path d="M21 10c0 7-9 13-9 13s-9-6-9-13a9 9 0 0 1 18 0z"/><circle cx="12" cy="10" r="3"/>',
    InteractionKind.VIDEO: '<polygon points="23 7 16 12 23 17 23 7"/><rect x="1" y="5" width="15" height="14" rx="2"/>',
    InteractionKind.BUSINESS_REVIEW: (
        '<line x1="18" y1="20" x2="18" y2="10"/><line x1="12" y1="20" x2="12" y2="4"/>'
        '<line x1="6" y1="20" x2="6" y2="14"/>'
    ),
    InteractionKind.EVENT: (
        '<rect x="3" y="4" width="18" height="18" rx="2"/><line x1="16" y1="2" x2="16" y2="6"/>'
        '<line x1="8" y1="2" x2="8" y2="6"/><line x1="3" y1="10" x2="21" y2="10"/>'
    ),
    "advocacy": (
        '<polygon points="12 2 15.09 8.26 22 9.27 17 14.14 18.18 21.02 12 17.77 5.82 21.02 7 14.14 2 9.27 8.91 8.26 '
        '12 2"/>'
    ),
}


def _choice_badge(value: str, choices: Any, classes: dict[str, str], kind: str, *, extra: str = "") -> str:
    if not value:
        return ""
    label = choices(value).label if value in choices.values else value
    return _badge(value, label, " ".join(filter(None, [classes.get(value, _FALLBACK_BADGE), extra])), kind)


@register.filter
def order_status_badge(value: str) -> str:
    return _choice_badge(value, OrderStatus, ORDER_STATUS_CLASSES, "order-status")


@register.filter
def service_level_badge(value: str) -> str:
    return _choice_badge(value, ServiceLevel, SERVICE_LEVEL_CLASSES, "service-level")


@register.filter
def interaction_status_badge(value: str) -> str:
    return _choice_badge(value, InteractionStatus, INTERACTION_STATUS_CLASSES, "interaction-status")


@register.simple_tag
def contact_cadence_cell(account: Any, today: datetime.date | None = None) -> str:
    """The portfolio's "Last contact": the day of the latest completed interaction and, when the contact-cadence
    check flagged the account (``contact_overdue_since``), a red "Overdue" badge with the days since then."""
    today = today or timezone.localdate()
    last = account.last_contact_at
    days = (today - timezone.localtime(last).date()).days if last is not None else None
    when = (
        format_html(
            '<time datetime="{}" title="{}">{}</time>',
            last.isoformat(),
            date_format(timezone.localtime(last), "j M Y, H:i"),
            date_format(timezone.localtime(last), "j M Y"),
        )
        if last is not None
        else ""
    )
    if account.contact_overdue_since is None:
        return when or format_html('<span class="text-body-secondary" title="{}">—</span>', "No completed interaction")
    said = f"{days} d since last contact" if days is not None else "never contacted"
    badge = format_html(
        '<span class="badge rounded-pill border kam-badge {} kam-contact-overdue" title="Overdue since {}">'
        "Overdue · {}</span>",
        OVERDUE_CLASSES,
        date_format(account.contact_overdue_since, "j M Y"),
        f"{days} d" if days is not None else "never contacted",
    )
    return format_html('{} {}<span class="visually-hidden">, {}</span>', when, badge, said) if when else badge


@register.simple_tag
def invoice_status_badge(invoice: Any, today: datetime.date) -> str:
    """An invoice's status; an open one past its due date says "Overdue" with the days, in red."""
    if invoice.status == InvoiceStatus.OPEN and invoice.due_date < today:
        days = (today - invoice.due_date).days
        return format_html(
            '<span class="badge rounded-pill border kam-badge {} kam-invoice-status-overdue" title="Due {}">'
            "Overdue · {} d</span>",
            OVERDUE_CLASSES,
            date_format(invoice.due_date, "j M Y"),
            days,
        )
    return _choice_badge(invoice.status, InvoiceStatus, INVOICE_STATUS_CLASSES, "invoice-status")


def nps_category(score: int) -> str:
    """NPS bands: detractor 0–6, passive 7–8, promoter 9–10."""
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


@register.filter
def nps_score(score: int | None) -> str:
    """An NPS answer as a coloured score: red for detractors, amber for passives, green for promoters."""
    if score is None:
        return "—"
    category = nps_category(int(score))
    return format_html(
        '<span class="kam-nps kam-nps-{}" title="{} ({} of 10)">{}<span class="visually-hidden"> · {}</span></span>',
        category,
        category.capitalize(),
        score,
        score,
        category,
    )


@register.filter
def nps_mean_tone(mean: Decimal | None) -> str:
    """The band of a mean score, for its colour."""
    return "" if mean is None else nps_category(math.floor(mean))


@register.filter
def kind_icon(kind: str) -> str:
    """The icon of an interaction kind (or "advocacy"), decorative: the kind is written next to it."""
    paths = _ICON_PATHS.get(kind, _ICON_PATHS[InteractionKind.MEETING])
    return format_html(
        '<svg class="kam-icon" viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" '
        'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">{}'
        "</svg>",
        mark_safe(paths),  # noqa: S308 — constant markup of this module
    )


@register.filter
def advocacy_kind_label(kind: str) -> str:
    return AdvocacyKind(kind).label if kind in AdvocacyKind.values else kind


@register.filter
def money_short(value: Decimal | float | None) -> str:
    """``1234567`` → ``1.2M``, ``45000`` → ``45k``: axis labels and tight spaces; full amounts elsewhere."""
    if value is None:
        return "—"
    amount = float(value)
    for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(amount) >= divisor:
            scaled = amount / divisor
            text = f"{scaled:.1f}" if abs(scaled) < 10 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    return f"{amount:.0f}"


@register.filter
def percent(value: Decimal | float | None) -> str:
    """A share 0…1 as a whole percentage."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.0f} %"


@register.filter
def days_until(value: datetime.date | None, today: datetime.date) -> int | None:
    """Days from ``today`` to ``value`` (negative: in the past)."""
    return None if value is None else (value - today).days


@register.filter
def days_since(value: datetime.date | None, today: datetime.date) -> int | None:
    """Days from ``value`` to ``today`` (negative: in the future)."""
    return None if value is None else (today - value).days


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value``: a chart axis maximum a reader can scale."""
    if value <= 0:
        return 1.0
    base = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * base * (1 + 1e-9):
            return step * base
    return 10 * base


CHART_WIDTH, CHART_HEIGHT = 680, 200
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 48, 8, 12, 34


@register.inclusion_tag("accounts/partials/revenue_chart.html")
def revenue_chart(months: list[Any], currency: str) -> dict[str, Any]:
    """Monthly revenue as server-drawn SVG bars (no chart library, no script): each bar has its amount as a
    tooltip, and a visually hidden table repeats the figures for screen readers."""
    peak = max((float(month.amount) for month in months), default=0.0)
    top = nice_ceiling(peak)
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    baseline = CHART_TOP + plot_height
    slot = plot_width / max(len(months), 1)
    bar_width = slot * 0.62
    bars = []
    for index, month in enumerate(months):
        height = plot_height * float(month.amount) / top if top else 0
        x = CHART_LEFT + index * slot
        bars.append(
            {
                "month": month,
                "slot_x": round(x, 2),
                "x": round(x + (slot - bar_width) / 2, 2),
                "y": round(baseline - height, 2),
                "height": round(height, 2),
                "label_x": round(x + slot / 2, 2),
                "show_year": index == 0 or month.month.month == 1,
            }
        )
    grid = [
        {"y": round(baseline - plot_height * fraction, 2), "label": money_short(top * fraction)}
        for fraction in (0, 0.5, 1)
    ]
    return {
        "bars": bars,
        "grid": grid,
        "currency": currency,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - CHART_RIGHT,
        "slot": round(slot, 2),
        "bar_width": round(bar_width, 2),
        "plot_top": CHART_TOP,
        "plot_height": plot_height,
        "baseline": baseline,
        "label_y": baseline + 16,
        "year_y": baseline + 29,
        "has_revenue": peak > 0,
    }


# --- scoring ---------------------------------------------------------------------------------------------------

SCORING_RUN_STATUS_CLASSES: dict[str, str] = {
    ScoringRunStatus.QUEUED: "bg-secondary-subtle text-secondary-emphasis border-secondary-subtle",
    ScoringRunStatus.RUNNING: "bg-info-subtle text-info-emphasis border-info-subtle",
    ScoringRunStatus.DONE: "bg-success-subtle text-success-emphasis border-success-subtle",
    ScoringRunStatus.FAILED: "bg-danger-subtle text-danger-emphasis border-danger-subtle",
}


@register.filter
def scoring_run_status_badge(value: str) -> str:
    return _choice_badge(value, ScoringRunStatus, SCORING_RUN_STATUS_CLASSES, "run-status")


IMPORT_STATUS_CLASSES: dict[str, str] = {
    ImportJobStatus.QUEUED: SCORING_RUN_STATUS_CLASSES[ScoringRunStatus.QUEUED],
    ImportJobStatus.RUNNING: SCORING_RUN_STATUS_CLASSES[ScoringRunStatus.RUNNING],
    ImportJobStatus.SUCCEEDED: SCORING_RUN_STATUS_CLASSES[ScoringRunStatus.DONE],
    ImportJobStatus.FAILED: SCORING_RUN_STATUS_CLASSES[ScoringRunStatus.FAILED],
}


@register.filter
def import_status_badge(value: str) -> str:
    """An import job's status, coloured as a scoring run's."""
    return _choice_badge(value, ImportJobStatus, IMPORT_STATUS_CLASSES, "import-status")


@register.filter
def run_duration(run: Any) -> str:
    """How long a scoring run took (or has been running): "850 ms", "12.4 s", "3 min 5 s"; "—" before it starts."""
    if run.started_at is None:
        return "—"
    if run.finished_at is None:
        return "running"
    seconds = (run.finished_at - run.started_at).total_seconds()
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


@register.filter
def kas_trend(account: Any) -> str:
    """▲, ▼ or – comparing the account's KAS with the run before; the title gives the previous value."""
    if account.kas is None:
        return ""
    if account.kas_previous is None:
        arrow, direction, said = "–", "new", "first score"
    elif account.kas > account.kas_previous:
        arrow, direction, said = "▲", "up", f"up from {account.kas_previous:.1f}"
    elif account.kas < account.kas_previous:
        arrow, direction, said = "▼", "down", f"down from {account.kas_previous:.1f}"
    else:
        arrow, direction, said = "–", "flat", f"unchanged from {account.kas_previous:.1f}"
    title = "First score" if account.kas_previous is None else f"Previous KAS {account.kas_previous:.1f}"
    return format_html(
        '<span class="kam-trend kam-trend-{}" title="{}"><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">{}</span></span>',
        direction,
        title,
        arrow,
        said,
    )
