"""Who hears about the ladder's decisions (through ``kam.services.notifications_create``: in-app and e-mail,
after the commit): directors about a Partner proposal or an override request waiting for them, the account's
owner about the proposal's outcome, and the requester about an override's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import reverse

from kam.roles import director_ids
from kam.services import NotificationDraft, notifications_create


def _ladder_url(account_id: int) -> str:
    return reverse("accounts:account_detail", args=[account_id]) + "#ladder"


def partner_proposals_announce(*, proposals: Sequence[tuple[int, int, str]]) -> None:
    """Tell every director about newly opened Partner proposals: ``(proposal id, account id, account name)``."""
    directors = director_ids()
    drafts = [
        NotificationDraft(
            recipient_id=director,
            kind="ladder.partner_proposed",
            title=f"{name}: the ladder proposes Partner",
            body="The rules say Partner; the account waits at Advocate until a director approves or rejects.",
            url=reverse("ladder:queue") + f"#proposal-{proposal_id}",
            account_id=account_id,
        )
        for proposal_id, account_id, name in proposals
        for director in directors
    ]
    notifications_create(drafts=drafts)


def override_requested_announce(*, override: Any) -> None:
    """Tell every director (but the requester) that an override waits for a decision."""
    account = override.account
    drafts = [
        NotificationDraft(
            recipient_id=director,
            kind="ladder.override_requested",
            title=f"{account.name}: override to {override.get_stage_display()} requested",
            body=override.reason,
            url=reverse("ladder:queue") + f"#override-{override.pk}",
            account_id=account.pk,
        )
        for director in director_ids()
        if director != override.requested_by_id
    ]
    notifications_create(drafts=drafts)


def decision_announce(*, recipient_id: int | None, account: Any, kind: str, title: str, note: str) -> None:
    """Tell one person (a requester, an owner) how a director decided."""
    if recipient_id is None:
        return
    notifications_create(
        drafts=[
            NotificationDraft(
                recipient_id=recipient_id,
                kind=kind,
                title=title,
                body=note,
                url=_ladder_url(account.pk),
                account_id=account.pk,
            )
        ]
    )
