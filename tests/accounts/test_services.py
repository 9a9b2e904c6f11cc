"""Account and contact services: the rules pages and the API share."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import services
from accounts.models import Account
from kam.constraints import errors_by_field
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_director_creates_account_with_team(director, manager, colleague):
    # given a director / when they create an account with an owner and a team
    account = services.account_create(
        actor=director, values={"name": "  Initech ", "owner": manager, "external_id": " "}, team=[colleague]
    )
    # then it is saved normalised, with its team
    assert account.name == "Initech" and account.external_id is None
    assert list(account.team.all()) == [colleague]


def test_manager_cannot_create(manager):
    with pytest.raises(PermissionDenied):
        services.account_create(actor=manager, values={"name": "X"})
    assert not Account.objects.exists()


def test_derived_fields_cannot_be_written_through_a_service(director, account):
    with pytest.raises(ValidationError) as caught:
        services.account_update(actor=director, account=account, values={"key_status": "strategic"})
    assert errors_by_field(caught.value) == {"key_status": ["This field cannot be set."]}


def test_team_change_needs_owner_or_director(colleague, account, outsider):
    with pytest.raises(PermissionDenied):
        services.account_update(actor=colleague, account=account, values={}, team=[outsider])


def test_owner_manages_the_team(manager, account, outsider, integration):
    services.account_update(actor=manager, account=account, values={}, team=[outsider])
    assert list(account.team.all()) == [outsider]
    with pytest.raises(ValidationError) as caught:
        services.account_update(actor=manager, account=account, values={}, team=[integration])
    assert "team" in errors_by_field(caught.value)


def test_constraint_errors_land_on_their_field(director, account):
    ContactFactory(account=account, email="a@b.example")
    with pytest.raises(ValidationError) as caught:
        services.contact_create(actor=director, account=account, values={"name": "B", "email": "A@B.example"})
    assert errors_by_field(caught.value) == {"email": ["This account already has a contact with this email address."]}


def test_moving_a_contact_needs_rights_on_both_accounts(manager, account, outsider_account):
    contact = ContactFactory(account=account)
    with pytest.raises(PermissionDenied):
        services.contact_update(actor=manager, contact=contact, values={}, account=outsider_account)


def test_outsider_cannot_touch_contacts(outsider, account):
    contact = ContactFactory(account=account)
    with pytest.raises(PermissionDenied):
        services.contact_delete(actor=outsider, contact=contact)
