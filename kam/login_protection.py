"""Sign-in protection: repeated failed sign-ins pause signing in, per username and per client address.

A failed sign-in (a wrong username or password, on ``/login/`` or ``/admin/login/``) is counted twice: against the
username it named (``KAM_LOGIN_MAX_FAILURES_PER_USER``, 5) and against the client address it came from
(``KAM_LOGIN_MAX_FAILURES_PER_ADDRESS``, 20). Failures are counted in a window of ``KAM_LOGIN_LOCKOUT_MINUTES``
(15) opened by the first one; the failure that reaches a limit locks that username or address for
``KAM_LOGIN_LOCKOUT_MINUTES``, and a warning is logged. While locked, every attempt is refused before the password
is looked at — the right password too, so guessing on cannot tell a right password from a wrong one — with a
message that says when to try again. A limit of 0 turns that limit off.

- The username is counted whether or not such a user exists (case-insensitively), so the lockout says nothing
  about which usernames exist; it is stored hashed.
- A successful sign-in clears its username's failures. It does not clear the address's: one valid account must
  not let a guesser reset the budget of the address it guesses from.
- The address is ``REMOTE_ADDR``, as for the API's rate limits: behind a reverse proxy that is the proxy's, and
  every user behind it shares one budget — there, have the proxy limit sign-ins per client and set the
  per-address limit to 0.

The counters live in Redis (``REDIS_URL``), so every web worker and host agrees, and they expire by themselves.
When Redis cannot be reached the protection fails open: sign-in works as without it (passwords are still checked),
a warning is logged, and Redis is left alone for ``REDIS_RETRY_SECONDS``. Failing closed would lock every user,
administrators included, out of KAM for as long as Redis is down — a worse outage than the guessing it prevents
for that while.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Literal

import redis
from django.conf import settings
from django.http import HttpRequest
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.retry import Retry

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 0.5
REDIS_RETRY_SECONDS = 5.0

Scope = Literal["user", "address"]

# KEYS: the username's failures, its lock, the address's failures, its lock. ARGV: the window and the lockout in
# ms, the username's and the address's limits (0: not counted). Counts one failure against each and locks what
# reached its limit. Returns the ms left of each lock this failure started (0: none started).
_FAILURE_SCRIPT = """
local started = {0, 0}
for i = 0, 1 do
    local limit = tonumber(ARGV[3 + i])
    if limit > 0 then
        local failures, lock = KEYS[1 + 2 * i], KEYS[2 + 2 * i]
        local count = redis.call('INCR', failures)
        if redis.call('PTTL', failures) < 0 then
            redis.call('PEXPIRE', failures, ARGV[1])
        end
        if count >= limit then
            redis.call('SET', lock, '1', 'PX', ARGV[2])
            redis.call('DEL', failures)
            started[1 + i] = tonumber(ARGV[2])
        end
    end
