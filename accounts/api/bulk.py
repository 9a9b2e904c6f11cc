"""``POST orders/bulk/`` and ``POST invoices/bulk/`` (DESIGN §8): parse a JSON list strictly, item by item,
and hand it to the bulk upsert service (``accounts.bulk``), which checks the rest and writes all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import NAMES_ITS_ACCOUNT, PAID_IFF_PAID_DATE
from accounts.bulk import (
    BULK_MAX_ITEMS,
    BulkInvalid,
    BulkResult,
    ItemErrors,
    can_bulk_write_commercial_records,
    invoices_bulk_upsert,
    orders_bulk_upsert,
)
from accounts.models import Invoice, Order
from kam.api.exceptions import NON_FIELD_KEY
from kam.api.safe_writes import SafeWritesMixin
from kam.api.schema import DETAIL_ERROR, VALIDATION_ERROR, KamAutoSchema
from kam.api.serializers import StrictCharField, StrictModelSerializer

BIGINT_MAX = 2**63 - 1


class _BulkItemSerializer(StrictModelSerializer):
    # Types only, and no query: the service checks values, references and the rules between fields.

    request_rules = (NAMES_ITS_ACCOUNT,)

    account = serializers.IntegerField(
        required=False, min_value=1, max_value=BIGINT_MAX, help_text="The account's id (or give account_external_id)."
    )
    account_external_id = StrictCharField(
        required=False, max_length=100, help_text="The account's external id (or give account)."
    )

    class Meta:
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness is the upsert's business: a known external_id updates its row.
        validators: list = []
        extra_kwargs = {
            "external_id": {
                "required": True,
                "allow_null": False,
                "allow_blank": False,
                "validators": [],
                "help_text": "The record's id in the ERP: the upsert key.",
            }
        }


class OrderBulkItemSerializer(_BulkItemSerializer):
    """One order of a bulk upsert: its whole state, keyed by ``external_id``, on the account named by ``account``
    (id) or ``account_external_id``; money as decimal strings."""

    class Meta(_BulkItemSerializer.Meta):
        model = Order
        fields = [
            "id",
            "account",
            "account_external_id",
            "external_id",
            "order_date",
            "net_amount",
            "discount_pct",
            "service_level",
            "status",
            "created_at",
            "updated_at",
        ]


class InvoiceBulkItemSerializer(_BulkItemSerializer):
    """One invoice of a bulk upsert: its whole state, keyed by ``external_id``, on the account named by
    ``account`` (id) or ``account_external_id``; ``paid_date`` is set exactly when the status is ``paid``."""

    request_rules = (NAMES_ITS_ACCOUNT, PAID_IFF_PAID_DATE)

    class Meta(_BulkItemSerializer.Meta):
        model = Invoice
        fields = [
            "id",
            "account",
            "account_external_id",
            "external_id",
            "number",
            "issue_date",
            "due_date",
            "amount",
            "paid_date",
            "status",
            "created_at",
            "updated_at",
        ]


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Records whose external_id was new.")
    updated = serializers.IntegerField(help_text="Records whose external_id already existed (unchanged included).")
    unchanged = serializers.IntegerField(help_text="Of the updated, those that already held exactly these values.")


BULK_ITEM_ERROR = {
    "type": "object",
    "properties": {
        "index": {"type": "integer", "description": "Position of the record in the list, from 0."},
        "errors": VALIDATION_ERROR,
    },
    "required": ["index", "errors"],
}
BULK_ERRORS = {
    "oneOf": [
        {
            "type": "array",
            "items": BULK_ITEM_ERROR,
            "description": "Nothing was written: every invalid record, by index, with its fields' errors.",
        },
        VALIDATION_ERROR,
        DETAIL_ERROR,
    ]
}


class BulkSchema(KamAutoSchema):
    """The request is a list of at most ``BULK_MAX_ITEMS`` records, and it is required."""

    def _get_request_for_media_type(self, serializer, direction="request"):
        schema, _required = super()._get_request_for_media_type(serializer, direction)
        return {**schema, "maxItems": BULK_MAX_ITEMS}, True


class BulkWritePermission(permissions.BasePermission):
    message = "Bulk writes of orders and invoices are for integrations and directors."

    def has_permission(self, request, view) -> bool:
        return can_bulk_write_commercial_records(request.user)


class NotAList(exceptions.ParseError):
    default_detail = "Send a JSON list of records."
    default_code = "not_a_list"


class TooManyRecords(exceptions.ParseError):
    default_code = "too_many_records"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {list: "an array", str: "a string", int: "a number", float: "a number"}.get(type(value), "something else")


def _messages(detail: Any) -> list[str]:
    return [str(message) for message in (detail if isinstance(detail, list) else [detail])]


def parse_items(serializer: serializers.Serializer, items: Sequence[Any]) -> tuple[list[Any], dict[int, ItemErrors]]:
    """Each item through the item serializer's fields: parsed values, and the errors of the items that did not
    parse, by index. An item's every key is parsed (its account reference too, when other keys are wrong), so
    that the service reports all its mistakes at once.

    The fields are run directly — the item serializers have no object-level validation — because the whole
    ``Serializer.run_validation`` costs several times as much, and a batch has 5,000 items. The refusals are
    ``StrictModelSerializer``'s: read-only and unknown keys are named, never dropped.
    """
    fields = serializer.fields
    writable = {name: field for name, field in fields.items() if not field.read_only}
    required = [name for name, field in writable.items() if field.required]
    parsed: list[Any] = []
    invalid: dict[int, ItemErrors] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            parsed.append({})
            invalid[index] = {NON_FIELD_KEY: [f"Invalid data. Expected an object, but got {_json_type(item)}."]}
            continue
        values: dict[str, Any] = {}
        errors: ItemErrors = {}
        for name, value in item.items():
            field = writable.get(name)
            if field is None:
                errors[name] = ["This field is read-only." if name in fields else "Unknown field."]
                continue
            try:
                values[name] = field.run_validation(value)
            except serializers.ValidationError as error:
                errors[name] = _messages(error.detail)
        for name in required:
            if name not in item:
                errors[name] = [str(writable[name].error_messages["required"])]
        parsed.append(values)
        if errors:
            invalid[index] = errors
    return parsed, invalid


class _BulkUpsertView(SafeWritesMixin, APIView):
    permission_classes = [IsAuthenticated, BulkWritePermission]
    schema = BulkSchema()
    item_serializer_class: ClassVar[type[serializers.Serializer]]
    upsert: ClassVar[Callable[..., BulkResult]]

    def post(self, request):
        items = request.data
        if not isinstance(items, list):
            raise NotAList()
        if len(items) > BULK_MAX_ITEMS:
            raise TooManyRecords(f"Send at most {BULK_MAX_ITEMS} records per request, not {len(items)}.")
        parsed, invalid = parse_items(self.item_serializer_class(context={"request": request}), items)
        try:
            result = type(self).upsert(actor=request.user, items=parsed, invalid=invalid)
        except BulkInvalid as error:
            return Response(error.errors, status=status.HTTP_400_BAD_REQUEST)
        return Response(BulkResultSerializer(result).data)


def _bulk_schema(noun: str, item_serializer: type[serializers.Serializer]) -> Callable:
    return extend_schema(
        summary=f"Create or update {noun}s by external_id, all or nothing",
        description=(
            f"A JSON list of at most {BULK_MAX_ITEMS} {noun}s. Each names its account by `account` (id) or "
            "`account_external_id` and carries its `external_id`, the upsert key: a new one creates the "
            f"{noun}, a known one updates it. Each record is the whole {noun}: an optional field left out takes "
            "its default, on update too. If any record is invalid nothing is written and the answer lists every "
            "invalid record by `index` with its fields' errors. Integrations and directors only."
        ),
        request=item_serializer(many=True),
        responses={
            200: BulkResultSerializer,
            400: OpenApiResponse(
                response=BULK_ERRORS,
                description="Nothing was written: the invalid records by index, or what is wrong with the list.",
            ),
        },
    )


class OrderBulkUpsertView(_BulkUpsertView):
    """``POST /api/v1/orders/bulk/``."""

    item_serializer_class = OrderBulkItemSerializer
    upsert = staticmethod(orders_bulk_upsert)

    @_bulk_schema("order", OrderBulkItemSerializer)
    def post(self, request):
        return super().post(request)


class InvoiceBulkUpsertView(_BulkUpsertView):
    """``POST /api/v1/invoices/bulk/``."""

    item_serializer_class = InvoiceBulkItemSerializer
    upsert = staticmethod(invoices_bulk_upsert)

    @_bulk_schema("invoice", InvoiceBulkItemSerializer)
    def post(self, request):
        return super().post(request)
