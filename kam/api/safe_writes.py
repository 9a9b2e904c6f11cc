"""Safe writes for every API view: optimistic concurrency with ETags and idempotent POSTs.

* **ETag** — a ``GET`` of one object (any view whose URL names an object) carries ``ETag: "<hash>"``, the
  SHA-256 of its JSON representation; ``If-None-Match`` with that tag answers ``304 Not Modified``.
* **If-Match** — ``PATCH``, ``PUT`` and ``DELETE`` name the representation they were made from. If the object
  changed since (its tag differs) the answer is ``412 Precondition Failed`` and nothing is written; without the
  header the answer is ``428 Precondition Required`` (``KAM_API_REQUIRE_IF_MATCH``; ``If-Match: *`` writes
  whatever the current state). The object's row is locked from the check to the commit, so two writers holding
  the same tag cannot both win: the second sees the first's change and gets its 412.
* **Idempotency-Key** — a ``POST`` with this header runs in one transaction with a record of the key (unique per
  user): its first successful (2xx) answer is stored with what it did, and a retry with the same key and the
  same request gets that answer again (``Idempotent-Replayed: true``) instead of acting twice. A retry that
  arrives while the first is still running waits for it. The same key with another method, path or body is a
  422; a refused request (4xx, 5xx) keeps nothing, so it can be corrected and sent again with its key. Keys
  are kept ``KAM_IDEMPOTENCY_KEY_HOURS`` (24 by default).

The order of the answers follows RFC 9110 §13.2.2: authentication, the 404 of what the caller may not see and
the 403 of what they may not do come first, then the precondition, then the request's content.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from datetime import timedelta
from typing import Any

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.http import parse_etags, quote_etag
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from kam.models import IdempotencyRecord

CONDITIONAL_METHODS = frozenset({"PUT", "PATCH", "DELETE"})
READ_METHODS = frozenset({"GET", "HEAD"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Visible ASCII, no spaces: a UUID, a hash, an ERP's document number.
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,255}$"
_KEY_RE = re.compile(IDEMPOTENCY_KEY_PATTERN)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "This object changed since the representation your If-Match names: GET it again, re-apply your change "
        "and send it with the new ETag."
    )
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = (
        "Send If-Match with the ETag of the object as you last read it (GET it first), or If-Match: * to write "
        "whatever its current state."
    )
    default_code = "precondition_required"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was used for another request (method, path or body differ): use a new key for a "
        "new request."
    )
    default_code = "idempotency_key_reused"


class _Replay(Exception):
    """Raised once the caller is authenticated and allowed: answer with the stored response."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(record.key)
        self.record = record


def etag_for(data: Any) -> str:
    """The strong ETag of a JSON representation (the same data gives the same tag, whatever the key order)."""
    payload = json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return quote_etag(hashlib.sha256(payload.encode()).hexdigest()[:32])


# --- idempotency records (services) -------------------------------------------------------------------------


def _is_multipart(request: HttpRequest) -> bool:
    return request.content_type == "multipart/form-data"


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode())
        digest.update(b"\0")
    if not _is_multipart(request._request):
        digest.update(request._request.body)  # read (and kept) by dispatch before DRF parses the stream
        return digest.hexdigest()
    # An upload (a CSV import): its fields and its files' contents, not the raw body, whose part boundary differs
    # from one sending to the next; files are read in chunks and rewound for the view.
    data: Any = request.data  # a QueryDict for a multipart body
    for name, values in sorted(data.lists()):
        for value in values:
            digest.update(f"{name}=".encode())
            if isinstance(value, UploadedFile):
                for chunk in value.chunks():
                    digest.update(chunk)
                value.seek(0)
            else:
                digest.update(str(value).encode())
            digest.update(b"\0")
    return digest.hexdigest()


def idempotency_begin(*, request: Request) -> IdempotencyRecord | None:
    """Claim the request's ``Idempotency-Key`` for its user (None: no key). Must run inside the request's
    transaction: the claim is a row that a retry running at the same time waits on. Raises ``_Replay`` when the
    key already holds the answer to this very request, ``IdempotencyKeyReused`` when it holds another one."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or not request.user.is_authenticated:
        return None
    if not _KEY_RE.match(key):
        raise exceptions.ValidationError(
            {IDEMPOTENCY_HEADER: ["Use 1 to 255 visible ASCII characters without spaces, e.g. a UUID."]}
        )
    fingerprint = _fingerprint(request)
    cutoff = timezone.now() - timedelta(hours=settings.KAM_IDEMPOTENCY_KEY_HOURS)
    IdempotencyRecord.objects.filter(user=request.user, key=key, created_at__lt=cutoff).delete()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user=request.user, key=key, fingerprint=fingerprint)
    except IntegrityError:
        pass  # the key's first request committed (a concurrent one was waited for): its answer is stored
    record = IdempotencyRecord.objects.get(user=request.user, key=key)
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    raise _Replay(record)


def idempotency_finish(*, record: IdempotencyRecord, response: Response) -> None:
    """Store a successful answer with the request's work; forget the key of a refused one."""
    if not 200 <= response.status_code < 300:
        record.delete()
        return
    record.status_code = response.status_code
    record.response_body = json.dumps(getattr(response, "data", None), cls=JSONEncoder)
    record.location = response.headers.get("Location", "")[:500]
    record.save(update_fields=["status_code", "response_body", "location"])


