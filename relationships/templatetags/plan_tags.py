"""Presentation helpers of the account plan pages: one colour per plan, objective and action status, and one
per SWOT quadrant (Bootstrap 5.3 colour utilities, like ``accounts.templatetags.account_tags``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from relationships.choices import ActionStatus, ObjectiveStatus, PlanStatus, SwotKind

register = template.Library()

SUBTLE = "bg-{0}-subtle text-{0}-emphasis border-{0}-subtle"
MUTED = "bg-body-secondary text-body-secondary border-secondary-subtle"

PLAN_STATUS_CLASSES = {
    PlanStatus.DRAFT: MUTED,
    PlanStatus.ACTIVE: SUBTLE.format("success"),
    PlanStatus.CLOSED: SUBTLE.format("secondary"),
}
OBJECTIVE_STATUS_CLASSES = {
    ObjectiveStatus.OPEN: SUBTLE.format("primary"),
    ObjectiveStatus.ON_TRACK: SUBTLE.format("success"),
    ObjectiveStatus.AT_RISK: "text-bg-warning border-warning",
    ObjectiveStatus.ACHIEVED: "text-bg-success border-success",
    ObjectiveStatus.MISSED: "text-bg-danger border-danger",
}
ACTION_STATUS_CLASSES = {
    ActionStatus.OPEN: SUBTLE.format("primary"),
    ActionStatus.IN_PROGRESS: SUBTLE.format("info"),
    ActionStatus.DONE: SUBTLE.format("success"),
    ActionStatus.CANCELLED: MUTED + " text-decoration-line-through",
}
# Strengths and opportunities help (green, blue); weaknesses and threats hurt (amber, red).
SWOT_COLOURS = {
    SwotKind.STRENGTH: "success",
    SwotKind.WEAKNESS: "warning",
    SwotKind.OPPORTUNITY: "primary",
    SwotKind.THREAT: "danger",
}
SWOT_HEADINGS = {
    SwotKind.STRENGTH: "Strengths",
    SwotKind.WEAKNESS: "Weaknesses",
    SwotKind.OPPORTUNITY: "Opportunities",
    SwotKind.THREAT: "Threats",
}
SWOT_HINTS = {
    SwotKind.STRENGTH: "What makes us strong with this account",
    SwotKind.WEAKNESS: "Where we fall short",
    SwotKind.OPPORTUNITY: "What we could win",
    SwotKind.THREAT: "What could cost us the account",
}


def _badge(value: str, choices: Any, classes: dict[str, str], kind: str) -> str:
    if not value:
        return ""
    label = choices(value).label if value in choices.values else value
    css = classes.get(value, MUTED)
    return format_html(
        '<span class="badge rounded-pill border kam-badge {} kam-{}-{}">{}</span>', css, kind, value, label
    )


@register.filter
def plan_status_badge(value: str) -> str:
    return _badge(value, PlanStatus, PLAN_STATUS_CLASSES, "plan-status")


@register.filter
def objective_status_badge(value: str) -> str:
    return _badge(value, ObjectiveStatus, OBJECTIVE_STATUS_CLASSES, "objective-status")


@register.filter
def action_status_badge(value: str) -> str:
    return _badge(value, ActionStatus, ACTION_STATUS_CLASSES, "action-status")


@register.filter
def swot_colour(kind: str) -> str:
    """The Bootstrap colour of a SWOT quadrant: ``border-{{ kind|swot_colour }}``."""
    return SWOT_COLOURS.get(kind, "secondary")


@register.filter
def swot_hint(kind: str) -> str:
    return SWOT_HINTS.get(kind, "")


@register.filter
def swot_heading(kind: str) -> str:
    """A quadrant's heading: "Strengths", "Weaknesses", "Opportunities", "Threats"."""
    return SWOT_HEADINGS.get(kind, kind)
