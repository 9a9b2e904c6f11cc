"""Data: the daily benefits lifecycle as a django-celery-beat entry (editable in the admin), after the nightly
scoring run."""

from django.db import migrations

TASK = "benefits.lifecycle"
NAME = "Daily benefits lifecycle (activate, expire, suspend, resume)"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "enabled": True,
            "description": "Activates grants whose first day came, expires ended ones, suspends those whose account "
            "lost eligibility (telling the owner) and resumes those that regained it; 03:30 UTC by default.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [("benefits", "0002_benefits_catalog"), ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
