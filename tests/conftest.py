"""Personas (STYLE rule 10) and clients. Every test runs against the real PostgreSQL of DATABASE_URL."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from kam.api_tokens import api_token_create
from tests.benefits.factories import default_catalog_ensure
from tests.factories import (
    AccountFactory,
    UserFactory,
    director_factory,
    ensure_active_policy,
    integration_factory,
    manager_factory,
)


@pytest.fixture(autouse=True)
def _scoring_policy_after_flush(request):
    """A transactional test starts from a database an earlier one may have flushed: put kas-v1 and the default
    benefit catalog (data migrations) back."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        ensure_active_policy()
        default_catalog_ensure()


@pytest.fixture
def manager(db):
    """Owns ``account``."""
    return manager_factory(username="manager", first_name="Mara", last_name="Manager")


@pytest.fixture
def colleague(db):
    """An account manager on the team of ``account``."""
    return manager_factory(username="colleague", first_name="Colin", last_name="Colleague")


@pytest.fixture
def outsider(db):
    """Another account manager, with accounts of their own but nothing to do with ``account``."""
    return manager_factory(username="outsider", first_name="Otto", last_name="Outsider")


@pytest.fixture
def director(db):
    return director_factory(username="director", first_name="Dana", last_name="Director")


@pytest.fixture
def integration(db):
    return integration_factory(username="erp", first_name="ERP", last_name="Integration")


@pytest.fixture
def roleless(db):
    """A logged-in user without any KAM role."""
    return UserFactory(username="roleless")


@pytest.fixture
def account(manager, colleague):
    return AccountFactory(name="Acme Industries", owner=manager, team=[colleague], external_id="ERP-ACME")


@pytest.fixture
def outsider_account(outsider):
    return AccountFactory(name="Outsider Holdings", owner=outsider, external_id="ERP-OUT")


@pytest.fixture
def api():
    """``api(user)`` — an API client authenticated with a real token of ``user`` (None: anonymous)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            _token, key = api_token_create(user=user, name="tests")
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make
