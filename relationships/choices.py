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
