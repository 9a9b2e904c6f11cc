"""Indexes for the filters and orderings the lists of accounts, contacts, orders and invoices offer (issue 10;
tests/kam/test_list_indexes.py, bench/explain.py).

Built CONCURRENTLY, outside a transaction: at volume (millions of orders) a plain CREATE INDEX would block
writes to the table while it builds. pg_trgm (a trusted extension: the database's owner may create it) gives the
trigram indexes that serve the searches. The accounts' single-column indexes on stage, key status and industry
give way to (column, id) ones, which also serve the portfolio's sorts by them without sorting the ties.
"""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently, TrigramExtension
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0012_work_recover_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        TrigramExtension(),
        AddIndexConcurrently(
            model_name="account",
            index=models.Index(fields=["stage", "id"], name="account_stage_id_idx"),
        ),
        AddIndexConcurrently(
            model_name="account",
            index=models.Index(fields=["key_status", "id"], name="account_key_status_id_idx"),
        ),
        AddIndexConcurrently(
            model_name="account",
            index=models.Index(fields=["industry", "id"], name="account_industry_id_idx"),
        ),
        AddIndexConcurrently(
            model_name="account",
            index=models.Index(fields=["kind", "id"], name="account_kind_id_idx"),
        ),
        AddIndexConcurrently(
            model_name="account",
            index=models.Index(fields=["name", "id"], name="account_name_idx"),
        ),
        AddIndexConcurrently(
            model_name="account",
            index=models.Index(fields=["country", "id"], name="account_country_idx"),
        ),
        AddIndexConcurrently(
            model_name="account",
            index=models.Index(fields=["created_at", "id"], name="account_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="account",
            index=models.Index(fields=["updated_at", "id"], name="account_updated_idx"),
        ),
        AddIndexConcurrently(
            model_name="account",
            index=models.Index(fields=["is_active", "name"], name="account_active_name_idx"),
        ),
        AddIndexConcurrently(
            model_name="account",
            index=models.Index(django.db.models.functions.text.Upper("external_id"), name="account_upper_ext_id_idx"),
        ),
        AddIndexConcurrently(
            model_name="account",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("name"), name="gin_trgm_ops"
                ),
                name="account_name_trgm_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="account",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("industry"), name="gin_trgm_ops"
                ),
                name="account_industry_trgm_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="contact",
            index=models.Index(fields=["name", "id"], name="contact_name_idx"),
        ),
        AddIndexConcurrently(
            model_name="contact",
            index=models.Index(fields=["influence", "id"], name="contact_influence_idx"),
        ),
        AddIndexConcurrently(
            model_name="contact",
            index=models.Index(fields=["buying_role", "account"], name="contact_role_account_idx"),
        ),
        AddIndexConcurrently(
            model_name="contact",
            index=models.Index(fields=["is_active", "account"], name="contact_active_account_idx"),
        ),
        AddIndexConcurrently(
            model_name="contact",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("name"), name="gin_trgm_ops"
                ),
                name="contact_name_trgm_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="contact",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("email"), name="gin_trgm_ops"
                ),
                name="contact_email_trgm_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="contact",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("job_title"), name="gin_trgm_ops"
                ),
                name="contact_title_trgm_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="invoice",
            index=models.Index(fields=["issue_date", "id"], name="invoice_issue_idx"),
        ),
        AddIndexConcurrently(
            model_name="invoice",
            index=models.Index(fields=["due_date", "id"], name="invoice_due_idx"),
        ),
        AddIndexConcurrently(
            model_name="invoice",
            index=models.Index(fields=["paid_date", "id"], name="invoice_paid_idx"),
        ),
        AddIndexConcurrently(
            model_name="invoice",
            index=models.Index(
                models.OrderBy(models.F("paid_date"), descending=True, nulls_last=True),
                models.F("id"),
                name="invoice_paid_desc_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="invoice",
            index=models.Index(fields=["amount", "id"], name="invoice_amount_idx"),
        ),
        AddIndexConcurrently(
            model_name="invoice",
            index=models.Index(fields=["created_at", "id"], name="invoice_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="invoice",
            index=models.Index(fields=["number"], name="invoice_number_idx"),
        ),
        AddIndexConcurrently(
            model_name="invoice",
            index=models.Index(fields=["status", "issue_date"], name="invoice_status_issue_idx"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["order_date", "id"], name="order_date_idx"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["net_amount", "id"], name="order_net_amount_idx"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["discount_pct", "id"], name="order_discount_idx"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["created_at", "id"], name="order_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["status", "order_date"], name="order_status_date_idx"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["service_level", "order_date"], name="order_level_date_idx"),
        ),
        # replaced by (column, id) above, built first so that the lists always have one of them
        RemoveIndexConcurrently(
            model_name="account",
            name="account_stage_idx",
        ),
        RemoveIndexConcurrently(
            model_name="account",
            name="account_key_status_idx",
        ),
        RemoveIndexConcurrently(
            model_name="account",
            name="account_industry_idx",
        ),
    ]
