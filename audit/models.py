"""The audit trail (issue 9): who changed what, when, in the audited tables.

Entries are written by PostgreSQL triggers (``audit/migrations/0002_audit_triggers.py``), never by Python: every
write is caught — a form, the API, a bulk upsert, a CSV import's ``INSERT … SELECT``, a scoring run's set-based
``UPDATE``, the admin, a ``manage.py shell``. Who did it is read from the transaction's settings
``kam.actor_id`` / ``kam.actor_label`` / ``kam.request_id`` (``audit.actor``). Entries are never edited or
deleted by the application, and kept forever.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.urls import reverse


class ExactJSONDecoder(json.JSONDecoder):
    """Numbers with a fraction are read as ``Decimal``: an amount of 12.50 stays 12.50, not 12.5."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("parse_float", Decimal)
        super().__init__(*args, **kwargs)


# The tables the triggers watch (audit/migrations/0002_audit_triggers.py; a test checks both agree).
AUDITED_TABLES = (
    "accounts_account",
    "accounts_account_team",
    "accounts_contact",
    "accounts_order",
    "accounts_invoice",
    "accounts_keystatusoverride",
    "accounts_scoringpolicy",
    "relationships_ladderoverride",
    "relationships_partnerproposal",
    "benefits_benefitgrant",
)


class AuditAction(models.TextChoices):
    INSERT = "insert", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"


class AuditEntry(models.Model):
    """One row created, changed or deleted in an audited table.

    ``changes``: on update, ``{column: [old, new]}`` with the changed columns only; on insert, the new row
    (``{column: value}``, the columns that have a value), on delete the old one — a snapshot, so that a bulk
    insert pays for one ``to_jsonb`` per row and no pairs (``field_changes`` reads all three alike). ``id``,
    ``created_at`` and ``updated_at`` are left out. ``account_id`` is the account the row belongs to (the
    account itself for ``accounts_account``; null for scoring policies). Neither it, ``object_id`` nor
    ``actor`` is a database foreign key: an entry outlives what it describes.
    """

    occurred_at = models.DateTimeField(help_text="When the transaction that made the change started.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        # No index: every entry would pay for it, and only the admin's actor filter reads by it (newest first,
        # along the primary key).
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        help_text="The user on whose behalf the change was made; empty: the system.",
    )
    actor_label = models.CharField(
        max_length=200, blank=True, help_text='Who, in words: "alice", "erp (API token nightly)", "system: …".'
    )
    table_name = models.CharField(max_length=63)
    object_id = models.BigIntegerField()
    account_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=6, choices=AuditAction)
    changes = models.JSONField(default=dict, decoder=ExactJSONDecoder)
    request_id = models.CharField(
        max_length=64, blank=True, help_text="The request or task that made the change (empty: unknown)."
    )
    transaction_id = models.BigIntegerField(help_text="PostgreSQL's transaction id: one commit's entries share it.")

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "audit entries"
        default_permissions = ("view",)
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values),
                name="audit_auditentry_action_valid",
                violation_error_code="audit_auditentry_action_valid",
                violation_error_message="Unknown audit action.",
            ),
        ]
        indexes = [
            # An account's history, newest first.
            models.Index(fields=["account_id", "-id"], name="auditentry_account_idx"),
            # The admin's date filter: entries arrive in time order, so a BRIN index is tiny and cheap to keep.
            BrinIndex(fields=["occurred_at"], name="auditentry_occurred_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.table_name} {self.object_id}"

    def get_absolute_url(self) -> str:
        return reverse("admin:audit_auditentry_change", args=[self.pk])

    def field_changes(self) -> dict[str, tuple[Any, Any]]:
        """``{column: (old, new)}`` whatever the action: an insert's old values and a delete's new ones are None."""
        if self.action == AuditAction.INSERT:
            return {column: (None, value) for column, value in self.changes.items()}
        if self.action == AuditAction.DELETE:
            return {column: (value, None) for column, value in self.changes.items()}
        return {column: (old, new) for column, (old, new) in self.changes.items()}
