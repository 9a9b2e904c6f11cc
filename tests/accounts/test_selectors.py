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


def _plan_nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _plan_nodes(child))]


def test_a_managers_accounts_are_found_through_indexes(manager, colleague, account):
    """Owned or on the team: both are index conditions (a bitmap OR of the owner index and the primary key), so
    a manager's list never reads every account; ``owner = me OR EXISTS (team …)`` could only be a filter on a
    sequential scan of the whole table (issue 10: 600 ms of every manager list at 100,000 accounts)."""
    import json

    from django.db import connection

    owned = AccountFactory.create_batch(3, owner=colleague)  # and on the team of ``account``
    sql, params = selectors.accounts_visible_to(colleague).order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a plan that needs a scan of the table still has one
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    scans = {
        node["Node Type"] for node in _plan_nodes(plan[0]["Plan"]) if node.get("Relation Name") == "accounts_account"
    }
    assert scans and "Seq Scan" not in scans, scans
    assert set(selectors.accounts_visible_to(colleague)) == {account, *owned}
