"""PostgreSQL enforces every invariant of the evidence records even when validation is bypassed
(``QuerySet.update``, ``bulk_create``), and the API's handler maps each violated constraint to its field."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Invoice, Order
from kam.api.exceptions import integrity_error_as_fields
from relationships.models import AdvocacyEvent, Contract, Feedback, Interaction
from tests.factories import (
    AccountFactory,
    AdvocacyEventFactory,
    ContractFactory,
    FeedbackFactory,
    InteractionFactory,
    InvoiceFactory,
    OrderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MODELS = (Order, Invoice, Feedback, AdvocacyEvent, Contract, Interaction)
FACTORIES = {
    Order: OrderFactory,
    Invoice: InvoiceFactory,
    Feedback: FeedbackFactory,
    AdvocacyEvent: AdvocacyEventFactory,
    Contract: ContractFactory,
    Interaction: InteractionFactory,
}

# (model, values written with QuerySet.update, constraint PostgreSQL must name, field the API names)
UPDATES = [
    (Order, {"external_id": ""}, "accounts_order_external_id_not_blank", "external_id"),
    (Order, {"net_amount": -1}, "accounts_order_net_amount_non_negative", "net_amount"),
    (Order, {"discount_pct": "100.01"}, "accounts_order_discount_pct_range", "discount_pct"),
    (Order, {"discount_pct": "-0.01"}, "accounts_order_discount_pct_range", "discount_pct"),
    (Order, {"service_level": "platinum"}, "accounts_order_service_level_valid", "service_level"),
    (Order, {"status": "shipped"}, "accounts_order_status_valid", "status"),
    (Invoice, {"external_id": ""}, "accounts_invoice_external_id_not_blank", "external_id"),
    (Invoice, {"number": ""}, "accounts_invoice_number_not_blank", "number"),
    (Invoice, {"amount": 0}, "accounts_invoice_amount_positive", "amount"),
    (
        Invoice,
        {"due_date": F("issue_date") - datetime.timedelta(days=1)},
        "accounts_invoice_due_after_issue",
        "due_date",
    ),
    (Invoice, {"status": "paid"}, "accounts_invoice_paid_date_iff_paid", "paid_date"),
    (Invoice, {"paid_date": datetime.date(2025, 1, 1)}, "accounts_invoice_paid_date_iff_paid", "paid_date"),
    (Invoice, {"status": "overdue"}, "accounts_invoice_status_valid", "status"),
    (Feedback, {"external_id": ""}, "relationships_feedback_external_id_not_blank", "external_id"),
    (Feedback, {"score": 11}, "relationships_feedback_score_range", "score"),
    (AdvocacyEvent, {"kind": "rumour"}, "relationships_advocacyevent_kind_valid", "kind"),
    (AdvocacyEvent, {"verified": True}, "relationships_advocacyevent_verified_iff_verifier", "verified"),
    (AdvocacyEvent, {"verified_at": timezone.now()}, "relationships_advocacyevent_verified_iff_verifier", "verified"),
    (
        AdvocacyEvent,
        {"referred_account": F("account")},
        "relationships_advocacyevent_referral_elsewhere",
        "referred_account",
    ),
    (Contract, {"external_id": ""}, "relationships_contract_external_id_not_blank", "external_id"),
    (Contract, {"kind": "handshake"}, "relationships_contract_kind_valid", "kind"),
    (Contract, {"service_level": "gold"}, "relationships_contract_service_level_valid", "service_level"),
    (
        Contract,
        {"ends_on": F("starts_on") - datetime.timedelta(days=1)},
        "relationships_contract_ends_after_start",
        "ends_on",
    ),
    (Interaction, {"kind": "telepathy"}, "relationships_interaction_kind_valid", "kind"),
    (Interaction, {"status": "maybe"}, "relationships_interaction_status_valid", "status"),
    (Interaction, {"subject": ""}, "relationships_interaction_subject_not_blank", "subject"),
    (
        Interaction,
        {"next_step": "", "next_step_due": datetime.date(2025, 1, 1)},
        "relationships_interaction_due_needs_step",
        "next_step",
    ),
]


def _violated(caught: pytest.ExceptionInfo[IntegrityError]) -> str:
    return caught.value.__cause__.diag.constraint_name  # type: ignore[union-attr]


@pytest.mark.parametrize("model,values,constraint,field", UPDATES, ids=[case[2] + "-" + case[3] for case in UPDATES])
def test_database_refuses_an_update_that_bypasses_validation(model, values, constraint, field):
    # given a valid record
    record = FACTORIES[model]()
    # when an update skips full_clean()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        model.objects.filter(pk=record.pk).update(**values)
    # then PostgreSQL refuses it by the constraint's name, and the API would name the field
    assert _violated(caught) == constraint
    assert field in integrity_error_as_fields(caught.value)


def test_database_refuses_self_verification():
    # given an event logged by someone, when a write makes the logger its verifier
    logger = UserFactory()
    event = AdvocacyEventFactory(logged_by=logger)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        AdvocacyEvent.objects.filter(pk=event.pk).update(verified=True, verified_at=timezone.now(), verified_by=logger)
    # then four eyes hold in the database too
    assert _violated(caught) == "relationships_advocacyevent_verified_by_other"
    assert integrity_error_as_fields(caught.value) == {
        "verified": ["An advocacy event must be verified by someone other than the person who logged it."]
    }


UNIQUE = [
    (Order, "accounts_order_external_id_unique", "Another order already has this external id."),
    (Invoice, "accounts_invoice_external_id_unique", "Another invoice already has this external id."),
    (Feedback, "relationships_feedback_external_id_unique", "Another answer already has this external id."),
    (Contract, "relationships_contract_external_id_unique", "Another contract already has this external id."),
]


@pytest.mark.parametrize("model,constraint,message", UNIQUE, ids=[case[1] for case in UNIQUE])
def test_database_refuses_a_duplicate_external_id(model, constraint, message):
    # given a record with an ERP id
    original = FACTORIES[model](external_id="ERP-1")
    copy = FACTORIES[model].build(account=original.account, external_id="ERP-1")
    # when a bulk insert (no validation) repeats it
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        model.objects.bulk_create([copy])
    # then the unique constraint refuses it, named after the field
    assert _violated(caught) == constraint
    assert integrity_error_as_fields(caught.value) == {"external_id": [message]}


@pytest.mark.parametrize("model", [Order, Invoice, Feedback, Contract])
def test_records_without_an_external_id_do_not_collide(model):
    account = AccountFactory()
    model.objects.bulk_create([FACTORIES[model].build(account=account, external_id=None) for _ in range(2)])
    assert model.objects.filter(external_id__isnull=True).count() == 2


def test_every_named_constraint_of_the_evidence_models_is_tested():
    # A new constraint without a test here fails this test.
    declared = {constraint.name for model in MODELS for constraint in model._meta.constraints}
    tested = (
        {case[2] for case in UPDATES} | {case[1] for case in UNIQUE} | {"relationships_advocacyevent_verified_by_other"}
    )
    assert declared == tested
