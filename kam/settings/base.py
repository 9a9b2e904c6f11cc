"""Settings shared by every environment. Values from the environment are read only here and in
``production.py`` (through ``kam.settings.environment``)."""

from pathlib import Path

from kam.settings.environment import (
    cadence_days_from_env,
    celery_broker_url,
    database_from_env,
    env_bool,
    env_int,
    env_list,
    env_str,
    redis_from_env,
    site_url_from_env,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "") or ""
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # its index expressions (OpClass: the lists' trigram indexes) and lookups
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "bootstrap",
    "chartjs",
    "kam",
    "accounts",
    "relationships",
    "benefits",
    "audit",
]

MIDDLEWARE = [
    "kam.health.HealthzMiddleware",  # first: a probe by address over HTTP is not a 400 or a redirect
    "django.middleware.security.SecurityMiddleware",
    "kam.content_security_policy.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.actor.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kam.context_processors.kam",
            ],
        },
    },
]

DATABASES = {"default": database_from_env(conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 0))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = redis_from_env()

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("KAM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The one base currency of every money amount (DESIGN §4).
KAM_CURRENCY = env_str("KAM_CURRENCY", "EUR")
# Memory PostgreSQL may use per sort or hash in a scoring run before it spills to disk (SET LOCAL work_mem).
KAM_SCORING_WORK_MEM = env_str("KAM_SCORING_WORK_MEM", "256MB")
# How long a scoring run waits for another one to finish before it fails.
KAM_SCORING_LOCK_WAIT_SECONDS = env_int("KAM_SCORING_LOCK_WAIT_SECONDS", 600)
# After a director rejects a Partner proposal, the ladder opens no new one for the account for this many days.
KAM_PARTNER_PROPOSAL_COOLDOWN_DAYS = env_int("KAM_PARTNER_PROPOSAL_COOLDOWN_DAYS", 90)
# Webhooks: a failed delivery is retried after RETRY × 2^(attempt − 1) seconds, MAX_ATTEMPTS attempts in all.
KAM_WEBHOOK_RETRY_SECONDS = env_int("KAM_WEBHOOK_RETRY_SECONDS", 30, minimum=0, maximum=86400)
KAM_WEBHOOK_MAX_ATTEMPTS = env_int("KAM_WEBHOOK_MAX_ATTEMPTS", 8, minimum=1, maximum=20)
KAM_WEBHOOK_TIMEOUT_SECONDS = env_int("KAM_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=120)
# The dashboard: a key account whose KAS fell by this many points since the run before is at risk.
KAM_DASHBOARD_KAS_DROP = env_int("KAM_DASHBOARD_KAS_DROP", 5, minimum=1, maximum=100)
# Contact cadence (DESIGN §10): the longest gap between completed interactions, in days, per tier.
KAM_CADENCE_DAYS = cadence_days_from_env()
# Where KAM is served: the links in notification e-mails start with it.
KAM_SITE_URL = site_url_from_env("http://127.0.0.1:8000")

# API rate limits (kam/api/throttling.py): requests per minute of each API token (else user, else client address),
# reads (GET, HEAD, OPTIONS) and writes apart; 0 turns a limit off. The counters live in Redis.
KAM_API_RATE_READS_PER_MINUTE = env_int("KAM_API_RATE_READS_PER_MINUTE", 600, minimum=0, maximum=1_000_000)
KAM_API_RATE_WRITES_PER_MINUTE = env_int("KAM_API_RATE_WRITES_PER_MINUTE", 120, minimum=0, maximum=1_000_000)
KAM_API_RATE_REDIS_URL = REDIS_URL
KAM_API_RATE_KEY_PREFIX = "kam:ratelimit"
# Safe writes (kam/api/safe_writes.py): PATCH/PUT/DELETE need If-Match (428 without it) unless this is off; the
# first answer to a POST with an Idempotency-Key is kept this many hours for its retries.
KAM_API_REQUIRE_IF_MATCH = env_bool("KAM_API_REQUIRE_IF_MATCH", True)
KAM_IDEMPOTENCY_KEY_HOURS = env_int("KAM_IDEMPOTENCY_KEY_HOURS", 24, minimum=1, maximum=24 * 30)

# Sign-in protection (kam/login_protection.py): this many failed sign-ins for one username, or from one client
# address, within KAM_LOGIN_LOCKOUT_MINUTES pause signing in for it that long; 0 turns a limit off. In Redis.
KAM_LOGIN_MAX_FAILURES_PER_USER = env_int("KAM_LOGIN_MAX_FAILURES_PER_USER", 5, minimum=0, maximum=1000)
KAM_LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("KAM_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=0, maximum=100_000)
KAM_LOGIN_LOCKOUT_MINUTES = env_int("KAM_LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60)
KAM_LOGIN_REDIS_URL = REDIS_URL
KAM_LOGIN_KEY_PREFIX = "kam:login"

# Content-Security-Policy of every response (kam/content_security_policy.py): everything from KAM itself, no inline
# script or style anywhere (templates keep behaviour in static/kam/*.js and looks in CSS classes; a test scans them),
# no plugins, never framed, forms only posted back here. data: images are Bootstrap's own SVG icons in its CSS.
KAM_CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# Notification e-mails go through Django's mail settings (``send_mail``).
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 10, minimum=1, maximum=600)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "KAM <kam@localhost>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kam.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON in, JSON out: one body format to document, validate and test.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # Lists also answer CSV (``?format=csv`` or ``Accept: text/csv``): the whole filtered set, streamed. Only list
    # operations negotiate it; see kam/api/csv.py.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "kam.api.csv.CsvRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "kam.api.csv.ListOnlyCsvNegotiation",
    "DEFAULT_PAGINATION_CLASS": "kam.api.csv.CsvPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["kam.api.throttling.ApiRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
    ],
    "DEFAULT_SCHEMA_CLASS": "kam.api.schema.KamAutoSchema",
    "EXCEPTION_HANDLER": "kam.api.exceptions.api_exception_handler",
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "KAM API",
    "DESCRIPTION": "Key account management: accounts, contacts and the evidence behind key-account status.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # A choice set used by several components (an order and a bulk order record) keeps one stable name.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "accounts.choices.OrderStatus",
        "InvoiceStatusEnum": "accounts.choices.InvoiceStatus",
        "KeyStatusEnum": "accounts.choices.KeyStatus",
        "LadderStageEnum": "accounts.choices.LadderStage",
        "GrantStatusEnum": "benefits.choices.GrantStatus",
        # Several choice sets are called ``kind``; without a name this one became "Kind777Enum" with a warning
        # (drf_spectacular.W001) that fails ``check --deploy --fail-level WARNING``.
        "ImportKindEnum": "accounts.models.ImportKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kam.api.schema.request_rules_as_all_of",
        "kam.api.schema.empty_filter_values",
        "kam.api.schema.free_text_query_values",
        "kam.api.schema.rate_limit_headers",
    ],
}

CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
# Nobody reads a task's return value (ping, for health checks and tests, keeps its own). Storing results would
# also make every enqueue talk to the result store first: with Redis down that blocked for 19 s, then raised a
# RuntimeError instead of the broker's OperationalError.
CELERY_TASK_IGNORE_RESULT = True
# A message is acknowledged after its task returns, and given back to the queue when the process running it dies
# (tests/kam/test_reliability.py walks the tasks: each one also says so, with its own time limits).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Enqueuing fails fast when Redis is down (kam/queue.py answers 503): one quick retry rides out a restart, and
# a host that does not answer is given up after 2 s (a refused connection or a missing socket fails at once).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("KAM_LOG_LEVEL", "INFO")},
}
