"""Presentation helpers of the account pages: one colour per ladder stage and key status, money in the base
currency, and portfolio links that keep the current filters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.http import QueryDict
from django.utils.html import format_html

from accounts import forms
from accounts.choices import KeyStatus, LadderStage

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
def user_label(user: Any) -> str:
    """A person's full name, or their username when they have none."""
    return forms.user_label(user) if user else ""


@register.filter
def selected_labels(bound_field: Any) -> str:
    """The labels of a multiple-choice field's selected values, for a folded check list's summary."""
    selected = {str(value) for value in (bound_field.value() or [])}
    return ", ".join(str(label) for value, label in bound_field.field.choices if str(value) in selected)


def _portfolio_query(request: Any, changes: dict[str, Any]) -> str:
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [value for value in values if value != ""]
        if kept and key not in changes:
            params.setlist(key, kept)
    for key, value in changes.items():
        if value not in (None, ""):
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def portfolio_query(context: template.Context, **changes: Any) -> str:
    """The current portfolio query with ``changes`` applied (None drops a key) and empty values left out:
    ``{% portfolio_query page=3 %}``."""
    return _portfolio_query(context["request"], changes)


@register.inclusion_tag("accounts/partials/sort_header.html", takes_context=True)
def sort_header(context: template.Context, field: str, label: str, align: str = "") -> dict[str, Any]:
    """A column header that sorts the portfolio by ``field``; a second click reverses the order."""
    current = (context.get("ordering") or "").split(",")[0]
    direction = "ascending" if current == field else "descending" if current == f"-{field}" else ""
    target = f"-{field}" if direction == "ascending" else field
    return {
        "label": label,
        "align": align,
        "direction": direction,
        "url": _portfolio_query(context["request"], {"ordering": target, "page": None}),
    }
