"""Who hears about grants (``kam.services.notifications_create``: in-app and e-mail, after the commit):
directors about a request waiting for them; the requester and the account's owner about a decision; the owner
about a suspension by the daily job."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.urls import reverse

from kam.roles import director_ids
from kam.services import NotificationDraft, notifications_create


def _grant_url(account_id: int, grant_id: int) -> str:
    return reverse("accounts:account_detail", args=[account_id]) + f"#grant-{grant_id}"


def grant_requested_announce(*, grant: Any) -> None:
    """Every director but the requester hears that a benefit request waits."""
    account = grant.account
    drafts = [
        NotificationDraft(
            recipient_id=director,
            kind="benefit.requested",
            title=f"{account.name}: {grant.benefit_type.name} requested ({grant.value} {grant.benefit_type.unit})",
            body=grant.justification,
            url=reverse("benefits:approvals") + f"#grant-{grant.pk}",
            account_id=account.pk,
        )
        for director in director_ids()
        if director != grant.requested_by_id
    ]
    notifications_create(drafts=drafts)


def grant_decided_announce(*, grant: Any, outcome: str) -> None:
    """The requester and the owner hear how a director decided (once each)."""
    account = grant.account
    recipients = dict.fromkeys(pk for pk in (grant.requested_by_id, account.owner_id) if pk is not None)
    drafts = [
        NotificationDraft(
            recipient_id=recipient,
            kind=f"benefit.{outcome}",
            title=f"{account.name}: {grant.benefit_type.name} {outcome}",
            body=grant.decision_note,
            url=_grant_url(account.pk, grant.pk),
            account_id=account.pk,
        )
        for recipient in recipients
    ]
    notifications_create(drafts=drafts)


def grants_suspended_announce(*, suspended: Sequence[tuple[int, int, str, str, int | None]]) -> None:
    """Owners hear which of their grants the daily job suspended: ``(grant, account, account name, benefit
    name, owner)``."""
    drafts: Iterable[NotificationDraft] = (
        NotificationDraft(
            recipient_id=owner,
            kind="benefit.suspended",
            title=f"{account_name}: {benefit_name} suspended",
            body="The account no longer meets the benefit's rules; it resumes if it does again before it ends.",
            url=_grant_url(account_id, grant_id),
            account_id=account_id,
        )
        for grant_id, account_id, account_name, benefit_name, owner in suspended
        if owner is not None
    )
    notifications_create(drafts=list(drafts))
