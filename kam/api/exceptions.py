"""One exception handler for the API: bad input is a 400 that names the field, never a 500.

Django ``ValidationError`` from a service's ``full_clean()`` and PostgreSQL integrity errors (a constraint
the service could not see coming, e.g. a race on a unique value) both become ``{field: [messages]}``.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from kam.api.throttling import rate_limit_enforce_after_error
from kam.constraints import errors_by_field, field_for_constraint
from kam.queue import QueueUnavailable

NON_FIELD_KEY = "non_field_errors"


class QueueUnavailableError(exceptions.APIException):
    """503 ``queue_unavailable``: the operation needs a worker and the task queue cannot be reached; nothing was
    written (the request's transaction rolls back)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = QueueUnavailable.message
    default_code = QueueUnavailable.code


def _rename_non_field(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {(NON_FIELD_KEY if key == NON_FIELD_ERRORS else key): value for key, value in errors.items()}


def integrity_error_as_fields(exc: IntegrityError) -> dict[str, list[str]]:
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    found = field_for_constraint(name) if name else None
    if found:
        field, message = found
        return {field: [message]}
    column = getattr(diag, "column_name", None)
    if column:
        return {column: ["This value is not allowed here."]}
    return {NON_FIELD_ERRORS: ["The data conflicts with a rule of the database."]}


def api_exception_handler(exc, context):
    if not isinstance(exc, exceptions.Throttled):
        # A request refused before DRF consults the throttle (bad credentials: 401, a permission class: 403) still
        # counts against its caller's rate limit and carries the RateLimit headers; over the limit it is a 429.
        try:
            rate_limit_enforce_after_error(context.get("request"), context.get("view"))
        except exceptions.Throttled as refused:
            exc = refused
    if isinstance(exc, DjangoValidationError):
        set_rollback()  # as DRF does for its own errors: a request in a transaction (safe writes) writes nothing
        return Response(_rename_non_field(errors_by_field(exc)), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        set_rollback()
        return Response(_rename_non_field(integrity_error_as_fields(exc)), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        # Never echo the model's name ("No Account matches…"): 404 says nothing about what exists.
        exc = exceptions.NotFound()
    elif isinstance(exc, QueueUnavailable):
        exc = QueueUnavailableError(str(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and set(response.data) == {"detail"}:
        # DESIGN §8: non-field errors are {"detail", "code"}, the code machine-readable.
        codes = exc.get_codes() if hasattr(exc, "get_codes") else None
        response.data["code"] = codes if isinstance(codes, str) else "error"
    return response
