"""Production settings: no insecure default. A missing secret or host list stops start-up."""

from django.core.exceptions import ImproperlyConfigured

from kam.settings.base import *  # noqa: F403
from kam.settings.environment import env_bool, env_int, env_list, env_required, site_url_from_env

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_required(
    "DJANGO_SECRET_KEY", "a long random string (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must be set: a comma-separated list of the host names KAM is served on."
    )
# Links in e-mails: the first allowed host over HTTPS unless KAM_SITE_URL says otherwise.
_first_host = ALLOWED_HOSTS[0].lstrip(".")
KAM_SITE_URL = site_url_from_env(f"https://{_first_host}" if _first_host not in ("", "*") else "http://localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [f"https://{host}" for host in ALLOWED_HOSTS])
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DJANGO_CONN_MAX_AGE", 60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

# HTTPS only: `manage.py check --deploy --fail-level WARNING` passes with these (tests/kam/test_security.py).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The __Host- prefix makes the browser refuse these cookies unless they are Secure, for this host only and for every
# path: a sibling sub-domain cannot plant a session or a CSRF cookie on KAM.
SESSION_COOKIE_NAME = "__Host-kam_session"
CSRF_COOKIE_NAME = "__Host-kam_csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A working day: a forgotten signed-in browser does not stay open for Django's default of two weeks.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=5 * 60, maximum=14 * 24 * 60 * 60)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
