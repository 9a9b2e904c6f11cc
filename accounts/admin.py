from django.contrib import admin

from accounts.models import Account, Contact


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "email", "phone", "job_title", "buying_role", "influence", "attitude", "is_active"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "industry", "country", "owner", "stage", "key_status", "kas", "is_active"]
    list_filter = ["kind", "stage", "key_status", "is_active", "industry", "country"]
    list_select_related = ["owner"]
    search_fields = ["name", "external_id", "industry"]
    autocomplete_fields = ["owner"]
    filter_horizontal = ["team"]
    readonly_fields = ["stage", "key_status", "kas", "last_scored_at", "created_at", "updated_at"]
    inlines = [ContactInline]
    fieldsets = [
        (None, {"fields": ["name", "kind", "industry", "country", "external_id", "is_active"]}),
        ("Ownership", {"fields": ["owner", "team"]}),
        ("Commercial terms", {"fields": ["annual_potential", "payment_terms_days", "credit_limit"]}),
        (
            "Derived (ladder and scoring)",
            {"fields": ["stage", "key_status", "kas", "last_scored_at", "created_at", "updated_at"]},
        ),
    ]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "job_title", "buying_role", "influence", "attitude", "is_active"]
    list_filter = ["buying_role", "is_active"]
    list_select_related = ["account"]
    search_fields = ["name", "email", "account__name"]
    autocomplete_fields = ["account"]
