"""A benefit's maximum and a recorded cost are positive: their check constraints, stated as validators too, so the
API's schema says so (a decimal pattern that is not all zeros) and the field refuses zero with the same message."""

from decimal import Decimal

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("benefits", "0004_list_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="benefitcost",
            name="amount",
            field=models.DecimalField(
                decimal_places=2,
                help_text="Positive.",
                max_digits=14,
                validators=[django.core.validators.MinValueValidator(Decimal("0.01"), "A cost is positive.")],
            ),
        ),
        migrations.AlterField(
            model_name="benefittype",
            name="max_value",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="The largest value a grant may have; empty: no maximum.",
                max_digits=14,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(
                        Decimal("0.01"), "The maximum must be positive (or empty: no maximum)."
                    )
                ],
            ),
        ),
    ]
