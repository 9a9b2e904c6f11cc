"""DRF authentication by named API token: ``Authorization: Token <key>``."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from audit.actor import actor_set_for_api_token
from kam.api_tokens import api_token_authenticate


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: use 'Authorization: Token <key>'.")
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token header: the key has invalid characters.") from None
        token = api_token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        actor_set_for_api_token(request, token)  # the audit trail's "who" (the middleware ran before DRF)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "kam.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>` — create a key on the API tokens page (`/tokens/`), with "
            "`POST /api/v1/api-tokens/`, or with `manage.py create_api_token USERNAME`. The key is shown once.",
        }
