"""Data migration: the daily contact-cadence check as a django-celery-beat entry, enabled (its task
relationships.contact_cadence_check ships with it) and editable in the admin."""

from django.db import migrations

TASK = "relationships.contact_cadence_check"
NAME = "Daily contact-cadence check"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # After the nightly scoring run (02:30 UTC), which may move key statuses and so the tiers, and before the
    # working day, so owners find the overdue accounts in the morning.
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="6", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "enabled": True,
            "description": "Flags accounts without a completed interaction for longer than their tier allows "
            "(KAM_CADENCE_DAYS) and tells their owners once; runs at 06:00 UTC by default.",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("relationships", "0005_contact_cadence"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
