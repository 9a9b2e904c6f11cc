"""``/healthz`` for load balancers and the compose health check, answered before any other middleware.

A probe calls the container by its address (``http://127.0.0.1:8000/healthz``), over plain HTTP: in production
that host is not in ``DJANGO_ALLOWED_HOSTS`` (a 400) and HTTP is redirected to HTTPS (a 301), so a healthy web
service would look dead. The probe asks one thing — does the database answer? — and reads no host and no cookie.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

PATH = "/healthz"


def healthz_response() -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class HealthzMiddleware:
    """First in MIDDLEWARE: ``GET /healthz`` is answered here, whatever the Host header or scheme."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            return healthz_response()
        return self.get_response(request)
