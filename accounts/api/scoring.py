"""The scoring API (DESIGN §8): request and follow scoring runs, read an account's latest score with its
explanation and its KAS history. Runs are the business of directors and integrations; an account's scores are
visible to whoever sees the account (anyone else gets 404)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, generics, mixins, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import AccountScore, ScoringRun
from accounts.permissions import can_request_scoring_run, can_view_scoring_runs
from accounts.scoring.runs import EARLIEST_AS_OF, scoring_run_request
from accounts.scoring.selectors import (
    account_score_latest,
    account_scores,
    score_explanation,
    scoring_runs_visible_to,
)
from accounts.selectors import account_get
from kam.api.safe_writes import SafeWritesMixin
from kam.api.schema import DETAIL_ERROR, QUEUE_UNAVAILABLE_DESCRIPTION
from kam.api.serializers import DateWithinField, StrictModelSerializer

# --- serializers -----------------------------------------------------------------------------------------------


class ScoringRunSerializer(serializers.ModelSerializer):
    """A scoring run: ``queued`` → ``running`` → ``done`` or ``failed`` (then ``error`` says why)."""

    policy = serializers.SlugRelatedField(slug_field="version", read_only=True, help_text="The policy's version.")
    duration_ms = serializers.SerializerMethodField(help_text="From start to finish; null until it finishes.")

    class Meta:
        model = ScoringRun
        fields = [
            "id",
            "as_of",
            "status",
            "policy",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "duration_ms",
            "accounts_scored",
            "status_changes",
            "counts",
            "timings",
            "error",
        ]
        read_only_fields = fields

    def get_duration_ms(self, run: ScoringRun) -> int | None:
        if run.started_at is None or run.finished_at is None:
            return None
        return round((run.finished_at - run.started_at).total_seconds() * 1000)


class ScoringRunCreateSerializer(StrictModelSerializer):
    """``as_of`` (ISO date, default today, never in the future): the run scores what was known that day."""

    # accounts.scoring.runs.scoring_run_request refuses a day outside these
    as_of = DateWithinField(
        earliest=EARLIEST_AS_OF,
        latest=timezone.localdate,
        required=False,
        help_text=f"ISO date; default today; not in the future, nor before {EARLIEST_AS_OF.isoformat()}.",
    )

    class Meta:
        model = ScoringRun
        fields = ["as_of"]


class _ScoreFields(serializers.ModelSerializer):
    as_of = serializers.DateField(source="run.as_of", read_only=True, help_text="The run's as-of date.")

    class Meta:
        model = AccountScore
        fields = [
            "account",
            "run",
            "as_of",
            "c1",
            "c2",
            "c3",
            "c4",
            "c5",
            "kas",
            "completeness",
            "key_status",
            "computed_key_status",
        ]
        read_only_fields = fields


class AccountScoreHistorySerializer(_ScoreFields):
    """One entry of an account's KAS history: the criteria, KAS and key status of one finished run."""


class AccountScoreSerializer(_ScoreFields):
    """An account's latest score with its full explanation: per criterion score, weight, contribution, inputs,
    caps, missing data and a sentence; and why the account has its key status."""

    policy = serializers.CharField(source="run.policy.version", read_only=True, help_text="The policy's version.")
    explanation = serializers.SerializerMethodField()

    class Meta(_ScoreFields.Meta):
        fields = [*_ScoreFields.Meta.fields, "previous_key_status", "policy", "explanation"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_explanation(self, score: AccountScore) -> dict[str, Any]:
        return score_explanation(score=score)


# --- permissions and views -------------------------------------------------------------------------------------


class ScoringRunPermission(permissions.BasePermission):
    """Requesting and listing runs: directors and integrations (403 for anyone else). A single run someone else
    may not see is a 404, by the visibility selector."""

    def has_permission(self, request, view) -> bool:
        if view.action == "create":
            return can_request_scoring_run(request.user)
        if view.action == "list":
            return can_view_scoring_runs(request.user)
        return True


class NotScoredYet(exceptions.NotFound):
    default_detail = "This account has no score yet: no scoring run has scored it."
    default_code = "not_scored"


@extend_schema_view(
    list=extend_schema(summary="List scoring runs, newest first"),
    retrieve=extend_schema(summary="A scoring run: its status, tallies and timings"),
)
class ScoringRunViewSet(SafeWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Scoring runs of the whole population: directors and integrations request and follow them; anyone else gets
    403 on the list and 404 on a run."""

    serializer_class = ScoringRunSerializer
    permission_classes = [permissions.IsAuthenticated, ScoringRunPermission]
    filter_backends: list = []

    def get_queryset(self):
        return scoring_runs_visible_to(self.request.user)

    @extend_schema(
        request=ScoringRunCreateSerializer,
        responses={
            202: ScoringRunSerializer,
            503: OpenApiResponse(response=DETAIL_ERROR, description=QUEUE_UNAVAILABLE_DESCRIPTION),
        },
        summary="Request a scoring run",
        description="Queue a run as of `as_of` (default today; a future date is a 400) with the active policy: a "
        "worker evaluates the loyalty ladder, then scores every active account. Answers 202 with the queued run; "
        "follow it at `scoring-runs/{id}/` until `status` is `done` or `failed`. Directors and integrations only.",
    )
    def create(self, request: Request) -> Response:
        parsed = ScoringRunCreateSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        run = scoring_run_request(as_of=parsed.validated_data.get("as_of"), requested_by=request.user)
        return Response(
            ScoringRunSerializer(run).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": request.build_absolute_uri(run.get_absolute_url())},
        )


@extend_schema(
    summary="An account's latest score, explained",
    responses={
        200: AccountScoreSerializer,
        404: OpenApiResponse(
            response=DETAIL_ERROR,
            description="No such account, not one the caller may see, or not scored yet (code `not_scored`).",
        ),
    },
)
class AccountScoreView(SafeWritesMixin, generics.GenericAPIView):
    """``GET accounts/{id}/score/``: the score of the latest finished run that scored the account."""

    serializer_class = AccountScoreSerializer
    filter_backends: list = []
    pagination_class = None

    def get(self, request: Request, pk: int) -> Response:
        score = account_score_latest(account=account_get(user=request.user, pk=pk))
        if score is None:
            raise NotScoredYet()
        return Response(self.get_serializer(score).data)


@extend_schema(summary="An account's score history, newest as-of first")
class AccountScoreHistoryView(SafeWritesMixin, generics.ListAPIView):
    """``GET accounts/{id}/scores/``: one entry per finished run that scored the account (no explanation)."""

    serializer_class = AccountScoreHistorySerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no account, no user
            return AccountScore.objects.none()
        return account_scores(account=account_get(user=self.request.user, pk=self.kwargs["pk"]))