end
return started
"""

_down_until: dict[str, float] = {}
_down_lock = threading.Lock()


@dataclass(frozen=True)
class LoginLockout:
    """Signing in is paused for a username or a client address."""

    scope: Scope
    seconds_left: int

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil(self.seconds_left / 60))

    @property
    def message(self) -> str:
        minutes = self.minutes_left
        whose = "for this username" if self.scope == "user" else "from your network address"
        return (
            f"Too many failed sign-ins {whose}. For your security, signing in is paused: "
            f"try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


@functools.cache
def _failure_script(url: str) -> Script:
    return _redis_client(url).register_script(_FAILURE_SCRIPT)


def _redis_available(url: str) -> bool:
    with _down_lock:
        until = _down_until.get(url)
        if until is None:
            return True
        if time.monotonic() < until:
            return False
        del _down_until[url]
        return True


def _redis_rest(url: str, error: Exception) -> None:
    with _down_lock:
        _down_until[url] = time.monotonic() + REDIS_RETRY_SECONDS
    logger.warning(
        "Sign-in protection is off for %.0f s: Redis cannot be reached (%s: %s); failed sign-ins are not counted.",
        REDIS_RETRY_SECONDS,
        type(error).__name__,
        error,
    )


def _keys(*, username: str, address: str) -> list[str]:
    prefix = settings.KAM_LOGIN_KEY_PREFIX
    user = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    return [
        f"{prefix}:failures:user:{user}",
        f"{prefix}:lock:user:{user}",
        f"{prefix}:failures:ip:{address}",
        f"{prefix}:lock:ip:{address}",
    ]


def login_client_address(request: HttpRequest | None) -> str:
    """The address a sign-in comes from: ``REMOTE_ADDR`` (see the module's docstring about proxies)."""
    if request is None:
        return "unknown"
    return request.META.get("REMOTE_ADDR") or "unknown"


def login_lockout_get(*, username: str, address: str) -> LoginLockout | None:
    """The lockout in force for this username or address (the username's first), or None — also when Redis is
    down (fail open)."""
    url = settings.KAM_LOGIN_REDIS_URL
    if not _redis_available(url):
        return None
    _, user_lock, _, address_lock = _keys(username=username, address=address)
    try:
        pipeline = _redis_client(url).pipeline(transaction=False)
        pipeline.pttl(user_lock)
        pipeline.pttl(address_lock)
        user_ms, address_ms = pipeline.execute()
    except (redis.RedisError, OSError) as error:
        _redis_rest(url, error)
        return None
    # PTTL answers -2 for a missing key (and -1 for one without expiry, which this module never writes).
    if settings.KAM_LOGIN_MAX_FAILURES_PER_USER and int(user_ms) > 0:
        return LoginLockout(scope="user", seconds_left=math.ceil(int(user_ms) / 1000))
    if settings.KAM_LOGIN_MAX_FAILURES_PER_ADDRESS and int(address_ms) > 0:
        return LoginLockout(scope="address", seconds_left=math.ceil(int(address_ms) / 1000))
    return None


def login_failure_record(*, username: str, address: str) -> LoginLockout | None:
    """Count a failed sign-in against its username and its address; the lockout it started, if it reached a
    limit (then a warning is logged), else None."""
    url = settings.KAM_LOGIN_REDIS_URL
    if not _redis_available(url):
        return None
    lockout_ms = round(settings.KAM_LOGIN_LOCKOUT_MINUTES * 60_000)
    try:
        user_ms, address_ms = _failure_script(url)(
            keys=_keys(username=username, address=address),
            args=[
                lockout_ms,
                lockout_ms,
                settings.KAM_LOGIN_MAX_FAILURES_PER_USER,
                settings.KAM_LOGIN_MAX_FAILURES_PER_ADDRESS,
            ],
        )
    except (redis.RedisError, OSError) as error:
        _redis_rest(url, error)
        return None
    started = None
    if int(address_ms):
        started = LoginLockout(scope="address", seconds_left=math.ceil(int(address_ms) / 1000))
        logger.warning(
            "Sign-in locked for %s minutes for client address %s: %d failed sign-ins (the last for username %r).",
            settings.KAM_LOGIN_LOCKOUT_MINUTES,
            address,
            settings.KAM_LOGIN_MAX_FAILURES_PER_ADDRESS,
            username,
        )
    if int(user_ms):
        started = LoginLockout(scope="user", seconds_left=math.ceil(int(user_ms) / 1000))
        logger.warning(
            "Sign-in locked for %s minutes for username %r: %d failed sign-ins (the last from %s).",
            settings.KAM_LOGIN_LOCKOUT_MINUTES,
            username,
            settings.KAM_LOGIN_MAX_FAILURES_PER_USER,
            address,
        )
    return started


def login_success_record(*, username: str) -> None:
    """A successful sign-in: its username's failures start again from nought (the address's do not)."""
    url = settings.KAM_LOGIN_REDIS_URL
    if not _redis_available(url):
        return
    failures = _keys(username=username, address="")[0]
    try:
        _redis_client(url).delete(failures)
    except (redis.RedisError, OSError) as error:
        _redis_rest(url, error)
