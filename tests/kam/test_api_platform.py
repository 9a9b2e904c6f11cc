"""API plumbing: token authentication, the OpenAPI schema and docs, the error handler."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, Contact
from kam.api.exceptions import integrity_error_as_fields
from kam.api_tokens import api_token_authenticate, api_token_create, api_token_revoke
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_token_authenticates_and_records_last_use(api, manager):
    token, key = api_token_create(user=manager, name="laptop")
    assert token.key_hash != key and key.startswith("kam_")
    found = api_token_authenticate(key=key)
    assert found == token and found.last_used_at is not None


def test_revoked_and_unknown_tokens_are_401(client, manager):
    token, key = api_token_create(user=manager, name="old")
    api_token_revoke(token=token)
    for header in (f"Token {key}", "Token kam_nope", "Token"):
        response = client.get("/api/v1/accounts/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header


def test_inactive_users_tokens_stop_working(manager):
    _token, key = api_token_create(user=manager, name="t")
    manager.is_active = False
    manager.save()
    assert api_token_authenticate(key=key) is None


def test_session_authentication_for_the_browser(client, manager, account):
    client.force_login(manager)
    assert client.get("/api/v1/accounts/").json()["results"][0]["name"] == "Acme Industries"


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/accounts/" in schema.content and b"tokenAuth" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html and "http://" not in html and "https://" not in html
    assert client.get("/api/redoc/").status_code == 200


@pytest.mark.parametrize(
    "model,values,field",
    [
        (Account, {"payment_terms_days": 999}, "payment_terms_days"),
        (Account, {"country": "xx"}, "country"),
        (Account, {"external_id": ""}, "external_id"),
        (Account, {"name": ""}, "name"),
        (Account, {"kind": "bogus"}, "kind"),
        (Account, {"stage": "bogus"}, "stage"),
        (Account, {"key_status": "bogus"}, "key_status"),
        (Account, {"annual_potential": -1}, "annual_potential"),
        (Account, {"credit_limit": -1}, "credit_limit"),
    ],
)
def test_database_enforces_account_constraints_and_the_handler_names_the_field(model, values, field):
    # given an account, when a write bypasses validation, then PostgreSQL refuses it and the API's
    # handler maps the constraint to the field
    account = AccountFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        model.objects.filter(pk=account.pk).update(**values)
    assert field in integrity_error_as_fields(caught.value)


@pytest.mark.parametrize(
    "values,field",
    [
        ({"influence": 0}, "influence"),
        ({"attitude": 3}, "attitude"),
        ({"name": ""}, "name"),
        ({"buying_role": "bogus"}, "buying_role"),
    ],
)
def test_database_enforces_contact_constraints(values, field):
    account = AccountFactory()
    contact = Contact.objects.create(account=account, name="Ana")
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Contact.objects.filter(pk=contact.pk).update(**values)
    assert field in integrity_error_as_fields(caught.value)


def test_database_enforces_unique_ids():
    AccountFactory(external_id="X-1")
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Account.objects.bulk_create([Account(name="Dup", external_id="X-1", updated_at=timezone.now())])
    assert integrity_error_as_fields(caught.value) == {"external_id": ["Another account already has this external id."]}
    account = AccountFactory()
    Contact.objects.create(account=account, name="A", email="a@x.example")
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Contact.objects.create(account=account, name="B", email="A@X.example")
    assert "email" in integrity_error_as_fields(caught.value)


@pytest.mark.parametrize("page", ["", " "])
def test_an_empty_page_number_is_a_400_not_the_first_page(api, manager, page):
    # the schema says `page` is an integer: leaving it empty is bad input, not a silent page 1
    response = api(manager).get("/api/v1/accounts/", {"page": page})
    assert response.status_code == 400
    assert "page" in response.json()


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_every_constraint_message_renders():
    # A bare "%" in a violation message makes Django's "message % {'name': …}" raise: a 500 instead of a 400.
    from django.apps import apps

    for model in apps.get_models():
        for constraint in model._meta.constraints:
            assert constraint.get_violation_error_message(), constraint.name


def test_healthz_answers_a_probe_by_address_over_http_in_production(client, settings):
    # given production's host list and HTTPS redirect / when the compose probe calls the container by address
    settings.ALLOWED_HOSTS = ["kam.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    # then it is answered, not refused for its host or redirected to HTTPS
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    # while any other page keeps both rules
    assert client.get("/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.get("/login/", HTTP_HOST="kam.example.com").status_code == 301


@pytest.mark.parametrize("value", ["1e3", " 5", "+5", "", "5,00", "٣", "-0", "1\n"])
def test_decimal_strings_are_plain_digits_as_the_schema_says(api, director, account, value):
    response = api(director).post(
        "/api/v1/orders/",
        {"account": account.pk, "external_id": "SO-D", "order_date": "2026-11-02", "net_amount": value},
        format="json",
    )
    assert response.status_code == 400 and "net_amount" in response.json()


def test_the_schema_states_what_a_decimal_string_takes(api, director):
    schema = api(director).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    # ASCII digits, no sign (never negative), at most 12 whole digits and 2 decimals
    assert components["OrderRequest"]["properties"]["net_amount"]["pattern"] == (
        r"^(?:0*[0-9]{1,12}(?:\.[0-9]{0,2})?|\.[0-9]{1,2})$"
    )
    # a nullable one admits "" (null), as DRF reads it
    assert components["BenefitTypeRequest"]["properties"]["max_value"]["pattern"].startswith("^(?:")
    assert components["WebhookSubscriptionRequest"]["properties"]["events"]["minItems"] == 1


def test_the_schema_is_generated_once_per_process_and_again_when_a_setting_changes(api, director, settings):
    from kam.api import docs

    client = api(director)
    docs.SCHEMAS.clear()
    first = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    [kept] = docs.SCHEMAS.values()
    again = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert first.json() == again.json() == kept and list(docs.SCHEMAS.values()) == [kept]
    settings.KAM_API_REQUIRE_IF_MATCH = False
    assert docs.SCHEMAS == {}
