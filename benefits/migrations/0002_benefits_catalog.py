"""Data: the default benefit catalog (DESIGN §7, issue 6) and the roles' permissions on the benefits models.

Monetary: discounts and flexible credit need key status ≥ key; flexible credit (longer payment terms, a higher
credit limit) also C2 ≥ 70. Social: stage ≥ supporter, or key status strategic. Structural: key status ≥ key
and stage ≥ client. Directors edit the catalog afterwards (the page and the API).
"""

from decimal import Decimal

from django.contrib.auth.management import create_permissions
from django.db import migrations

KEY, STRATEGIC, SUPPORTER, CLIENT = "key", "strategic", "supporter", "client"
CATALOG = [
    # code, name, category, unit, max, min key status, min stage, either, min C2, description
    ("volume_discount", "Volume discount", "monetary", "%", "15.00", KEY, "", False, None,
     "A discount on every order while the grant runs."),
    ("extended_payment_terms", "Extended payment terms", "monetary", "days", "90.00", KEY, "", False, "70.00",
     "Days added to the account's payment terms (flexible credit)."),
    ("credit_limit_increase", "Credit limit increase", "monetary", "EUR", "250000.00", KEY, "", False, "70.00",
     "An increase of the account's credit limit (flexible credit)."),
    ("club_membership", "Club membership", "social", "seats", "4.00", STRATEGIC, SUPPORTER, True, None,
     "Seats in the customer club: its events, previews and the annual summit."),
    ("tours_and_trips", "Tours and trips", "social", "persons", "6.00", STRATEGIC, SUPPORTER, True, None,
     "Plant tours and incentive trips for the account's people."),
    ("executive_events", "Executive events", "social", "invitations", "10.00", STRATEGIC, SUPPORTER, True, None,
     "Invitations to executive round tables and hospitality."),
    ("consolidated_invoicing", "Consolidated monthly invoicing", "structural", "arrangement", "1.00", KEY, CLIENT,
     False, None, "One invoice a month for all orders (a payment mode)."),
    ("special_delivery", "Special delivery arrangement", "structural", "arrangement", "1.00", KEY, CLIENT, False,
     None, "Delivery windows, consignment stock or direct line feeding."),
    ("dedicated_service_desk", "Dedicated service desk", "structural", "arrangement", "1.00", KEY, CLIENT, False,
     None, "A named service team with its own line and response times."),
]  # fmt: skip
MODELS = ["benefittype", "benefitgrant", "benefitbudget", "benefitcost", "benefitgrantevent"]
ROLE_PERMISSIONS = {
    "kam_director": {f"benefits.{model}": ["view", "add", "change", "delete"] for model in MODELS},
    "account_manager": {"benefits.benefittype": ["view"], "benefits.benefitgrant": ["view", "add"]},
    "integration": {"benefits.benefittype": ["view"], "benefits.benefitgrant": ["view"], "benefits.benefitcost": ["view", "add"]},
}  # fmt: skip


def forward(apps, schema_editor):
    BenefitType = apps.get_model("benefits", "BenefitType")
    for code, name, category, unit, maximum, key_status, stage, either, c2, description in CATALOG:
        BenefitType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "category": category,
                "unit": unit,
                "max_value": Decimal(maximum),
                "min_key_status": key_status,
                "min_stage": stage,
                "either_rule": either,
                "min_c2": Decimal(c2) if c2 else None,
                "description": description,
            },
        )
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for label, actions in grants.items():
            app_label, model = label.split(".")
            codenames = [f"{action}_{model}" for action in actions]
            group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


def backward(apps, schema_editor):
    apps.get_model("benefits", "BenefitType").objects.filter(code__in=[row[0] for row in CATALOG]).delete()
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="benefits"))


class Migration(migrations.Migration):
    dependencies = [("benefits", "0001_benefits"), ("kam", "0004_notification")]

    operations = [migrations.RunPython(forward, backward)]
