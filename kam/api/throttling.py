"""Rate limits of the API: so many reads and so many writes per minute for each caller.

The caller is the API token of a token request (each token has budgets of its own, so one runaway integration
does not starve another token of the same user), the user of a browser-session request, and the client address
(``REMOTE_ADDR``) of an anonymous one. Reads (GET, HEAD, OPTIONS) and writes (every other method) are counted
apart: ``KAM_API_RATE_READS_PER_MINUTE`` (600) and ``KAM_API_RATE_WRITES_PER_MINUTE`` (120); 0 turns a limit off.

The counters live in Redis so that every gunicorn worker (and every host) agrees: a fixed window per caller and
kind, opened by the caller's first request and closed ``WINDOW_SECONDS`` later — one atomic script increments
the counter, gives a new one its expiry and answers the count with the time left. Each counted response carries
the IETF draft headers (draft-ietf-httpapi-ratelimit-headers-06) ``RateLimit-Limit``, ``RateLimit-Remaining``,
``RateLimit-Reset`` (seconds until the window closes) and ``RateLimit-Policy`` (``120;w=60``); a request over
the limit is refused with 429, ``Retry-After`` and the API's usual ``{"detail", "code": "throttled"}``.

DRF consults throttles after authentication and permissions, so a request refused by those (401, 403) would go
uncounted; the API's exception handler counts it too (``rate_limit_enforce_after_error``), which limits
anonymous callers — token guessing included — per address, and gives those answers the headers as well.

When Redis cannot be reached the limiter fails open: the request goes through without headers, a warning is
logged, and Redis is left alone for ``REDIS_RETRY_SECONDS`` so that an outage costs one timeout per process every
few seconds rather than one per request. A rate limiter must never turn into a 500.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.retry import Retry
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from kam.models import ApiToken

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A Redis that does not answer within this much is treated as down: the request must not wait on it.
REDIS_TIMEOUT_SECONDS = 0.5
REDIS_RETRY_SECONDS = 5.0

# KEYS[1] the caller's counter, ARGV[1] the window in ms. Returns {count, ms left}. A counter without an expiry
# (just created, or left behind by hand) gets one, so no window outlives its length.
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""

# The per-request memo on DRF's Request: the state once the caller has been counted (None: not limited).
_STATE_ATTRIBUTE = "_kam_rate_limit"

_down_until: dict[str, float] = {}
_down_lock = threading.Lock()


@dataclass(frozen=True)
class RateLimitState:
    """Where a caller stands in the current window after this request was counted."""

    limit: int
    count: int
    reset: int  # whole seconds until the window closes, at least 1
    kind: str  # "read" or "write"
    scope: str  # who is limited, in words: "API token", "user", "client address"

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": f"{self.limit};w={WINDOW_SECONDS}",
        }


class RateLimited(exceptions.Throttled):
    """429 that says which budget ran out; DRF's handler adds ``Retry-After`` from ``wait``."""


@functools.cache
def _redis_script(url: str) -> Script:
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        # No retries with backoff (redis-py's default): failing open fast beats counting late.
        retry=Retry(NoBackoff(), 0),
    )
    return client.register_script(_HIT_SCRIPT)


def _redis_is_resting(url: str) -> bool:
    with _down_lock:
        until = _down_until.get(url)
        if until is None:
            return False
        if time.monotonic() < until:
            return True
        del _down_until[url]
        return False


def _redis_rest(url: str, error: Exception) -> None:
    with _down_lock:
        _down_until[url] = time.monotonic() + REDIS_RETRY_SECONDS
    logger.warning(
        "API rate limits are off for %.0f s: Redis cannot be reached (%s: %s); requests go through unlimited.",
        REDIS_RETRY_SECONDS,
        type(error).__name__,
        error,
    )


def rate_limit_hit(*, key: str, limit: int, kind: str, scope: str) -> RateLimitState | None:
    """Count one request against the counter ``key`` and return where it stands, or None when Redis cannot be
    reached (the caller then goes unlimited: fail open)."""
    url = settings.KAM_API_RATE_REDIS_URL
    if _redis_is_resting(url):
        return None
    try:
        count, ttl_ms = _redis_script(url)(keys=[key], args=[WINDOW_SECONDS * 1000])
    except (redis.RedisError, OSError) as error:
        _redis_rest(url, error)
        return None
    reset = max(1, math.ceil(int(ttl_ms) / 1000))
    return RateLimitState(limit=limit, count=int(count), reset=reset, kind=kind, scope=scope)


def _caller(request: Request) -> tuple[str, str, str]:
    """(scope in words, key part, id) of whoever makes the request."""
    try:
        user, auth = request.user, request.auth
    except exceptions.APIException:
        # Only when the handler counts a request refused before authentication ran (e.g. a 406), and the
        # credentials are bad too: DRF has then marked the request anonymous.
        user, auth = None, None
    if isinstance(auth, ApiToken):
        return "API token", "token", str(auth.pk)
    if user is not None and user.is_authenticated:
        return "user", "user", str(user.pk)
    return "client address", "ip", request.META.get("REMOTE_ADDR") or "unknown"


def rate_limit_count(request: Request, view: Any) -> RateLimitState | None:
    """Count the request against its caller's budget once (later calls answer the same) and put the
    ``RateLimit-*`` headers on the view's response. None: not limited (limit 0, or Redis down)."""
    if _STATE_ATTRIBUTE in request.__dict__:
        return request.__dict__[_STATE_ATTRIBUTE]
    kind = "read" if request.method in READ_METHODS else "write"
    limit = settings.KAM_API_RATE_READS_PER_MINUTE if kind == "read" else settings.KAM_API_RATE_WRITES_PER_MINUTE
    state = None
    if limit > 0:
        scope, key_part, ident = _caller(request)
        key = f"{settings.KAM_API_RATE_KEY_PREFIX}:{kind}:{key_part}:{ident}"
        state = rate_limit_hit(key=key, limit=limit, kind=kind, scope=scope)
    request.__dict__[_STATE_ATTRIBUTE] = state
    headers = getattr(view, "headers", None)
    if state is not None and isinstance(headers, dict):
        # DRF's finalize_response copies the view's headers onto whatever response it sends, errors included.
        headers.update(state.headers())
    return state


def rate_limit_enforce(request: Request, view: Any) -> None:
    """Count the request and raise ``RateLimited`` (429) when it is over its caller's budget."""
    state = rate_limit_count(request, view)
    if state is None or state.allowed:
        return
    per = "minute" if WINDOW_SECONDS == 60 else f"{WINDOW_SECONDS} seconds"
    raise RateLimited(
        wait=state.reset,
        detail=f"Too many {state.kind}s: the limit is {state.limit} per {per} for each {state.scope}.",
    )


def rate_limit_enforce_after_error(request: Request | None, view: Any) -> None:
    """``rate_limit_enforce`` for the API's exception handler: a request that failed before the throttle ran is
    counted now (one that got past it is not counted twice) — in views that use the throttle."""
    throttles = getattr(view, "throttle_classes", ())
    if request is None or not any(issubclass(throttle, ApiRateThrottle) for throttle in throttles):
        return
    rate_limit_enforce(request, view)


class ApiRateThrottle(BaseThrottle):
    """DEFAULT_THROTTLE_CLASSES: every API view, viewset or not. It raises the 429 itself rather than answering
    False, so that the message can name the budget that ran out."""

    def allow_request(self, request: Request, view: Any) -> bool:
        rate_limit_enforce(request, view)
        return True

    def wait(self) -> float | None:  # never asked: allow_request raises instead of answering False
        return None
