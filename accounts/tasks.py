"""Celery tasks of the accounts app: thin wrappers over accounts.scoring.runs."""

from celery import shared_task

# A run over 100,000 accounts takes seconds; the limits leave room for a lock wait behind another run.
LIMITS = {"acks_late": True, "soft_time_limit": 25 * 60, "time_limit": 30 * 60}


@shared_task(name="accounts.scoring_run_execute", **LIMITS)
def scoring_run_execute_task(run_id: int) -> str:
    """Execute a queued scoring run (enqueued by scoring_run_request after its transaction commits)."""
    from accounts.scoring.runs import scoring_run_execute

    return scoring_run_execute(run_id=run_id).status


@shared_task(name="accounts.scoring_run_nightly", **LIMITS)
def scoring_run_nightly_task() -> str:
    """The nightly beat entry: score every active account as of today (delivered again, it takes up its run)."""
    from accounts.scoring.runs import scoring_run_nightly

    return scoring_run_nightly().status


# An import of a million rows takes about a minute; the limits leave room for a slower machine.
IMPORT_LIMITS = {"acks_late": True, "soft_time_limit": 25 * 60, "time_limit": 30 * 60}


@shared_task(name="accounts.import_job_execute", **IMPORT_LIMITS)
def import_job_execute_task(job_id: int) -> str:
    """Import an uploaded CSV file (enqueued by import_job_create after its transaction commits)."""
    from accounts.imports import import_job_execute

    return import_job_execute(job_id=job_id).status


# A few statements over the runs and jobs not finished.
RECOVER_LIMITS = {"acks_late": True, "soft_time_limit": 60, "time_limit": 120}


@shared_task(name="accounts.work_recover", **RECOVER_LIMITS)
def work_recover_task() -> dict:
    """Every few minutes (beat): queue again the scoring runs and imports whose worker or message was lost."""
    from accounts.recovery import work_recover

    return work_recover().as_dict()
