"""``POST /api/v1/imports/`` and ``GET /api/v1/imports/{id}/``: an ERP uploads a CSV file as ``multipart/form-data``
(``kind``, ``file``) and follows the import job a worker runs (``accounts.imports``). Directors see every job,
an integration its own; anyone else is refused (403 to upload, 404 for a job)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.choices import ImportKind
from accounts.imports import ERRORS_KEPT, can_import, import_job_create, import_jobs_visible_to
from accounts.models import ImportJob
from kam.api.safe_writes import SafeWritesMixin
from kam.api.schema import DETAIL_ERROR, QUEUE_UNAVAILABLE_DESCRIPTION


class ImportRowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Line of the file (1 is the header; 0: not tied to a line).")
    field = serializers.CharField(help_text="The column at fault; empty for the whole row or file.")
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    """An import job: ``queued`` → ``running`` → ``succeeded`` or ``failed`` (then nothing was written and
    ``errors`` says why, line by line)."""

    errors = ImportRowErrorSerializer(
        many=True, read_only=True, help_text=f"The first {ERRORS_KEPT} errors; `error_count` counts them all."
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "file_name",
            "file_size",
            "status",
            "phase",
            "progress",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "rows",
            "created",
            "updated",
            "unchanged",
            "error_count",
            "errors",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices, help_text="What the file holds.")
    file = serializers.FileField(
        help_text="The CSV file: UTF-8, comma-separated, a header row naming the columns (see the README)."
    )


class ImportPermission(permissions.BasePermission):
    message = "CSV imports are for KAM directors and integrations."

    def has_permission(self, request, view) -> bool:
        return view.action != "create" or can_import(request.user)


@extend_schema_view(retrieve=extend_schema(summary="An import job: its status, progress, counts and row errors"))
class ImportJobViewSet(SafeWritesMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ImportJobSerializer
    permission_classes = [permissions.IsAuthenticated, ImportPermission]
    parser_classes = [parsers.MultiPartParser]
    filter_backends: list = []

    def get_queryset(self):
        return import_jobs_visible_to(self.request.user)

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            201: ImportJobSerializer,
            503: OpenApiResponse(response=DETAIL_ERROR, description=QUEUE_UNAVAILABLE_DESCRIPTION),
        },
        summary="Upload a CSV file to import, all or nothing",
        description=(
            "`multipart/form-data` with `kind` (accounts, contacts, orders, invoices) and `file`. The header row is "
            "checked at once (unknown or missing columns: 400); the rows are imported by a worker: answers 201 "
            "with the queued job — follow it at `imports/{id}/` until `status` is `succeeded` or `failed`. A "
            "failed job wrote nothing and lists its errors by line and column. Records are upserted by "
            "`external_id` (contacts by `account_external_id` and `email`). Directors and integrations only."
        ),
    )
    def create(self, request: Request) -> Response:
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        try:
            job = import_job_create(
                actor=request.user, kind=upload.validated_data["kind"], file=file, file_name=file.name or "upload.csv"
            )
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return Response(
            ImportJobSerializer(job).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(f"{request.path.rstrip('/')}/{job.pk}/")},
        )
