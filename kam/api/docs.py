"""The API's documentation pages, Swagger UI (``/api/docs/``) and ReDoc (``/api/redoc/``), from
drf-spectacular-sidecar, served within the site's Content-Security-Policy (kam/content_security_policy.py).

drf-spectacular's own templates put the Swagger UI start-up script and a few page styles inline, and ReDoc's loads
its fonts from Google. Here Swagger UI is the split view (its start-up script is a second request to the same URL
with ``?script``), and both pages take their page styles from ``static/kam/api_swagger_ui.css`` and
``static/kam/api_redoc.css``, and their fonts from the system.

ReDoc alone needs more than the site allows: it renders with styled-components, which writes its CSS into
``<style>`` elements at run time (Chromium refuses them under ``style-src 'self'`` and the page stays unstyled), and
it runs its search index in a Web Worker made from a ``blob:`` URL. So the ReDoc page — only that page — allows
inline styles and blob: workers (a worker only the page's own scripts, from 'self', can create); never inline
scripts. Its sidebar's Redocly logo, which it
always asks of Redocly's CDN, stays blocked (``img-src``), and the text beside it remains.

The schema itself (``/api/schema/``) is generated from the code once per process, version and day, then served
from memory: generating it walks every view and serializer (1–3 s), and it only changes with the code — and with
the date, which a few patterns name (a grant starts today or later, a scoring run is not as of a day to come).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.test.signals import setting_changed
from django.utils import timezone
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.response import Response

from kam.content_security_policy import content_security_policy_extend

SCHEMAS: dict[tuple[Any, ...], dict] = {}  # (version, language, serve_public, today) → the generated schema


@receiver(setting_changed)
def _schemas_forget(**kwargs: Any) -> None:
    """A test that changes a setting may change the schema (rate limits, safe writes): generate it again."""
    SCHEMAS.clear()


class ApiSchemaView(SpectacularAPIView):
    """drf-spectacular's schema view, generating the schema once per process (it does not depend on who asks:
    ``SERVE_PUBLIC``)."""

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        today = timezone.localdate()
        key = (version, get_language(), self.serve_public, today)
        if key not in SCHEMAS:
            for stale in [known for known in SCHEMAS if known[-1] != today]:
                del SCHEMAS[stale]
            generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
            SCHEMAS[key] = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=SCHEMAS[key],
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )


class ApiSwaggerView(SpectacularSwaggerSplitView):
    template_name = "kam/api_docs/swagger_ui.html"


class ApiRedocView(SpectacularRedocView):
    template_name = "kam/api_docs/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        return content_security_policy_extend(response, style_src=["'unsafe-inline'"], worker_src=["'self'", "blob:"])
