"""KAM — the key account CRM. The Celery app is loaded with Django so `shared_task` binds to it."""

from kam.celery import app as celery_app

__all__ = ("celery_app",)
