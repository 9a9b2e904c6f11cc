"""The import pages (directors): upload a CSV file for a worker to import, follow the job (an htmx poll while it
runs), read its errors and download them as CSV. The rules live in ``accounts.imports``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from accounts import imports
from accounts.choices import ImportJobStatus, ImportKind
from accounts.import_forms import ImportUploadForm
from accounts.models import ImportJob
from kam.queue import QueueUnavailable
from kam.roles import is_director

RECENT_JOBS = 25
# How often the job page asks for a queued or running job's progress.
POLL_SECONDS = 2
# The phases a running job reports (``accounts.imports.Progress``), in order, as its page names them.
PHASES = (("reading", "Read the file"), ("validating", "Check every row"), ("writing", "Write the records"))


def _director(request: HttpRequest) -> None:
    # A feature of directors, not about any one record: a plain 403 (there is nothing to hide).
    if not is_director(request.user):
        raise PermissionDenied("Only a KAM director imports CSV files on this page.")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_list(request: HttpRequest) -> HttpResponse:
    _director(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = imports.import_job_create(
                    actor=request.user, kind=form.cleaned_data["kind"], file=upload, file_name=upload.name
                )
            except ValidationError as error:
                form.add_service_errors(error)
            except QueueUnavailable as unavailable:
                form.add_error(None, str(unavailable))
                status = 503
            else:
                messages.success(request, f"{upload.name} is queued for import.")
                return redirect(job)
        status = 400 if status == 200 else status
    columns = {kind: imports.import_columns(kind) for kind in ImportKind.values}
    required = {kind: imports.import_required_columns(kind) for kind in ImportKind.values}
    context = {
        "form": form,
        "jobs": imports.import_jobs_visible_to(request.user).defer("errors")[:RECENT_JOBS],
        "columns": [(label, columns[kind], required[kind]) for kind, label in ImportKind.choices],
    }
    return render(request, "accounts/importjob_list.html", context, status=status)


def _phases(job: ImportJob) -> list[tuple[str, str]]:
    """Each phase with its state (done, running, waiting), for the job page's list of steps; a failed job
    lists its errors instead."""
    if job.status == ImportJobStatus.SUCCEEDED:
        return [(label, "done") for _, label in PHASES]
    if job.status == ImportJobStatus.FAILED:
        return []
    current = [name for name, _ in PHASES].index(job.phase) if job.phase in dict(PHASES) else -1
    if job.status == ImportJobStatus.QUEUED:
        current = -1
    return [
        (label, "done" if index < current else "running" if index == current else "waiting")
        for index, (_, label) in enumerate(PHASES)
    ]


def _job_context(request: HttpRequest, pk: int) -> dict:
    _director(request)
    job = imports.import_job_get(user=request.user, pk=pk)
    running = job.status in (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING)
    return {"job": job, "running": running, "phases": _phases(job), "poll_seconds": POLL_SECONDS}


@login_required
@require_safe
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "accounts/importjob_detail.html", _job_context(request, pk))


@login_required
@require_safe
def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's status panel, which polls itself while the job is queued or running."""
    return render(request, "accounts/partials/importjob_status.html", _job_context(request, pk))


@login_required
@require_safe
def import_errors_csv(request: HttpRequest, pk: int) -> HttpResponse:
    _director(request)
    job = imports.import_job_get(user=request.user, pk=pk)
    response = HttpResponse(imports.import_job_errors_csv(job=job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
