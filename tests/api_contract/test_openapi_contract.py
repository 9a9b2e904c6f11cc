"""schemathesis against the app in-process: every operation of the OpenAPI schema with generated input.

Every check runs but ``ignored_auth`` (auth per persona is a matrix test of its own): no server error; status
codes, content types, headers and bodies as documented; schema-violating input refused; and
``positive_data_acceptance`` — any request the schema calls valid is taken. Where a body is refused, the fix is
in the schema (it states the rule: bounds in a decimal's pattern, no NUL, not blank, no unknown key, the rules
between fields — ``kam.api.schema``) or in the code, never in this test.

What no schema can say, the test does as a careful client would, and only to schema-valid (positive) cases:

* **ids of objects that exist** — a generated ``account: 0`` is schema-valid but names nothing; an id in a body
  or a filter (``account``, ``plan``, ``grant``…, ``account_external_id``) is swapped for one of an object made
  for the case (``World``): the account, a second account to refer, a contact, a plan and its objective, an
  approved grant with its budget, a benefit anyone may ask for, a webhook subscription;
* **dates in order** — an end before its start (two fields JSON Schema cannot compare);
* **distinct ``external_id``s** in one bulk upsert (the schema cannot say "unique by this key");
* **a CSV file with a header row** for an import (the schema says a binary file);
* **a fresh ``Idempotency-Key``** per POST, and ``If-Match`` with the ETag of a GET on PATCH and DELETE;
* **a change that keeps an object's rules** — a PATCH of an object that exists (the benefit catalog's entries
  have small ids) with what the object already holds must still keep the rules between fields its create body
  states (``either_rule`` needs both minimums); a case that would not is one a careful client does not send, and
  is discarded (``hypothesis.assume``).

Each case runs in a savepoint that is rolled back, so no case sees what another wrote (a budget that would
overlap, a code taken, a key used).
"""

from __future__ import annotations

import copy
import datetime
import os
import re
import uuid
from decimal import Decimal
from typing import Any

import hypothesis
import jsonschema
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth

from accounts.imports import import_required_columns
from benefits.choices import BenefitCategory, GrantStatus
from benefits.models import BenefitType
from kam.api.safe_writes import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN
from kam.api_tokens import api_token_create
from kam.models import WebhookSubscription
from relationships.choices import PlanStatus
from tests.benefits.factories import BenefitBudgetFactory, BenefitGrantFactory
from tests.factories import (
    AccountFactory,
    AccountPlanFactory,
    ContactFactory,
    PlanObjectiveFactory,
    director_factory,
)

# Loading the schema needs no database: it is generated from the code.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

EXTERNAL_ID = "ERP-1"
# The pairs of dates of one record whose end may not come before its start.
PERIODS = (
    ("period_start", "period_end"),
    ("valid_from", "valid_to"),
    ("issue_date", "due_date"),
    ("starts_on", "ends_on"),
)


class World:
    """The objects a case's ids name, each made the first time a case names it (inside the case's savepoint)."""

    def __init__(self, *, director, manager, account):
        self.director, self.manager, self.account = director, manager, account
        self._made: dict[str, Any] = {}

    def forget(self) -> None:
        """A new case: what the last one made was rolled back with it."""
        self._made.clear()

    def _once(self, name: str, make):
        if name not in self._made:
            self._made[name] = make()
        return self._made[name]

    def contact(self):
        return self._once("contact", lambda: ContactFactory(account=self.account))

    def other_account(self):
        return self._once("other_account", lambda: AccountFactory(owner=self.manager, external_id="ERP-2"))

    def plan(self):
        # a draft in a year no generated date is drawn towards, so a new plan neither shares its start nor
        # overlaps it as an active one
        return self._once(
            "plan",
            lambda: AccountPlanFactory(
                account=self.account,
                status=PlanStatus.DRAFT,
                period_start=datetime.date(1987, 3, 17),
                period_end=datetime.date(1987, 12, 31),
            ),
        )

    def objective(self):
        return self._once("objective", lambda: PlanObjectiveFactory(plan=self.plan()))

    def benefit_type(self):
        # asks nothing of the account and has no maximum: whatever value the case asks for may be granted
        return self._once(
            "benefit_type",
            lambda: BenefitType.objects.create(
                code="contract-test", name="Anything", category=BenefitCategory.MONETARY, unit="EUR"
            ),
        )

    def grant(self):
        def make():
            budget = BenefitBudgetFactory(category=BenefitCategory.MONETARY)
            return BenefitGrantFactory(
                account=self.account,
                benefit_type=self.benefit_type(),
                requested_by=self.manager,
                status=GrantStatus.APPROVED,
                decided_by=self.director,
                decided_at=timezone.now(),
                budget=budget,
                committed_cost=Decimal("100.00"),
            )

        return self._once("grant", make)

    def subscription(self):
        return self._once(
            "subscription",
            lambda: WebhookSubscription.objects.create(
                name="ERP", url="https://erp.example.com/hook", events=["ladder.stage_changed"], secret="whsec_test",
                created_by=self.director,
            ),
        )  # fmt: skip

    def id_of(self, name: str) -> int | None:
        """The id a field or filter of this name should carry, or None when the name is no reference."""
        found = {
            "account": lambda: self.account,
            "referred_account": self.other_account,
            "contact": self.contact,
            "contacts": self.contact,
            "user": lambda: self.manager,
            "owner": lambda: self.manager,
            "team": lambda: self.manager,
            "plan": self.plan,
            "objective": self.objective,
            "grant": self.grant,
            "benefit_type": self.benefit_type,
            "subscription": self.subscription,
        }.get(name)
        return None if found is None else found().pk


