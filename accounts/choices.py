"""Codes shared by models, filters, serializers and pages. The API carries the code (DESIGN §8)."""

from django.db import models


class AccountKind(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    SUPPLIER = "supplier", "Supplier"


class LadderStage(models.TextChoices):
    """The loyalty ladder, rung 0 to 5 (DESIGN §6). Declaration order is rung order."""

    PROSPECT = "prospect", "Prospect"
    CUSTOMER = "customer", "Customer"
    CLIENT = "client", "Client"
    SUPPORTER = "supporter", "Supporter"
    ADVOCATE = "advocate", "Advocate"
    PARTNER = "partner", "Partner"


class KeyStatus(models.TextChoices):
    """Key-account status from scoring (DESIGN §5), lowest first."""

    STANDARD = "standard", "Standard"
    CANDIDATE = "candidate", "Candidate"
    KEY = "key", "Key"
    STRATEGIC = "strategic", "Strategic"


class BuyingRole(models.TextChoices):
    ECONOMIC_BUYER = "economic_buyer", "Economic buyer"
    DECISION_MAKER = "decision_maker", "Decision maker"
    INFLUENCER = "influencer", "Influencer"
    TECHNICAL_BUYER = "technical_buyer", "Technical buyer"
    USER = "user", "User"
    CHAMPION = "champion", "Champion"
    BLOCKER = "blocker", "Blocker"
    OTHER = "other", "Other"


class ServiceLevel(models.TextChoices):
    STANDARD = "standard", "Standard"
    ENHANCED = "enhanced", "Enhanced"
    PREMIUM = "premium", "Premium"


class OrderStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"


class InvoiceStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    WRITTEN_OFF = "written_off", "Written off"
    CANCELLED = "cancelled", "Cancelled"


class ScoringRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


INDUSTRY_SUGGESTIONS = (
    "Technology",
    "Banking",
    "Pharmaceuticals",
    "Hospitality",
    "Manufacturing",
    "Retail",
    "Logistics",
    "Energy",
    "Telecommunications",
    "Public sector",
)


class ImportKind(models.TextChoices):
    """What a CSV import loads (``accounts.imports``)."""

    ACCOUNTS = "accounts", "Accounts"
    CONTACTS = "contacts", "Contacts"
    ORDERS = "orders", "Orders"
    INVOICES = "invoices", "Invoices"


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
