"""Who is acting: the connection's ``kam.actor_id`` / ``kam.actor_label`` / ``kam.request_id`` settings, which
the audit triggers read (``audit.models``).

They are *session-level* settings (``set_config(…, false)``), set when the work starts and reset when it ends:
a request is not one transaction (``ATOMIC_REQUESTS`` is off), so a transaction-local setting would be gone
after the first autocommitted write. Each entry point sets them:

- pages and session-authenticated API calls: ``AuditActorMiddleware`` (the logged-in user); it resets them
  when the response is ready, so a persistent connection never carries them into the next request;
- API token calls: ``kam.api.authentication`` (DRF authenticates inside the view, after the middleware);
- Celery tasks: the ``task_prerun``/``task_postrun`` signals ("system: task <name>");
- a scoring run, an import job, ``manage.py import_csv`` and ``rescore``: ``acting_as`` around their work.

Anonymous requests and reads (GET, HEAD: ``writes_audited``) cost no query: nothing is set, and nothing needs
resetting (the settings are empty between units of work); a logged-in write costs two (set, reset). Whatever
writes with nothing set (a ``manage.py shell``, a migration) is recorded as the system, with an empty label.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse

LABEL_MAX = 200
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_STATE = "_kam_audit_actor"


@dataclass(frozen=True)
class Actor:
    """Who the triggers record: a user (None: the system), a label in words, and the request or task id."""

    user_id: int | None = None
    label: str = ""
    request_id: str = ""


NOBODY = Actor()


def actor_current(*, using: str = DEFAULT_DB_ALIAS) -> Actor:
    """The actor set on this thread's connection (as far as this process knows)."""
    return getattr(connections[using], _STATE, NOBODY)


def actor_set(actor: Actor, *, using: str = DEFAULT_DB_ALIAS) -> Actor:
    """Set the actor on this thread's connection for the rest of the session (until the next set); returns the
    one it replaces. One query."""
    connection = connections[using]
    previous = getattr(connection, _STATE, NOBODY)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('kam.actor_id', %s, false), set_config('kam.actor_label', %s, false),"
            " set_config('kam.request_id', %s, false)",
            ["" if actor.user_id is None else str(actor.user_id), actor.label[:LABEL_MAX], actor.request_id[:64]],
        )
    setattr(connection, _STATE, actor)
    return previous


def actor_reset(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Clear the actor (no query when none is set, or when the connection is gone: its settings went with it)."""
    connection = connections[using]
    if getattr(connection, _STATE, NOBODY) != NOBODY and connection.connection is not None:
        actor_set(NOBODY, using=using)
    setattr(connection, _STATE, NOBODY)


@contextmanager
def acting_as(*, label: str, user: Any = None, request_id: str = "", using: str = DEFAULT_DB_ALIAS) -> Iterator[Actor]:
    """Within the block, changes are recorded as ``user`` (None: the system) with ``label``; the actor before
    is restored after (the request id is kept when none is given)."""
    previous = actor_current(using=using)
    actor = Actor(user_id=None if user is None else user.pk, label=label, request_id=request_id or previous.request_id)
    actor_set(actor, using=using)
    try:
        yield actor
    finally:
        if previous == NOBODY:
            actor_reset(using=using)
        else:
            actor_set(previous, using=using)


def user_label(user: Any) -> str:
    return str(user.get_username())


def actor_set_for_api_token(request: Any, token: Any) -> None:
    """The one call of the API's token authentication: the token's user, named with the token (for a request
    that may write: see ``writes_audited``)."""
    http_request = getattr(request, "_request", request)
    if not writes_audited(http_request):
        return
    actor_set(
        Actor(
            user_id=token.user.pk,
            label=f"{user_label(token.user)} (API token {token.name})",
            request_id=getattr(http_request, "audit_request_id", ""),
        )
    )


def writes_audited(request: HttpRequest) -> bool:
    """Whether the request may change an audited table: not GET, HEAD, OPTIONS or TRACE. HTTP's safe methods
    write no audited row in KAM (what a GET writes — an API token's last use, a session — is not audited), so a
    page or API read costs no query for the actor; a write in one would be recorded as the system."""
    return request.method not in SAFE_METHODS


class AuditActorMiddleware:
    """Sets the logged-in user as the actor for a request that may write (``writes_audited``), and clears it
    when the response is ready. After ``AuthenticationMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        request.audit_request_id = request_id  # type: ignore[attr-defined]
        try:
            user = request.user
            if user.is_authenticated and writes_audited(request):
                actor_set(Actor(user_id=user.pk, label=user_label(user), request_id=request_id))
            return self.get_response(request)
        finally:
            actor_reset()


def _task_label(task: Any) -> str:
    return f"system: task {task.name}"


def _on_task_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    actor_set(Actor(label=_task_label(task), request_id=task_id or ""))


def _on_task_postrun(**_: Any) -> None:
    actor_reset()


def _on_connection_created(connection: Any, **_: Any) -> None:
    # A new connection starts with empty settings, whatever the old one carried.
    setattr(connection, _STATE, NOBODY)


def connect_signals() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_on_task_prerun, weak=False, dispatch_uid="audit_actor_task_prerun")
    task_postrun.connect(_on_task_postrun, weak=False, dispatch_uid="audit_actor_task_postrun")
    connection_created.connect(_on_connection_created, weak=False, dispatch_uid="audit_actor_connection_created")
