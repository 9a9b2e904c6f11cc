"""Schema: accounts no longer copy their KAS (they show the current run's score, joined in on reading), and
scores no longer keep a JSON explanation (0009 moved its inputs into ``inputs``)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0009_scoring_score_inputs_data")]

    operations = [
        migrations.RemoveConstraint(
            model_name="account",
            name="accounts_account_kas_range",
        ),
        migrations.RemoveConstraint(
            model_name="account",
            name="accounts_account_kas_previous_range",
        ),
        migrations.RemoveIndex(
            model_name="account",
            name="account_kas_idx",
        ),
        migrations.RemoveField(
            model_name="account",
            name="kas",
        ),
        migrations.RemoveField(
            model_name="account",
            name="kas_previous",
        ),
        migrations.RemoveField(
            model_name="account",
            name="last_scored_at",
        ),
        migrations.RemoveField(
            model_name="accountscore",
            name="explanation",
        ),
    ]
