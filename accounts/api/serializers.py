from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts.models import Account, Contact, Invoice, Order
from accounts.selectors import accounts_visible_to
from kam.api.serializers import NULL_OR_ABSENT, PRESENT, StrictCharField, StrictModelSerializer, one_of_required

User = get_user_model()


class AccountSerializer(StrictModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True, required=False)
    owner_name = serializers.SerializerMethodField()
    team = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)
    # The current run's score (accounts.selectors.accounts_with_score); null until a run scored the account.
    kas = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True, allow_null=True)
    kas_previous = serializers.DecimalField(
        max_digits=5, decimal_places=2, read_only=True, allow_null=True, help_text="KAS in the run before."
    )
    last_scored_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the run that gave the current KAS finished."
    )
    # The contact cadence (relationships.cadence); null before the account's first check.
    last_contact_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the latest completed interaction took place."
    )
    contact_overdue_since = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="The first day the account was late for contact (no completed interaction for longer than its "
        "tier allows); null while on time.",
    )

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "kind",
            "industry",
            "country",
            "owner",
            "owner_name",
            "team",
            "external_id",
            "annual_potential",
            "payment_terms_days",
            "credit_limit",
            "is_active",
            "stage",
            "key_status",
            "kas",
            "kas_previous",
            "last_scored_at",
            "last_contact_at",
            "contact_overdue_since",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "stage",
            "key_status",
            "kas",
            "kas_previous",
            "last_scored_at",
            "last_contact_at",
            "contact_overdue_since",
            "created_at",
            "updated_at",
        ]
        # Uniqueness is checked by the service's full_clean(); DRF's own validator would not know the
        # partial condition (external_id unique *when set*).
        validators: list = []
        extra_kwargs = {"external_id": {"validators": []}}

    def get_owner_name(self, account: Account) -> str | None:
        owner = account.owner
        return (owner.get_full_name() or owner.get_username()) if owner else None


# A new record names its account (AccountReferenceSerializer.validate says so on ``account``).
NAMES_ITS_ACCOUNT = one_of_required("account", "account_external_id")
# A paid invoice has its paid date, and only a paid one (constraint accounts_invoice_paid_date_iff_paid).
PAID_IFF_PAID_DATE = {
    "anyOf": [
        {"required": ["status", "paid_date"], "properties": {"status": {"enum": ["paid"]}, "paid_date": PRESENT}},
        {"properties": {"status": {"not": {"enum": ["paid"]}}, "paid_date": NULL_OR_ABSENT}},
    ]
}


class AccountReferenceSerializer(StrictModelSerializer):
    """A record that belongs to an account, named by ``account`` (id) or ``account_external_id``.

    Only accounts the caller can see are found; any other id is "does not exist", never "forbidden".
    """

    request_rules = (NAMES_ITS_ACCOUNT,)

    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.none(), required=False)
    account_external_id = StrictCharField(required=False, write_only=True, max_length=100)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        fields["account"].queryset = accounts_visible_to(request.user if request else None)
        return fields

    def validate(self, attrs):
        external_id = attrs.pop("account_external_id", None)
        if external_id is not None:
            account = self.fields["account"].queryset.filter(external_id=external_id).first()
            if account is None:
                raise serializers.ValidationError({"account_external_id": ["No account has this external id."]})
            if attrs.get("account") not in (None, account):
                raise serializers.ValidationError(
                    {"account_external_id": ["Names a different account than `account`."]}
                )
            attrs["account"] = account
        if self.instance is None and "account" not in attrs:
            raise serializers.ValidationError({"account": ["Give `account` (id) or `account_external_id`."]})
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["account_external_id"] = instance.account.external_id
        return data


class ContactSerializer(AccountReferenceSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "account",
            "account_external_id",
            "name",
            "email",
            "phone",
            "job_title",
            "buying_role",
            "influence",
            "attitude",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []


class OrderSerializer(AccountReferenceSerializer):
    """An order of the account; ``net_amount`` and ``discount_pct`` are decimal strings."""

    class Meta:
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
        read_only_fields = ["created_at", "updated_at"]
        # external_id is unique *when set*: the service's full_clean() checks it (see AccountSerializer).
        validators: list = []
        extra_kwargs = {"external_id": {"validators": []}}


class InvoiceSerializer(AccountReferenceSerializer):
    """An invoice of the account; ``paid_date`` is set exactly when ``status`` is ``paid``."""

    request_rules = (NAMES_ITS_ACCOUNT, PAID_IFF_PAID_DATE)

    class Meta:
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
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []
        extra_kwargs = {"external_id": {"validators": []}}
