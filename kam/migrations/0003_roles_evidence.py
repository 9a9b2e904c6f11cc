"""Data migration: the roles' model permissions on orders, invoices and the relationship records."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EVIDENCE = ["accounts.order", "accounts.invoice", "relationships.feedback", "relationships.contract"]
ROLE_PERMISSIONS = {
    "kam_director": {
        **{label: ["view", "add", "change", "delete"] for label in EVIDENCE},
        "relationships.advocacyevent": ["view", "add", "change", "delete"],
        "relationships.interaction": ["view", "add", "change", "delete"],
    },
    "account_manager": {
        **{label: ["view"] for label in EVIDENCE},
        "relationships.advocacyevent": ["view", "add", "change"],
        "relationships.interaction": ["view", "add", "change", "delete"],
    },
    "integration": {
        **{label: ["view", "add", "change", "delete"] for label in EVIDENCE},
        "relationships.advocacyevent": ["view", "add", "change", "delete"],
        "relationships.interaction": ["view"],
    },
}


def grant(apps, schema_editor):
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


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    models = [label.split(".")[1] for label in [*EVIDENCE, "x.advocacyevent", "x.interaction"]]
    for group in apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)):
        group.permissions.remove(*Permission.objects.filter(content_type__model__in=models))


class Migration(migrations.Migration):
    dependencies = [
        ("kam", "0002_roles"),
        ("accounts", "0002_order_invoice"),
        ("relationships", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
