"""schemathesis against the app in-process: every operation of the OpenAPI schema with generated input.

Checks: no server error, status codes / content types / headers / bodies as documented, and schema-violating
input refused. Not yet: ``ignored_auth`` (auth per persona is a matrix test of its own) and
``positive_data_acceptance``, which expects any schema-valid body to be taken — a contact naming an account
id that does not exist is schema-valid, and KAM answers it with a 400 naming ``account`` (ground rule 4).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from kam.api_tokens import api_token_create
from tests.factories import AccountFactory, ContactFactory

# Loading the schema needs no database: it is generated from the code.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def director_key(db, director, manager):
    # Raw WSGI calls would close pytest-django's connection (and its test transaction) at each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    ContactFactory(account=AccountFactory(owner=manager, external_id="ERP-1"))
    try:
        yield api_token_create(user=director, name="schemathesis")[1]
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("KAM_FUZZ_EXAMPLES", "30")), deadline=None, suppress_health_check=list(HealthCheck)
)
def test_every_operation_conforms_to_the_schema(case, director_key):
    headers = {"Authorization": f"Token {director_key}"}
    if case.method.upper() in {"PATCH", "PUT", "DELETE"} and "If-Match" not in (case.headers or {}):
        # as a careful client does: the write names the state it was made from (else every one is a 428)
        shown = Client().get(case.formatted_path, HTTP_AUTHORIZATION=headers["Authorization"])
        # Django's test client connects these again after its request: keep the test's connection open
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        if shown.has_header("ETag"):
            headers["If-Match"] = shown["ETag"]
    case.call_and_validate(headers=headers, excluded_checks=[ignored_auth, positive_data_acceptance])
