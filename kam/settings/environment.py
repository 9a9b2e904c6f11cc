"""The one place where settings read the process environment.

Every reader fails loudly: a malformed value raises ``ImproperlyConfigured`` naming the variable,
so a typo in a deployment never degrades silently into a default.
"""

from __future__ import annotations

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value.strip()


def env_required(name: str, hint: str) -> str:
    value = env_str(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set: {hint}")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off).")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} is too small: use a whole number of at least {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={value!r} is too large: use a whole number of at most {maximum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_env(*, conn_max_age: int) -> dict:
    url = env_required(
        "DATABASE_URL",
        "a PostgreSQL URL such as postgres://user:password@host:5432/kam. "
        "`make run` and `make test` start an embedded PostgreSQL and set it for you; "
        "for other commands use `make manage ARGS='...'`.",
    )
    if not url.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured("DATABASE_URL must be a PostgreSQL URL (postgres:// or postgresql://).")
    try:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=conn_max_age > 0)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from None
    return config


def redis_from_env() -> str:
    url = env_required(
        "REDIS_URL",
        "a Redis URL such as redis://127.0.0.1:6379/0 or unix:///path/to/redis.sock. "
        "`make run` and `make test` start an embedded Redis and set it for you.",
    )
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://.")
    return url


def celery_broker_url(redis_url: str) -> str:
    """Celery's Redis transport spells a unix socket ``redis+socket://``; redis-py spells it ``unix://``."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


# DESIGN §10: an account with no completed interaction for longer than its tier allows is overdue.
CADENCE_TIERS = (("strategic", 30), ("key", 45), ("other", 90))


def cadence_days_from_env() -> dict[str, int]:
    """Days a tier may go without a completed interaction: ``KAM_CADENCE_STRATEGIC_DAYS`` (30),
    ``KAM_CADENCE_KEY_DAYS`` (45) and ``KAM_CADENCE_OTHER_DAYS`` (90, candidate and standard accounts).
    A more important tier may not be allowed a longer gap than a less important one."""
    days = {
        tier: env_int(f"KAM_CADENCE_{tier.upper()}_DAYS", default, minimum=1, maximum=3650)
        for tier, default in CADENCE_TIERS
    }
    if not days["strategic"] <= days["key"] <= days["other"]:
        raise ImproperlyConfigured(
            "KAM_CADENCE_STRATEGIC_DAYS ≤ KAM_CADENCE_KEY_DAYS ≤ KAM_CADENCE_OTHER_DAYS must hold "
            f"(got {days['strategic']}, {days['key']}, {days['other']}): a more important account is contacted "
            "at least as often."
        )
    return days


def site_url_from_env(default: str) -> str:
    """``KAM_SITE_URL``: where KAM is served, for the links in e-mails (``https://kam.example.com``)."""
    url = (env_str("KAM_SITE_URL", default) or "").rstrip("/")
    if not url.startswith(("http://", "https://")) or "/" in url.split("://", 1)[1]:
        raise ImproperlyConfigured(f"KAM_SITE_URL={url!r} must be http(s)://host[:port], without a path.")
    return url
