"""Codes of the relationship records (DESIGN §4)."""

from django.db import models


class AdvocacyKind(models.TextChoices):
    REFERRAL = "referral", "Referral"
    TESTIMONIAL = "testimonial", "Testimonial"
    CASE_STUDY = "case_study", "Case study"
    REFERENCE_CALL = "reference_call", "Reference call"
    REVIEW = "review", "Review"


class ContractKind(models.TextChoices):
    FRAMEWORK = "framework", "Framework agreement"
    SLA = "sla", "Service level agreement"
    PARTNERSHIP = "partnership", "Partnership"
    JOINT_DEVELOPMENT = "joint_development", "Joint development"


class InteractionKind(models.TextChoices):
    MEETING = "meeting", "Meeting"
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    VISIT = "visit", "Visit"
    VIDEO = "video", "Video call"
    BUSINESS_REVIEW = "business_review", "Business review"
    EVENT = "event", "Event"


class InteractionStatus(models.TextChoices):
    """Planned interactions are the diary; completed ones count for the contact cadence."""

    PLANNED = "planned", "Planned"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class TransitionMode(models.TextChoices):
    """How a ladder move came about."""

    AUTOMATIC = "automatic", "Automatic (the rules)"
    OVERRIDE = "override", "Override"
    PROPOSAL_APPROVED = "proposal_approved", "Partner proposal approved"


class OverrideStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Open"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


# --- account plans ------------------------------------------------------------------------------------------


class PlanStatus(models.TextChoices):
    """A plan is drafted, then active for its period, then closed (kept as history)."""

    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class ObjectiveStatus(models.TextChoices):
    OPEN = "open", "Open"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    ACHIEVED = "achieved", "Achieved"
    MISSED = "missed", "Missed"


# Objectives still to be reached: one of these past its due date is overdue.
OBJECTIVE_PENDING = (ObjectiveStatus.OPEN, ObjectiveStatus.ON_TRACK, ObjectiveStatus.AT_RISK)


class SwotKind(models.TextChoices):
    """Declaration order is the grid's reading order: internal (strengths, weaknesses) above external."""

    STRENGTH = "strength", "Strength"
    WEAKNESS = "weakness", "Weakness"
    OPPORTUNITY = "opportunity", "Opportunity"
    THREAT = "threat", "Threat"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


# Actions still to be done: one of these past its due date is overdue.
ACTION_PENDING = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
