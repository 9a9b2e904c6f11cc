"""Codes of the benefits (DESIGN §7)."""

from django.db import models


class BenefitCategory(models.TextChoices):
    MONETARY = "monetary", "Monetary"
    SOCIAL = "social", "Social"
    STRUCTURAL = "structural", "Structural"


class GrantStatus(models.TextChoices):
    """``requested`` → ``approved`` | ``rejected``; ``approved`` → ``active`` → ``expired``;
    ``active`` → ``suspended`` → ``active`` | ``revoked`` (and a director may revoke an approved or active one)."""

    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"


# Grants that hold a budget commitment and may still be in force.
GRANT_LIVE = (GrantStatus.APPROVED, GrantStatus.ACTIVE, GrantStatus.SUSPENDED)
