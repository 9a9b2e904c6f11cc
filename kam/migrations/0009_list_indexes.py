"""Indexes for the filters and orderings the lists of webhook deliveries offer (issue 10;
tests/kam/test_list_indexes.py, bench/explain.py).

Built CONCURRENTLY, outside a transaction: at volume (millions of orders) a plain CREATE INDEX would block
writes to the table while it builds.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("kam", "0008_idempotency"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="webhookdelivery",
            index=models.Index(fields=["created_at", "id"], name="delivery_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="webhookdelivery",
            index=models.Index(fields=["status", "created_at"], name="delivery_status_idx"),
        ),
    ]
