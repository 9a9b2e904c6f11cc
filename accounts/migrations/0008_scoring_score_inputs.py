"""Schema: a score keeps its inputs as an exact numeric array and the KAS of the run before; the current run is
found by an index; the single-column FK indexes go (the composite ones lead with them)."""

import django.contrib.postgres.fields
import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

import accounts.models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_scoring_nightly_schedule_enable")]

    operations = [
        migrations.AddField(
            model_name="accountscore",
            name="inputs",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=accounts.models.NumericField(), blank=True, default=list, size=None
            ),
        ),
        migrations.AddField(
            model_name="accountscore",
            name="kas_previous",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="KAS in the run before (the one the hysteresis reads).",
                max_digits=5,
                null=True,
                validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)],
            ),
        ),
        migrations.AlterField(
            model_name="accountscore",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="scores",
                to="accounts.account",
            ),
        ),
        migrations.AlterField(
            model_name="accountscore",
            name="run",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="scores",
                to="accounts.scoringrun",
            ),
        ),
        migrations.AddIndex(
            model_name="accountscore",
            index=models.Index(fields=["run", "kas"], name="accountscore_run_kas_idx"),
        ),
        migrations.AddIndex(
            model_name="scoringrun",
            index=models.Index(
                models.OrderBy(models.F("as_of"), descending=True),
                models.OrderBy(models.F("finished_at"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(("status", "done")),
                name="scoringrun_current_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="accountscore",
            constraint=models.CheckConstraint(
                condition=models.Q(("kas_previous__gte", 0), ("kas_previous__lte", 100)),
                name="accounts_accountscore_kas_previous_range",
                violation_error_code="accounts_accountscore_kas_previous_range",
                violation_error_message="kas_previous must be between 0 and 100.",
            ),
        ),
    ]