def idempotency_purge(*, now=None) -> int:
    """Delete the keys older than ``KAM_IDEMPOTENCY_KEY_HOURS`` (the hourly beat task); returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.KAM_IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _replayed(record: IdempotencyRecord) -> Response:
    headers = {REPLAYED_HEADER: "true"}
    if record.location:
        headers["Location"] = record.location
    data = json.loads(record.response_body) if record.response_body else None
    return Response(data, status=record.status_code or status.HTTP_200_OK, headers=headers)


# --- the mixin ------------------------------------------------------------------------------------------------


class SafeWritesMixin:
    """First base of every API view (a test walks the URLconf): ETags, If-Match and Idempotency-Key — and, being
    the one place every view passes through after authentication, the refusal of a query parameter given twice."""

    request: Request
    kwargs: dict[str, Any]
    headers: dict[str, Any]

    def dispatch(self, request, *args, **kwargs):
        method = request.method.upper()
        if (method == "POST" and IDEMPOTENCY_HEADER in request.headers) or method in CONDITIONAL_METHODS:
            if not _is_multipart(request):
                request.body  # noqa: B018  # kept by Django for the key's fingerprint; DRF then parses the copy
            # One transaction: the key's record commits with the work (or neither does); the row lock taken for
            # If-Match holds until the write commits. DRF marks it for rollback when it answers an error.
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # authenticated, allowed, not throttled
        self._refuse_repeated_query_parameters(request)
        self._idempotency = idempotency_begin(request=request) if request.method == "POST" else None

    def _refuse_repeated_query_parameters(self, request) -> None:
        """A query parameter is given once, except a filter that takes several values (``?status=a&status=b``):
        ``?owner=1&owner=`` would otherwise be read as its last value, silently."""
        filterset = getattr(self, "filterset_class", None)
        several = {
            name
            for name, declared in (filterset.base_filters.items() if filterset is not None else ())
            if isinstance(declared, django_filters.MultipleChoiceFilter)
        }
        repeated = sorted(
            name for name, values in request.query_params.lists() if len(values) > 1 and name not in several
        )
        if repeated:
            raise exceptions.ValidationError({name: ["Give this parameter once."] for name in repeated})

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return _replayed(exc.record)
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        record = getattr(self, "_idempotency", None)
        if record is not None and not transaction.get_rollback():
            idempotency_finish(record=record, response=response)
        if self._names_an_object() and 200 <= response.status_code < 300:
            self._tag(request, response)
        return response

    # --- ETags ---------------------------------------------------------------------------------------------

    def _names_an_object(self) -> bool:
        return bool(self.kwargs)  # a list's URL names no object (an account's score history names its account)

    def _tag(self, request, response) -> None:
        method = request.method.upper()
        tag: str | None
        if method in READ_METHODS and isinstance(getattr(response, "data", None), dict):
            tag = etag_for(response.data)
        elif method in {"PUT", "PATCH"} and hasattr(self, "retrieve"):
            fresh = self._fresh_object()
            tag = self.representation_etag(fresh) if fresh is not None else None
        else:
            return
        if tag is None:
            return
        response["ETag"] = tag
        if method in READ_METHODS and tag in parse_etags(request.headers.get("If-None-Match", "")):
            response.status_code = status.HTTP_304_NOT_MODIFIED
            response.data = None

    def _fresh_object(self):
        lookup: str = getattr(self, "lookup_url_kwarg", None) or getattr(self, "lookup_field", None) or "pk"
        try:
            return (
                self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
                .filter(**{self.lookup_field: self.kwargs[lookup]})  # type: ignore[attr-defined]
                .first()
            )
        except (KeyError, ValueError, TypeError, DjangoValidationError):
            return None

    def representation_etag(self, obj) -> str:
        """The ETag a GET of ``obj`` answers with: its representation by the viewset's read serializer."""
        saved = getattr(self, "action", None)
        self.action: str | None = "retrieve"
        try:
            data = self.get_serializer(obj).data  # type: ignore[attr-defined]
        finally:
            self.action = saved
        return etag_for(data)

    # --- If-Match -------------------------------------------------------------------------------------------

    def get_object(self):
        method = (self.request.method or "").upper()
        header = self.request.headers.get("If-Match")
        if method in CONDITIONAL_METHODS and header is not None and "*" not in parse_etags(header):
            self._lock_row()
        obj = super().get_object()  # type: ignore[misc]  # 404 and 403 come before the precondition
        if method in CONDITIONAL_METHODS:
            self.check_write_precondition(obj, header)
        return obj

    def check_write_precondition(self, obj, header: str | None) -> None:
        if header is None:
            if settings.KAM_API_REQUIRE_IF_MATCH:
                raise PreconditionRequired()
            return
        tags = parse_etags(header)
        if "*" in tags:
            return
        if self.representation_etag(obj) not in tags:
            raise PreconditionFailed()

    def _lock_row(self) -> None:
        """``SELECT … FOR UPDATE`` of the named row before it is read, so the tag compared is the latest committed
        one and stays so until this write commits."""
        lookup: str = getattr(self, "lookup_url_kwarg", None) or self.lookup_field  # type: ignore[attr-defined]
        model = self.get_queryset().model  # type: ignore[attr-defined]
        with contextlib.suppress(KeyError, ValueError, TypeError, DjangoValidationError):  # not an id: a 404 later
            list(
                model._default_manager.select_for_update()
                .filter(**{self.lookup_field: self.kwargs[lookup]})  # type: ignore[attr-defined]
                .values_list("pk")
            )
