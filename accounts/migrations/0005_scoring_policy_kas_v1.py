"""Data migration: the default scoring policy kas-v1 (DESIGN §5), active."""

from decimal import Decimal

from django.db import migrations

KAS_V1 = {
    "description": "The default policy of DESIGN §5.",
    "weight_c1": Decimal("0.25"),
    "weight_c2": Decimal("0.20"),
    "weight_c3": Decimal("0.25"),
    "weight_c4": Decimal("0.15"),
    "weight_c5": Decimal("0.15"),
    "key_threshold": Decimal("70"),
    "retain_threshold": Decimal("60"),
    "strategic_threshold": Decimal("85"),
    "candidate_threshold": Decimal("55"),
    "min_orders_w365": 3,
}


def create_kas_v1(apps, schema_editor):
    ScoringPolicy = apps.get_model("accounts", "ScoringPolicy")
    has_active = ScoringPolicy.objects.filter(is_active=True).exists()
    ScoringPolicy.objects.get_or_create(version="kas-v1", defaults={**KAS_V1, "is_active": not has_active})


def remove_kas_v1(apps, schema_editor):
    ScoringPolicy = apps.get_model("accounts", "ScoringPolicy")
    ScoringPolicy.objects.filter(version="kas-v1", runs__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_scoring_gates_and_trend")]

    operations = [migrations.RunPython(create_kas_v1, remove_kas_v1)]
