"""API viewsets: parse, authorize (selectors scope, predicates decide), call one service."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from accounts import selectors, services
from accounts.api.serializers import AccountSerializer, ContactSerializer, InvoiceSerializer, OrderSerializer
from accounts.filters import AccountFilterSet, ContactFilterSet, InvoiceFilterSet, OrderFilterSet
from accounts.permissions import AccountPermission, ContactPermission, EvidencePermission


class AccountViewSet(viewsets.ModelViewSet):
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
        serializer.instance = services.account_create(actor=self.request.user, values=values, team=team)

    def perform_update(self, serializer):
        values = dict(serializer.validated_data)
        team = values.pop("team", None)
        serializer.instance = services.account_update(
            actor=self.request.user, account=serializer.instance, values=values, team=team
        )

    def perform_destroy(self, instance):
        services.account_delete(actor=self.request.user, account=instance)


class ContactViewSet(viewsets.ModelViewSet):
    """Contacts of the accounts the caller can see; each names its account by id or external id."""

    serializer_class = ContactSerializer
    permission_classes = [IsAuthenticated, ContactPermission]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ContactFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.contact_list(user=self.request.user)

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account")
        serializer.instance = services.contact_create(actor=self.request.user, account=account, values=values)

    def perform_update(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account", None)
        serializer.instance = services.contact_update(
            actor=self.request.user, contact=serializer.instance, values=values, account=account
        )

    def perform_destroy(self, instance):
        services.contact_delete(actor=self.request.user, contact=instance)


class OrderViewSet(viewsets.ModelViewSet):
    """Orders of the accounts the caller can see. Integrations and directors write them (the ERP's data);
    account managers read them."""

    serializer_class = OrderSerializer
    permission_classes = [IsAuthenticated, EvidencePermission]
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrderFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.order_list(user=self.request.user)

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account")
        serializer.instance = services.order_create(actor=self.request.user, account=account, values=values)

    def perform_update(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account", None)
        serializer.instance = services.order_update(
            actor=self.request.user, order=serializer.instance, values=values, account=account
        )

    def perform_destroy(self, instance):
        services.order_delete(actor=self.request.user, order=instance)


class InvoiceViewSet(viewsets.ModelViewSet):
    """Invoices of the accounts the caller can see; written by integrations and directors."""

    serializer_class = InvoiceSerializer
    permission_classes = [IsAuthenticated, EvidencePermission]
    filter_backends = [DjangoFilterBackend]
    filterset_class = InvoiceFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.invoice_list(user=self.request.user)

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account")
        serializer.instance = services.invoice_create(actor=self.request.user, account=account, values=values)

    def perform_update(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account", None)
        serializer.instance = services.invoice_update(
            actor=self.request.user, invoice=serializer.instance, values=values, account=account
        )

    def perform_destroy(self, instance):
        services.invoice_delete(actor=self.request.user, invoice=instance)
