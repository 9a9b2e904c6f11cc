"""Settings for the test suite: real PostgreSQL and Redis (from DATABASE_URL/REDIS_URL), fast hashing."""

import uuid

from kam.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-anything-else"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_USE_FINDERS = True
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
# No collectstatic here: WhiteNoise serves from the finders, so there is no STATIC_ROOT to scan.
STATIC_ROOT = None
# Limits far above what any test sends, so every API test still goes through the limiter and its headers;
# tests/kam/test_rate_limits.py sets low ones (and a key prefix of its own) where it needs them.
KAM_API_RATE_READS_PER_MINUTE = 1_000_000
KAM_API_RATE_WRITES_PER_MINUTE = 1_000_000
# `make run` and `make test` share the embedded Redis, and token ids of the test database repeat the dev one's.
KAM_API_RATE_KEY_PREFIX = "kam:test:ratelimit"
# Sign-in failures of one test run never lock out another's (nor `make run`'s, on the same embedded Redis); tests of
# the lockout itself use a prefix of their own (tests/kam/test_security.py).
KAM_LOGIN_KEY_PREFIX = f"kam:test:login:{uuid.uuid4().hex}"
