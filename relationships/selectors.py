"""Reads of the relationship records, scoped by the account visibility of ``accounts.selectors``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.selectors import rows_on_visible_accounts
from relationships.models import AdvocacyEvent, Contract, Feedback, Interaction


def feedback_visible_to(user: Any) -> QuerySet[Feedback]:
    return rows_on_visible_accounts(Feedback, user)


def advocacy_events_visible_to(user: Any) -> QuerySet[AdvocacyEvent]:
    return rows_on_visible_accounts(AdvocacyEvent, user)


def contracts_visible_to(user: Any) -> QuerySet[Contract]:
    return rows_on_visible_accounts(Contract, user)


def interactions_visible_to(user: Any) -> QuerySet[Interaction]:
    return rows_on_visible_accounts(Interaction, user)


def feedback_list(*, user: Any) -> QuerySet[Feedback]:
    return feedback_visible_to(user).select_related("account", "contact")


def advocacy_event_list(*, user: Any) -> QuerySet[AdvocacyEvent]:
    return advocacy_events_visible_to(user).select_related("account", "logged_by", "verified_by", "referred_account")


def contract_list(*, user: Any) -> QuerySet[Contract]:
    return contracts_visible_to(user).select_related("account")


def interaction_list(*, user: Any) -> QuerySet[Interaction]:
    return interactions_visible_to(user).select_related("account", "user").prefetch_related("contacts")
