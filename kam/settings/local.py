"""Settings for a developer's machine (`make run`): debug on by default, a throwaway secret."""

from kam.settings.base import *  # noqa: F403
from kam.settings.environment import env_bool, env_list, env_str

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "") or "insecure-local-development-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# Notification e-mails land as files in var/mail (no mail server needed); DJANGO_EMAIL_BACKEND overrides it.
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = BASE_DIR / "var" / "mail"  # noqa: F405
# Serve static files straight from the apps: no collectstatic step on a developer's machine.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# No collectstatic here: WhiteNoise serves from the finders, so there is no STATIC_ROOT to scan.
STATIC_ROOT = None
