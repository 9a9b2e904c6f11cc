"""API viewsets: parse, authorize (selectors scope, predicates decide), call one service."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from accounts import selectors, services
from accounts.api.serializers import AccountSerializer, ContactSerializer, InvoiceSerializer, OrderSerializer
from accounts.filters import AccountFilterSet, ContactFilterSet, InvoiceFilterSet, OrderFilterSet
from accounts.permissions import AccountPermission
from kam.api.safe_writes import SafeWritesMixin
from kam.api.viewsets import AccountRecordViewSet


class AccountViewSet(SafeWritesMixin, viewsets.ModelViewSet):
    """Accounts the caller can see. ``stage``, ``key_status``, ``kas`` and ``last_scored_at`` are derived
    (ladder and scoring) and read-only. Directors create and delete accounts and assign owners."""

    serializer_class = AccountSerializer
    permission_classes = [IsAuthenticated, AccountPermission]
    filter_backends = [DjangoFilterBackend]
    filterset_class = AccountFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.account_list(user=self.request.user).prefetch_related("team")

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        team = values.pop("team", None)
        account = services.account_create(actor=self.request.user, values=values, team=team)
        serializer.instance = self._reloaded(account)

    def perform_update(self, serializer):
        values = dict(serializer.validated_data)
        team = values.pop("team", None)
        account = services.account_update(
            actor=self.request.user, account=serializer.instance, values=values, team=team
        )
        serializer.instance = self._reloaded(account)

    def _reloaded(self, account):
        # The answer shows the derived score fields, which only the selector's join provides.
        return self.get_queryset().get(pk=account.pk)

    def perform_destroy(self, instance):
        services.account_delete(actor=self.request.user, account=instance)


class ContactViewSet(AccountRecordViewSet):
    """Contacts of the accounts the caller can see; each names its account by id or external id."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    list_selector = staticmethod(selectors.contact_list)
    create_service = staticmethod(services.contact_create)
    update_service = staticmethod(services.contact_update)
    delete_service = staticmethod(services.contact_delete)
    record_kwarg = "contact"


class OrderViewSet(AccountRecordViewSet):
    """Orders of the accounts the caller can see. Integrations and directors write them (the ERP's data);
    account managers read them."""

    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet
    list_selector = staticmethod(selectors.order_list)
    create_service = staticmethod(services.order_create)
    update_service = staticmethod(services.order_update)
    delete_service = staticmethod(services.order_delete)
    record_kwarg = "order"


class InvoiceViewSet(AccountRecordViewSet):
    """Invoices of the accounts the caller can see; written by integrations and directors."""

    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilterSet
    list_selector = staticmethod(selectors.invoice_list)
    create_service = staticmethod(services.invoice_create)
    update_service = staticmethod(services.invoice_update)
    delete_service = staticmethod(services.invoice_delete)
    record_kwarg = "invoice"
