"""The Content-Security-Policy header of every response: pages, the admin, the API and its documentation.

The policy is ``KAM_CONTENT_SECURITY_POLICY`` (a directive → sources mapping in ``kam/settings/base.py``): scripts,
styles, images, fonts and requests only from KAM itself, no inline script or style, no plugin, never framed,
forms posted back to KAM only. A script injected into a page (a name in an account, a comment) therefore never
runs, and nothing can be loaded from or sent to another site.

A view whose third-party page cannot live within the policy adds what it needs through
``content_security_policy_extend`` (the API's ReDoc page, whose styled-components insert ``<style>`` elements);
the exception is the page's own, never the site's. A response that already carries the header (set by a view on
purpose) keeps it.

A small middleware of our own rather than django-csp: one fixed policy, no nonces (there is no inline script to
allow), no report endpoint — a dependency would add configuration, not protection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

HEADER = "Content-Security-Policy"
# What a view asked to add to the policy for its own response (directive → extra sources).
_EXTENSION_ATTRIBUTE = "_kam_content_security_policy_extension"


def content_security_policy_render(policy: Mapping[str, Iterable[str]]) -> str:
    """``{"default-src": ["'self'"], "upgrade-insecure-requests": []}`` → ``default-src 'self'; upgrade-insecure-
    requests``, in the mapping's order."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


def content_security_policy_extend(response: HttpResponseBase, **sources: Iterable[str]) -> HttpResponseBase:
    """Let this response's policy allow more: ``style_src=["'unsafe-inline'"]`` adds to ``style-src``.
    Keyword names are directives with ``_`` for ``-``."""
    extension: dict[str, list[str]] = getattr(response, _EXTENSION_ATTRIBUTE, {})
    for name, extra in sources.items():
        extension.setdefault(name.replace("_", "-"), []).extend(extra)
    setattr(response, _EXTENSION_ATTRIBUTE, extension)
    return response


def content_security_policy_for(response: HttpResponseBase) -> str:
    """The header value for ``response``: the site's policy plus what its view added."""
    policy = {directive: list(sources) for directive, sources in settings.KAM_CONTENT_SECURITY_POLICY.items()}
    for directive, extra in getattr(response, _EXTENSION_ATTRIBUTE, {}).items():
        # A directive the site policy leaves out falls back to default-src: start from that.
        current = policy.setdefault(directive, list(policy.get("default-src", [])))
        current.extend(source for source in extra if source not in current)
    return content_security_policy_render(policy)


class ContentSecurityPolicyMiddleware:
    """Sets ``Content-Security-Policy`` on every response. Listed right after SecurityMiddleware, so the static
    files WhiteNoise answers get it too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = content_security_policy_for(response)
        return response
