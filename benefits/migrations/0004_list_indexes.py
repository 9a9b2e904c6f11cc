"""Indexes for the filters and orderings the lists of benefit grants and costs offer (issue 10;
tests/kam/test_list_indexes.py, bench/explain.py).

Built CONCURRENTLY, outside a transaction: at volume (millions of orders) a plain CREATE INDEX would block
writes to the table while it builds.
"""

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0013_list_indexes"),
        ("benefits", "0003_benefits_lifecycle_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="benefitcost",
            index=models.Index(fields=["incurred_on", "id"], name="cost_incurred_idx"),
        ),
        AddIndexConcurrently(
            model_name="benefitgrant",
            index=models.Index(fields=["created_at", "id"], name="grant_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="benefitgrant",
            index=models.Index(fields=["valid_from", "id"], name="grant_valid_from_idx"),
        ),
    ]
