"""One recipe for the API of every record that belongs to an account (contacts, orders, invoices, NPS
answers, advocacy events, contracts, interactions, account plans) — or to an account plan (its objectives,
SWOT items and actions, whose parent field is ``plan``).

A viewset names its list selector and its three services; the recipe parses, scopes with the selector (what
the caller may not see is a 404) and calls the service, which decides who may write (PermissionDenied → 403)
and validates (ValidationError → 400).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from kam.api.safe_writes import SafeWritesMixin

HTTP_METHODS = ["get", "post", "patch", "delete", "head", "options"]


class AccountRecordViewSet(SafeWritesMixin, viewsets.ModelViewSet):
    filter_backends = [DjangoFilterBackend]
    http_method_names = HTTP_METHODS
    permission_classes = [IsAuthenticated]

    # Set by each viewset (wrapped in staticmethod so they are not bound as methods).
    list_selector: ClassVar[Callable[..., Any]]
    create_service: ClassVar[Callable[..., Any]]
    update_service: ClassVar[Callable[..., Any]]
    delete_service: ClassVar[Callable[..., Any]]
    record_kwarg: ClassVar[str]  # the services' keyword for the record: "order", "event"…
    # Validated values that go to the services as keywords of their own (interactions' "contacts").
    separate_fields: ClassVar[tuple[str, ...]] = ()
    # The record's parent, given to the services as a keyword of its own (required on create).
    parent_field: ClassVar[str] = "account"

    def get_queryset(self):
        return self.list_selector(user=self.request.user)

    def _split(self, serializer, *, creating: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        values = dict(serializer.validated_data)
        parent = self.parent_field
        extra = {parent: values.pop(parent) if creating else values.pop(parent, None)}
        for name in self.separate_fields:
            extra[name] = values.pop(name, () if creating else None)
        return values, extra

    def perform_create(self, serializer):
        values, extra = self._split(serializer, creating=True)
        serializer.instance = self.create_service(actor=self.request.user, values=values, **extra)

    def perform_update(self, serializer):
        values, extra = self._split(serializer, creating=False)
        serializer.instance = self.update_service(
            actor=self.request.user, values=values, **{self.record_kwarg: serializer.instance}, **extra
        )

    def perform_destroy(self, instance):
        self.delete_service(actor=self.request.user, **{self.record_kwarg: instance})
