"""Indexes for the filters and orderings the lists of NPS answers, advocacy events, contracts, interactions,
ladder overrides and proposals, account plans and their parts offer (issue 10;
tests/kam/test_list_indexes.py, bench/explain.py).

Built CONCURRENTLY, outside a transaction: at volume (millions of orders) a plain CREATE INDEX would block
writes to the table while it builds.
"""

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0013_list_indexes"),
        ("relationships", "0006_contact_cadence_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="accountplan",
            index=models.Index(fields=["period_start", "id"], name="plan_start_idx"),
        ),
        AddIndexConcurrently(
            model_name="accountplan",
            index=models.Index(fields=["period_end", "id"], name="plan_end_idx"),
        ),
        AddIndexConcurrently(
            model_name="accountplan",
            index=models.Index(fields=["updated_at", "id"], name="plan_updated_idx"),
        ),
        AddIndexConcurrently(
            model_name="accountplan",
            index=models.Index(fields=["status", "period_start"], name="plan_status_idx"),
        ),
        AddIndexConcurrently(
            model_name="actionitem",
            index=models.Index(fields=["due", "id"], name="action_due_idx"),
        ),
        AddIndexConcurrently(
            model_name="actionitem",
            index=models.Index(
                models.OrderBy(models.F("due"), descending=True, nulls_last=True),
                models.F("id"),
                name="action_due_desc_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="actionitem",
            index=models.Index(fields=["completed_at", "id"], name="action_completed_idx"),
        ),
        AddIndexConcurrently(
            model_name="actionitem",
            index=models.Index(
                models.OrderBy(models.F("completed_at"), descending=True, nulls_last=True),
                models.F("id"),
                name="action_completed_desc_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="actionitem",
            index=models.Index(fields=["updated_at", "id"], name="action_updated_idx"),
        ),
        AddIndexConcurrently(
            model_name="actionitem",
            index=models.Index(fields=["status", "due"], name="action_status_due_idx"),
        ),
        AddIndexConcurrently(
            model_name="advocacyevent",
            index=models.Index(fields=["occurred_on", "id"], name="advocacy_occurred_idx"),
        ),
        AddIndexConcurrently(
            model_name="advocacyevent",
            index=models.Index(fields=["created_at", "id"], name="advocacy_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="advocacyevent",
            index=models.Index(fields=["verified_at", "id"], name="advocacy_verified_at_idx"),
        ),
        AddIndexConcurrently(
            model_name="advocacyevent",
            index=models.Index(
                models.OrderBy(models.F("verified_at"), descending=True, nulls_last=True),
                models.F("id"),
                name="advocacy_verified_desc_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="advocacyevent",
            index=models.Index(fields=["kind", "occurred_on"], name="advocacy_kind_idx"),
        ),
        AddIndexConcurrently(
            model_name="advocacyevent",
            index=models.Index(fields=["verified", "occurred_on"], name="advocacy_verified_idx"),
        ),
        AddIndexConcurrently(
            model_name="contract",
            index=models.Index(fields=["starts_on", "id"], name="contract_starts_idx"),
        ),
        AddIndexConcurrently(
            model_name="contract",
            index=models.Index(fields=["ends_on", "id"], name="contract_ends_idx"),
        ),
        AddIndexConcurrently(
            model_name="contract",
            index=models.Index(
                models.OrderBy(models.F("ends_on"), descending=True, nulls_last=True),
                models.F("id"),
                name="contract_ends_desc_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="contract",
            index=models.Index(fields=["created_at", "id"], name="contract_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="contract",
            index=models.Index(fields=["kind", "starts_on"], name="contract_kind_idx"),
        ),
        AddIndexConcurrently(
            model_name="contract",
            index=models.Index(fields=["service_level", "starts_on"], name="contract_level_idx"),
        ),
        AddIndexConcurrently(
            model_name="contract",
            index=models.Index(fields=["auto_renew", "starts_on"], name="contract_renew_idx"),
        ),
        AddIndexConcurrently(
            model_name="feedback",
            index=models.Index(fields=["responded_on", "id"], name="feedback_responded_idx"),
        ),
        AddIndexConcurrently(
            model_name="feedback",
            index=models.Index(fields=["created_at", "id"], name="feedback_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="feedback",
            index=models.Index(fields=["score", "id"], name="feedback_score_idx"),
        ),
        AddIndexConcurrently(
            model_name="interaction",
            index=models.Index(fields=["occurred_at", "id"], name="interaction_at_idx"),
        ),
        AddIndexConcurrently(
            model_name="interaction",
            index=models.Index(fields=["next_step_due", "id"], name="interaction_step_due_idx"),
        ),
        AddIndexConcurrently(
            model_name="interaction",
            index=models.Index(
                models.OrderBy(models.F("next_step_due"), descending=True, nulls_last=True),
                models.F("id"),
                name="interaction_due_desc_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="interaction",
            index=models.Index(fields=["created_at", "id"], name="interaction_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="interaction",
            index=models.Index(fields=["kind", "occurred_at"], name="interaction_kind_idx"),
        ),
        AddIndexConcurrently(
            model_name="interaction",
            index=models.Index(fields=["status", "occurred_at"], name="interaction_status_idx"),
        ),
        AddIndexConcurrently(
            model_name="ladderoverride",
            index=models.Index(fields=["created_at", "id"], name="override_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="ladderoverride",
            index=models.Index(fields=["status", "created_at"], name="override_status_idx"),
        ),
        AddIndexConcurrently(
            model_name="ladderoverride",
            index=models.Index(fields=["stage", "created_at"], name="override_stage_idx"),
        ),
        AddIndexConcurrently(
            model_name="partnerproposal",
            index=models.Index(fields=["created_at", "id"], name="proposal_created_idx"),
        ),
        AddIndexConcurrently(
            model_name="planobjective",
            index=models.Index(fields=["position", "due"], name="objective_position_idx"),
        ),
        AddIndexConcurrently(
            model_name="planobjective",
            index=models.Index(fields=["due", "id"], name="objective_due_idx"),
        ),
        AddIndexConcurrently(
            model_name="planobjective",
            index=models.Index(fields=["updated_at", "id"], name="objective_updated_idx"),
        ),
        AddIndexConcurrently(
            model_name="planobjective",
            index=models.Index(fields=["status", "position"], name="objective_status_idx"),
        ),
        AddIndexConcurrently(
            model_name="swotitem",
            index=models.Index(fields=["position", "id"], name="swot_position_idx"),
        ),
        AddIndexConcurrently(
            model_name="swotitem",
            index=models.Index(fields=["kind", "position"], name="swot_kind_idx"),
        ),
    ]
