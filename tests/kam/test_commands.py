"""The management commands of the kam app: create_api_token and setup_demo (run by `make run`)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account, Contact
from kam.api_tokens import api_token_authenticate
from kam.demo import DEMO_PASSWORD, DEMO_USERS, SUPERUSER
from kam.models import ApiToken
from kam.roles import ACCOUNT_MANAGER, INTEGRATION, KAM_DIRECTOR
from tests.factories import UserFactory, integration_factory

pytestmark = pytest.mark.django_db
User = get_user_model()


def run(*args: str, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


# --- create_api_token -----------------------------------------------------------------------------------------


def test_create_api_token_prints_a_working_key_on_the_last_line():
    # given an integration user
    erp = integration_factory(username="erp")
    # when a token is made on the command line
    output = run("create_api_token", "erp")
    # then the last line is the key alone, and it authenticates as that user
    key = output.splitlines()[-1]
    assert key == key.strip() and " " not in key
    token = api_token_authenticate(key=key)
    assert token is not None and token.user == erp
    assert token.name == "cli"
    assert key not in output.splitlines()[0]  # the human line does not leak it


def test_create_api_token_stores_the_given_name():
    # given a user
    integration_factory(username="erp")
    # when a token is made with --name
    run("create_api_token", "erp", "--name", "nightly ERP sync")
    # then it is stored under that name
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["nightly ERP sync"]


def test_create_api_token_for_an_unknown_user_fails_and_creates_nothing():
    # given no user called "ghost" / when a token is asked for / then the command fails, naming the user
    with pytest.raises(CommandError, match="ghost"):
        run("create_api_token", "ghost")
    assert not ApiToken.objects.exists()


def test_create_api_token_for_an_inactive_user_fails():
    # given an inactive user
    UserFactory(username="retired", is_active=False)
    # when / then
    with pytest.raises(CommandError, match="inactive"):
        run("create_api_token", "retired")
    assert not ApiToken.objects.exists()


def test_create_api_token_with_a_blank_name_fails_with_the_reason():
    # given a user / when the token name is blank / then the error names the field and why
    integration_factory(username="erp")
    with pytest.raises(CommandError, match="name: This field cannot be blank"):
        run("create_api_token", "erp", "--name", "  ")


# --- setup_demo -----------------------------------------------------------------------------------------------


@pytest.fixture
def credentials(tmp_path):
    return tmp_path / "var" / "demo-credentials.txt"


def setup_demo(credentials, *args: str) -> str:
    return run("setup_demo", "--credentials-file", str(credentials), *args)


def roles(user) -> set[str]:
    names = set(user.groups.values_list("name", flat=True))
    return names | {SUPERUSER} if user.is_superuser else names


def test_setup_demo_creates_one_user_per_role_with_the_demo_password(credentials):
    # given an empty database
    # when the demo is set up
    setup_demo(credentials, "--no-demo-data")
    # then exactly the demo users exist, each with its role, and each can log in with the demo password
    users = {user.username: user for user in User.objects.all()}
    assert {name: roles(user) for name, user in users.items()} == {
        "diana": {KAM_DIRECTOR},
        "alice": {ACCOUNT_MANAGER},
        "bob": {ACCOUNT_MANAGER},
        "erp": {INTEGRATION},
        "admin": {SUPERUSER},
    }
    assert users["admin"].is_staff and not users["alice"].is_staff
    for username in users:
        assert authenticate(username=username, password=DEMO_PASSWORD) == users[username]
    assert all(user.email == f"{user.username}@example.com" and user.first_name for user in users.values())


def test_setup_demo_writes_the_logins_and_a_working_token_to_the_credentials_file(credentials):
    # given an empty database
    # when the demo is set up
    output = setup_demo(credentials, "--no-demo-data")
    # then the file lists every login and the integration user's key, which authenticates as erp
    text = credentials.read_text()
    assert all(spec.username in text for spec in DEMO_USERS) and DEMO_PASSWORD in text
    token = ApiToken.objects.get()
    key = next(line.strip() for line in text.splitlines() if line.strip().startswith(token.prefix))
    assert api_token_authenticate(key=key).user.username == "erp"
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    # and the same table is printed
    assert key in output and "alice" in output


def test_setup_demo_twice_creates_nothing_and_prints_the_same_logins(credentials):
    # given a demo set up once
    first = setup_demo(credentials)
    counts = (User.objects.count(), ApiToken.objects.count(), Account.objects.count(), Contact.objects.count())
    written = credentials.read_text()
    # when it runs again (every `make run` does)
    second = setup_demo(credentials)
    # then nothing is added, the file is untouched, and the logins (with the key) are printed again
    assert (User.objects.count(), ApiToken.objects.count(), Account.objects.count(), Contact.objects.count()) == counts
    assert counts[2] >= 200
    assert credentials.read_text() == written
    assert "Demo users created" in first and "none created" in second
    assert written.strip() in second
    assert "accounts exist already" in second


def test_setup_demo_loads_the_portfolio_owned_by_the_demo_managers(credentials):
    # given an empty database / when the demo is set up with its portfolio
    setup_demo(credentials)
    # then the accounts are owned by alice and bob, a few unassigned, nobody else
    owners = set(Account.objects.values_list("owner__username", flat=True))
    assert owners == {"alice", "bob", None}
    assert Account.objects.filter(team__username__in=["alice", "bob"]).exists()


def test_setup_demo_scores_the_portfolio_over_its_last_months(credentials):
    # given an empty database / when the demo is set up with its portfolio
    output = setup_demo(credentials)
    # then thirteen runs (the same day of each of the twelve months back, then today) scored it: stages spread
    # over the ladder, with moves, Partner proposals waiting, trends, and a run a year back for retention
    from accounts.models import ScoringRun
    from relationships.models import LadderTransition, PartnerProposal

    runs = ScoringRun.objects.filter(status="done").order_by("as_of")
    assert runs.count() == 13
    assert (runs.last().as_of - runs.first().as_of).days >= 365
    assert "Scored as of each of the last 12 months and today" in output
    assert Account.objects.values("stage").distinct().count() >= 5
    assert LadderTransition.objects.exists() and PartnerProposal.objects.filter(status="open").exists()


def test_setup_demo_respects_kam_demo_data_0(credentials, monkeypatch):
    # given KAM_DEMO_DATA=0 in the environment
    monkeypatch.setenv("KAM_DEMO_DATA", "0")
    # when the demo is set up
    output = setup_demo(credentials)
    # then the users exist but no accounts are loaded
    assert User.objects.filter(username="alice").exists()
    assert not Account.objects.exists()
    assert "not requested" in output


def test_setup_demo_rejects_a_malformed_kam_demo_data(credentials, monkeypatch):
    # given a typo in KAM_DEMO_DATA / when / then it fails loudly rather than guessing
    monkeypatch.setenv("KAM_DEMO_DATA", "nope")
    with pytest.raises(CommandError, match="KAM_DEMO_DATA"):
        setup_demo(credentials)
    assert not User.objects.exists()


def test_setup_demo_without_the_credentials_file_prints_how_to_make_a_token(credentials, tmp_path):
    # given a demo set up earlier whose credentials file is gone
    setup_demo(credentials, "--no-demo-data")
    credentials.unlink()
    # when it runs again
    output = setup_demo(credentials, "--no-demo-data")
    # then the logins are printed without a key, with the command that makes one; no token is added
    assert "alice" in output and DEMO_PASSWORD in output
    assert 'make manage ARGS="create_api_token erp"' in output
    assert ApiToken.objects.count() == 1
    assert not credentials.exists()


def test_setup_demo_leaves_a_user_with_other_roles_alone(credentials):
    # given "alice" already exists as an integration user with her own password
    alice = integration_factory(username="alice", first_name="Alice", last_name="Elsewhere")
    password = alice.password
    # when the demo is set up
    output = setup_demo(credentials, "--no-demo-data")
    # then alice is unchanged and reported; the other demo users are created
    alice.refresh_from_db()
    assert roles(alice) == {INTEGRATION} and alice.password == password and alice.last_name == "Elsewhere"
    assert "'alice' exists with other roles (integration)" in output
    assert set(User.objects.values_list("username", flat=True)) == {"alice", "diana", "bob", "erp", "admin"}


def test_setup_demo_is_cheap_once_done(credentials, django_assert_max_num_queries):
    # given a demo set up once, portfolio included
    setup_demo(credentials)
    # when it runs again / then a few queries answer it (advisory lock, users, their groups, accounts exist)
    with django_assert_max_num_queries(6):
        setup_demo(credentials)


def test_setup_demo_makes_budgets_and_benefits_requested_by_owners_and_approved_by_diana(credentials):
    from benefits.models import BenefitBudget, BenefitGrant

    output = setup_demo(credentials)
    assert BenefitBudget.objects.count() == 3
    grants = BenefitGrant.objects.select_related("requested_by", "decided_by")
    assert grants.exists() and "grants (some waiting)" in output
    assert {g.requested_by.username for g in grants} <= {"alice", "bob"}
    assert {g.decided_by.username for g in grants if g.decided_by} == {"diana"}
    assert grants.filter(status="requested").exists() and grants.filter(status="active").exists()
