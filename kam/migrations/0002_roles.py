"""Data migration: the three role groups of DESIGN §9 with their model permissions.

KAM's own rules (visibility, who may edit what) are enforced by selectors and permission predicates; the
model permissions here describe the same roles for the Django admin and for reports of who may do what.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "kam_director": {
        "accounts.account": ["view", "add", "change", "delete"],
        "accounts.contact": ["view", "add", "change", "delete"],
    },
    "account_manager": {
        "accounts.account": ["view", "change"],
        "accounts.contact": ["view", "add", "change", "delete"],
    },
    "integration": {
        "accounts.account": ["view"],
        "accounts.contact": ["view", "add", "change", "delete"],
    },
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make sure they exist now.
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


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kam", "0001_initial"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
