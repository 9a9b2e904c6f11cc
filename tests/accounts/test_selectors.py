"""Visibility is one selector per model."""

from __future__ import annotations

import pytest
from django.http import Http404

from accounts import selectors
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_visibility_per_persona(manager, colleague, outsider, director, integration, roleless, account):
    # given an account (manager owns, colleague on the team) and one of the outsider
    other = AccountFactory(owner=outsider)
    # then
    assert set(selectors.accounts_visible_to(manager)) == {account}
    assert set(selectors.accounts_visible_to(colleague)) == {account}
    assert set(selectors.accounts_visible_to(outsider)) == {other}
    assert set(selectors.accounts_visible_to(director)) == {account, other}
    assert set(selectors.accounts_visible_to(integration)) == {account, other}
    # a user without a role sees nothing that is not theirs (here: nothing)
    assert not selectors.accounts_visible_to(roleless).exists()


def test_owner_on_own_team_is_listed_once(manager, account):
    account.team.add(manager)
    assert selectors.account_list(user=manager).count() == 1


def test_inactive_users_see_nothing(manager, account):
    manager.is_active = False
    manager.save()
    manager._kam_roles = None
    assert not selectors.accounts_visible_to(manager).exists()


def test_get_raises_404_for_what_you_cannot_see(outsider, account):
    with pytest.raises(Http404):
        selectors.account_get(user=outsider, pk=account.pk)
    with pytest.raises(Http404):
        selectors.account_get(user=outsider, pk="not-a-number")
    contact = ContactFactory(account=account)
    with pytest.raises(Http404):
        selectors.contact_get(user=outsider, pk=contact.pk)


def test_account_list_counts_active_contacts(manager, account):
    ContactFactory.create_batch(2, account=account)
    ContactFactory(account=account, is_active=False)
    assert selectors.account_list(user=manager).get().contact_count == 2
