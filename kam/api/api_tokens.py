"""The API tokens API: ``GET api-tokens/`` (your tokens; a director's: everybody's, ``?mine=true`` for their own,
``?active=true|false``), ``POST api-tokens/`` (a new token of your own, its key in this answer only),
``GET api-tokens/{id}/`` and ``POST api-tokens/{id}/revoke/``.

Anyone else's token is a 404. A request authenticated by a token creates tokens for that token's user only:
there is no ``user`` to send.
"""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kam import selectors, services
from kam.api.safe_writes import SafeWritesMixin
from kam.api.serializers import StrictCharField, UnknownKeysRefused
from kam.filters import ApiTokenFilterSet
from kam.models import ApiToken


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as lists show it: never its key (only a hash is stored), but the key's first characters
    (``prefix``) to recognise it; ``user`` is its owner (``username`` too); ``last_used_at`` is updated at most
    once a minute; ``revoked_at`` is null while the token works."""

    username = serializers.CharField(source="user.get_username", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "user", "username", "created_at", "last_used_at", "revoked_at", "is_active"]
        read_only_fields = fields


class ApiTokenCreateSerializer(UnknownKeysRefused, serializers.Serializer):
    """A new token of the caller's own: its name, what will use it. Any other key is a 400."""

    name = StrictCharField(max_length=ApiToken._meta.get_field("name").max_length)


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    """The token just created, with its ``key``: the only time KAM ever tells it."""

    key = serializers.CharField(
        read_only=True,
        help_text="The key, in this answer only: KAM stores its hash alone. Send it as `Authorization: Token <key>`.",
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="List API tokens",
        description="Your tokens, newest first; directors see everybody's (`mine=true`: only their own).",
    ),
    retrieve=extend_schema(summary="One API token", description="Anyone else's is a 404 (directors see all)."),
)
class ApiTokenViewSet(
    SafeWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = ApiTokenSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ApiTokenFilterSet

    def get_queryset(self):
        return selectors.api_token_list(user=self.request.user)

    @extend_schema(
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenCreatedSerializer},
        summary="Create an API token of your own",
        description="Answers 201 with the new token and its `key`, shown this once. The token acts as you (a "
        "request authenticated by a token makes tokens of that token's user). A blank or too long `name` is a 400.",
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        parsed = ApiTokenCreateSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        token, key = services.api_token_create(actor=request.user, name=parsed.validated_data["name"])
        response = Response({**ApiTokenSerializer(token).data, "key": key}, status=status.HTTP_201_CREATED)
        add_never_cache_headers(response)  # the key must not linger in a cache
        return response

    @extend_schema(
        request=None,
        responses={200: ApiTokenSerializer},
        summary="Revoke an API token",
        description="Its key is refused (401) from the next request on. Your own tokens; directors anyone's. "
        "Revoking again changes nothing. Anyone else's is a 404.",
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        token = services.api_token_revoke(actor=request.user, token=self.get_object())
        return Response(self.get_serializer(token).data)