def _references_swapped(world: World, values: dict[str, Any]) -> None:
    for name, value in list(values.items()):
        if name == "account_external_id" and isinstance(value, str):
            values[name] = EXTERNAL_ID
        elif isinstance(value, int) and not isinstance(value, bool):
            values[name] = world.id_of(name) or value
        elif isinstance(value, str) and value.isascii() and value.isdigit() and world.id_of(name) is not None:
            values[name] = str(world.id_of(name))  # a query value
        elif isinstance(value, list) and value and all(isinstance(item, int) for item in value):
            found = world.id_of(name)
            if found is not None:
                values[name] = [found]


def _dates_in_order(values: dict[str, Any]) -> None:
    for start, end in PERIODS:
        first, last = values.get(start), values.get(end)
        if isinstance(first, str) and isinstance(last, str) and last < first:
            values[end] = first


def _csv_upload(kind: str) -> dict[str, Any]:
    """An import's multipart body with a CSV file of just the header row its kind requires, sent in place of the
    generated one (whose file is arbitrary bytes: the schema says a file, not which)."""
    boundary = uuid.uuid4().hex
    header = ",".join(import_required_columns(kind))
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{kind}.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{header}\n\r\n",
        f"--{boundary}--\r\n",
    ]
    return {"data": "".join(parts).encode(), "headers": {"Content-Type": f"multipart/form-data; boundary={boundary}"}}


def _as_careful_client(case, world: World) -> dict[str, Any]:
    """The ids, dates, keys and files of a schema-valid case, as a client that knows the data would send them;
    returns what to send in place of the generated body, if anything."""
    if case.path == "/api/v1/imports/" and isinstance(case.body, dict) and isinstance(case.body.get("kind"), str):
        # sent in place of the generated body, which stays as generated (so its metadata stays positive)
        return _csv_upload(case.body["kind"])
    # copies: the generator derives further cases from these very containers
    if case.query:
        case.query = query = dict(case.query)
        _references_swapped(world, query)
    body = case.body
    if isinstance(body, dict | list):
        case.body = body = copy.deepcopy(body)
    if isinstance(body, dict):
        _references_swapped(world, body)
        _dates_in_order(body)
    elif isinstance(body, list):
        for index, item in enumerate(body):
            if isinstance(item, dict):
                _references_swapped(world, item)
                _dates_in_order(item)
                if isinstance(item.get("external_id"), str):
                    item["external_id"] = f"{index}-{item['external_id']}"[:100]
    return {}


@pytest.fixture
def world(db, manager):
    # Raw WSGI calls would close pytest-django's connection (and its test transaction) at each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    director = director_factory(username="schemathesis")
    account = AccountFactory(owner=manager, external_id=EXTERNAL_ID)
    try:
        yield World(director=director, manager=manager, account=account)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def director_key(world):
    return api_token_create(user=world.director, name="schemathesis")[1]


def _shown(case, authorization: str):
    shown = Client().get(case.formatted_path, HTTP_AUTHORIZATION=authorization)
    # Django's test client connects these again after its request: keep the test's connection open
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    return shown


def _keeps_the_rules(case, current: dict[str, Any]) -> None:
    """A change to an object that exists (a catalog entry) is one a careful client sends only if the object, so
    changed, still keeps the rules between its fields that its create body states (``request_rules``: "either
    rule" needs both minimums…); the schema of a change cannot know the object's other values."""
    created = schema.raw_schema["paths"].get(case.path.removesuffix("{id}/"), {}).get("post")
    if not created or not isinstance(case.body, dict):
        return
    reference = created["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    rules = schema.raw_schema["components"]["schemas"][reference.rsplit("/", 1)[-1]].get("allOf", [])
    changed = {**current, **case.body}
    hypothesis.assume(all(jsonschema.Draft7Validator(rule).is_valid(changed) for rule in rules))


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("KAM_FUZZ_EXAMPLES", "30")), deadline=None, suppress_health_check=list(HealthCheck)
)
def test_every_operation_conforms_to_the_schema(case, world, director_key):
    headers = {"Authorization": f"Token {director_key}"}
    method = case.method.upper()
    sent: dict[str, Any] = {}
    with transaction.atomic():
        world.forget()
        positive = case.meta is not None and case.meta.generation.mode.is_positive
        if positive:
            sent = _as_careful_client(case, world)
            headers.update(sent.pop("headers", {}))
        if method == "POST":
            given = (case.headers or {}).get(IDEMPOTENCY_HEADER)
            if given is None or re.fullmatch(IDEMPOTENCY_KEY_PATTERN, str(given)):
                headers[IDEMPOTENCY_HEADER] = uuid.uuid4().hex
        if method in {"PATCH", "PUT", "DELETE"}:
            # the write names the state it was made from (else every one is a 428, or a 412 on a made-up tag)
            shown = _shown(case, headers["Authorization"])
            if shown.has_header("ETag"):
                headers["If-Match"] = shown["ETag"]
                if positive and method == "PATCH":
                    _keeps_the_rules(case, shown.json())
        case.call_and_validate(headers=headers, excluded_checks=[ignored_auth], **sent)
        transaction.set_rollback(True)
