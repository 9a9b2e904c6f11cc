"""Writes of project-wide records: notifications and API tokens.

``notifications_create`` is the one way any feature tells users something (the contact-cadence check today,
benefits later): it stores the in-app notifications in one INSERT and, once the caller's transaction commits,
e-mails them through Django's mail settings — one e-mail per recipient and batch, a digest when there are
several. A rolled-back transaction therefore
neither shows nor mails anything, and a mail server that is down loses the e-mail (logged), never the
notification.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from kam import api_tokens
from kam.models import ApiToken, Notification
from kam.roles import is_director

logger = logging.getLogger(__name__)

KIND_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
LOCAL_PATH = re.compile(r"^/([^/\\].*)?$", re.DOTALL)
TITLE_LENGTH = Notification._meta.get_field("title").max_length or 200


@dataclass(frozen=True)
class NotificationDraft:
    """A notification to create: for whom, what kind, what it says, and where in KAM to act on it."""

    recipient_id: int
    kind: str
    title: str
    body: str = ""
    url: str = ""
    account_id: int | None = None


def _draft_checked(draft: NotificationDraft) -> NotificationDraft:
    # The model's check constraints, in Python: full_clean() would cost a query per constraint and notification.
    errors: dict[str, list[str]] = {}
    if not KIND_CODE.match(draft.kind):
        errors["kind"] = ["The kind is a dotted lower-case code such as contact_cadence.overdue."]
    if not draft.title.strip():
        errors["title"] = ["A notification needs a title."]
    if draft.url and not LOCAL_PATH.match(draft.url):
        errors["url"] = ["The link must be a path inside KAM, starting with a single /."]
    if errors:
        raise ValidationError(errors)
    return draft


def notifications_create(*, drafts: Sequence[NotificationDraft], email: bool = True) -> list[Notification]:
    """Create the notifications in one INSERT (titles longer than the column are shortened with an ellipsis)
    and, with ``email``, e-mail them after the transaction commits (``notification_emails_send``).

    Runs inside the caller's transaction when there is one, so a notification exists exactly when what it
    tells about does."""
    checked = [_draft_checked(draft) for draft in drafts]
    if not checked:
        return []
    now = timezone.now()
    with transaction.atomic():
        created = Notification.objects.bulk_create(
            Notification(
                recipient_id=draft.recipient_id,
                kind=draft.kind,
                account_id=draft.account_id,
                title=Truncator(draft.title.strip()).chars(TITLE_LENGTH),
                body=draft.body,
                url=draft.url,
                created_at=now,
            )
            for draft in checked
        )
        if email:
            ids = [notification.pk for notification in created]
            transaction.on_commit(lambda: notification_emails_send(notification_ids=ids), robust=True)
    return created


def notification_create(
    *,
    recipient: Any,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    account: Any | None = None,
    email: bool = True,
) -> Notification:
    """Tell one user something (see ``notifications_create``)."""
    draft = NotificationDraft(
        recipient_id=recipient.pk,
        kind=kind,
        title=title,
        body=body,
        url=url,
        account_id=account.pk if account is not None else None,
    )
    return notifications_create(drafts=[draft], email=email)[0]


def _email_part(notification: Notification) -> str:
    lines = [notification.body.strip()] if notification.body.strip() else []
    if notification.url:
        lines.append(f"Open in KAM: {settings.KAM_SITE_URL}{notification.url}")
    return "\n\n".join(lines)


def _email_of(notifications: Sequence[Notification]) -> tuple[str, str]:
    """Subject and text of the e-mail that carries ``notifications`` (one recipient's, oldest first)."""
    footer = f"— KAM. All your notifications: {settings.KAM_SITE_URL}{reverse('notification_list')}"
    if len(notifications) == 1:
        only = notifications[0]
        return only.title, "\n\n".join(filter(None, [_email_part(only), footer]))
    parts = [f"{notification.title}\n{_email_part(notification)}".strip() for notification in notifications]
    return f"KAM: {len(notifications)} new notifications", "\n\n\n".join([*parts, footer])


def notification_emails_send(*, notification_ids: Sequence[int]) -> int:
    """E-mail these notifications to their recipients, one e-mail per recipient (several notifications of one
    batch — the morning's overdue accounts — arrive as one digest), over one mail connection; returns how many
    e-mails were sent.

    Recipients without an e-mail address, or deactivated, get none. A failure is logged and the other e-mails
    are still sent: the in-app notifications stay either way."""
    notifications = Notification.objects.filter(pk__in=list(notification_ids)).select_related("recipient")
    by_recipient: dict[int, list[Notification]] = {}
    for notification in notifications.order_by("pk"):
        if notification.recipient.is_active and notification.recipient.email:
            by_recipient.setdefault(notification.recipient_id, []).append(notification)
    if not by_recipient:
        return 0
    sent = 0
    try:
        with get_connection() as connection:
            for items in by_recipient.values():
                subject, text = _email_of(items)
                try:
                    sent += send_mail(
                        subject=subject,
                        message=text,
                        from_email=None,
                        recipient_list=[items[0].recipient.email],
                        connection=connection,
                    )
                except Exception:
                    logger.exception("could not e-mail notifications %s", [item.pk for item in items])
    except Exception:
        logger.exception("could not open a mail connection for %s recipients", len(by_recipient))
    return sent


def notification_mark_read(*, user: Any, notification: Notification) -> Notification:
    """Mark one of ``user``'s notifications read (again is harmless: the first time is kept)."""
    if notification.recipient_id != user.pk:
        raise PermissionDenied("Only its recipient marks a notification read.")
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    """Mark every unread notification of ``user`` read, in one statement; returns how many."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())


# --- API tokens: who may create and revoke them. Making keys and hashing them stays in kam.api_tokens. -------


def api_token_create(*, actor: Any, name: str) -> tuple[ApiToken, str]:
    """Create an API token for ``actor`` themself, named for what uses it, and return it with its key.

    Only the key's hash is stored, so the caller shows the key this once. Nobody makes a token for someone
    else here — directors neither — and a request authenticated by a token can only make more tokens of that
    token's user; operators make one for any user with ``manage.py create_api_token``. A blank or over-long
    name is a ``ValidationError`` on ``name``."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied("Sign in to create an API token.")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": ["Name the token after what will use it, e.g. “ERP sync”."]})
    return api_tokens.api_token_create(user=actor, name=name)


def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token: its key is refused (401) from the next request on. Its owner or a director may;
    revoking a revoked token changes nothing (the first revocation's time is kept)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied("Sign in to revoke an API token.")
    if token.user_id != actor.pk and not is_director(actor):
        raise PermissionDenied("Only the token's owner or a director revokes it.")
    api_tokens.api_token_revoke(token=token)
    return token
