"""Data migration: the nightly scoring run as a django-celery-beat entry, so admins can see and change it."""

from django.db import migrations

TASK = "accounts.scoring_run_nightly"
NAME = "Nightly scoring run (ladder, then scores)"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": TASK,
            "crontab": crontab,
            # Disabled until the task accounts.scoring_run_nightly exists (issue 4); the migration that adds
            # the task's module enables it, so beat never sends a task no worker knows.
            "enabled": False,
            "description": "Scores every active account as of today; runs at 02:30 UTC by default.",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_scoring_policy_kas_v1"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
