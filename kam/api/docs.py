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
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from kam.content_security_policy import content_security_policy_extend


class ApiSwaggerView(SpectacularSwaggerSplitView):
    template_name = "kam/api_docs/swagger_ui.html"


class ApiRedocView(SpectacularRedocView):
    template_name = "kam/api_docs/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        return content_security_policy_extend(response, style_src=["'unsafe-inline'"], worker_src=["'self'", "blob:"])
