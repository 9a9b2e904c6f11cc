"""The Scoring policy page: directors preview the effect of new weights and thresholds, then save a version."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import ScoringPolicy
from accounts.scoring import formulas, runs
from accounts.scoring.policy import POLICY_FIELDS
from tests.accounts.scoring.test_runs import T, monthly_orders
from tests.factories import AccountFactory, active_policy

pytestmark = pytest.mark.django_db

URL = "accounts:scoring_policy_edit"


def form_data(**changes):
    data = {
        name: str(getattr(formulas.KAS_V1, name)) for name in POLICY_FIELDS if name not in ("version", "description")
    }
    return data | {"version": "", "description": "", "activate": "on"} | changes


@pytest.fixture
def scored(manager):
    accounts = [AccountFactory(owner=manager) for _ in range(3)]
    for account, amount in zip(accounts, ("300.00", "1000.00", "5000.00"), strict=True):
        monthly_orders(account, amount=amount)
    runs.scoring_run_perform(as_of=T)
    return accounts


def test_a_director_sees_the_active_policy_and_its_versions(client, director):
    client.force_login(director)
    response = client.get(reverse(URL))
    assert response.status_code == 200
    assert b"kas-v1" in response.content
    assert response.context["form"]["weight_c1"].value() == Decimal("0.250")


@pytest.mark.parametrize("persona", ["manager", "integration"])
def test_others_are_refused(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse(URL), form_data(version="x", action="save")).status_code == 403
    assert ScoringPolicy.objects.count() == 1


def test_preview_lists_the_accounts_that_would_change_and_saves_nothing(client, director, scored):
    # given three scored accounts; when a director previews a much lower key threshold
    client.force_login(director)
    data = form_data(key_threshold="40", retain_threshold="35", candidate_threshold="30", action="preview")
    response = client.post(reverse(URL), data)
    # then the page shows the accounts that would change, and nothing was saved
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.accounts == 3 and preview.changed > 0
    assert preview.changes[0].account_name.encode() in response.content
    assert ScoringPolicy.objects.count() == 1


def test_saving_creates_an_active_version_and_keeps_the_old_one(client, director):
    client.force_login(director)
    data = form_data(version="kas-v2", weight_c1="0.200", weight_c4="0.200", action="save")
    response = client.post(reverse(URL), data)
    assert response.status_code == 302
    assert active_policy().version == "kas-v2"
    assert ScoringPolicy.objects.get(version="kas-v1").weight_c1 == Decimal("0.250")


def test_weights_that_do_not_add_up_are_a_form_error(client, director):
    client.force_login(director)
    response = client.post(reverse(URL), form_data(version="kas-v2", weight_c1="0.300", action="save"))
    assert response.status_code == 200
    assert "add up to 1" in " ".join(response.context["form"].non_field_errors())
    assert ScoringPolicy.objects.count() == 1


def test_saving_without_a_version_name_is_a_field_error(client, director):
    client.force_login(director)
    response = client.post(reverse(URL), form_data(action="save"))
    assert response.status_code == 200
    assert response.context["form"].errors["version"]


def test_an_earlier_version_can_be_activated_again(client, director):
    client.force_login(director)
    client.post(reverse(URL), form_data(version="kas-v2", action="save"))
    original = ScoringPolicy.objects.get(version="kas-v1")
    response = client.post(reverse("accounts:scoring_policy_activate", args=[original.pk]))
    assert response.status_code == 302
    assert active_policy() == original


def test_a_manager_cannot_activate_a_version(client, manager):
    client.force_login(manager)
    original = active_policy()
    assert client.post(reverse("accounts:scoring_policy_activate", args=[original.pk])).status_code == 403


def test_the_page_query_count_does_not_grow_with_versions(client, director):
    client.force_login(director)
    client.get(reverse(URL))  # warm the session and the user's roles

    def queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(URL)).status_code == 200
        return len(captured)

    one = queries()
    for number in range(2, 5):
        ScoringPolicy.objects.create(**{**form_values(), "version": f"kas-v{number}"})
    assert queries() == one


def form_values():
    return {
        name: Decimal(value) if "." in value else int(value)
        for name, value in form_data().items()
        if name not in ("version", "description", "activate")
    }
