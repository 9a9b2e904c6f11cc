"""Data migration: enable the nightly scoring beat entry now that accounts.scoring_run_nightly exists."""

from django.db import migrations

TASK = "accounts.scoring_run_nightly"
NAME = "Nightly scoring run (ladder, then scores)"


def enable(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME, task=TASK).update(enabled=True)


def disable(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME, task=TASK).update(enabled=False)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_scoring_nightly_schedule")]

    operations = [migrations.RunPython(enable, disable)]
