"""The relationship sections of the account page: the interaction timeline and its inline "log interaction"
form, NPS answers, advocacy events with "log" and "verify" (four eyes), contracts — who sees and may do what,
outsiders 404 on every URL, and the same rules as the API because the same services decide."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from relationships.choices import AdvocacyKind, ContractKind, InteractionKind, InteractionStatus
from relationships.models import AdvocacyEvent, Interaction
from tests.factories import (
    AccountFactory,
    AdvocacyEventFactory,
    ContactFactory,
    ContractFactory,
    FeedbackFactory,
    InteractionFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def detail_url(account: Account) -> str:
    return reverse("accounts:account_detail", args=[account.pk])


def log_url(account: Account) -> str:
    return reverse("relationships:interaction_create", args=[account.pk])


def advocacy_url(account: Account) -> str:
    return reverse("relationships:advocacy_event_create", args=[account.pk])


def verify_url(event: AdvocacyEvent) -> str:
    return reverse("relationships:advocacy_event_verify", args=[event.account_id, event.pk])


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(days: int) -> datetime.date:
    return today() - datetime.timedelta(days=days)


def interaction_data(**overrides) -> dict[str, object]:
    data = {
        "kind": InteractionKind.MEETING,
        "status": InteractionStatus.COMPLETED,
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "subject": "Renewal kick-off",
        "summary": "Walked through the renewal options.",
        "next_step": "Send the renewal proposal",
        "next_step_due": (today() + datetime.timedelta(days=7)).isoformat(),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def ada(account):
    return ContactFactory(account=account, name="Ada Lovelace", job_title="CTO")


# --- interaction timeline ---------------------------------------------------------------------------------


def test_timeline_lists_interactions_latest_first_with_who_and_contacts(client, manager, colleague, account, ada):
    # given two interactions, the newer one by the colleague with Ada and an overdue next step
    InteractionFactory(account=account, subject="Kick-off", user=manager, occurred_at=timezone.now().replace(year=2020))
    InteractionFactory(
        account=account,
        kind=InteractionKind.CALL,
        subject="Escalation call",
        user=colleague,
        contacts=[ada],
        next_step="Fix the delivery issue",
        next_step_due=days_ago(3),
    )
    client.force_login(manager)
    # when the owner opens the account
    content = client.get(detail_url(account)).content.decode()
    # then the newest comes first, with its kind, who had it, with whom, and the overdue next step
    assert content.index("Escalation call") < content.index("Kick-off")
    timeline = content[content.index('id="interactions"') :]
    assert "Colin Colleague" in timeline and "Ada Lovelace" in timeline
    assert "Fix the delivery issue" in timeline
    assert "kam-next-step mt-2 is-overdue" in timeline and "Overdue" in timeline
    assert log_url(account) in content


@pytest.mark.parametrize(
    ("persona", "may_log"), [("manager", True), ("colleague", True), ("director", True), ("integration", False)]
)
def test_log_form_is_offered_to_who_may_log(request, client, account, persona, may_log):
    # given a persona who sees the account / when they open it / then the form is there only if they may log
    client.force_login(request.getfixturevalue(persona))
    content = client.get(detail_url(account)).content.decode()
    assert (log_url(account) in content) is may_log


def test_manager_logs_an_interaction_with_htmx_and_gets_the_timeline_back(client, manager, account, ada):
    # given the owner on the account page
    client.force_login(manager)
    # when they post the inline form with htmx
    response = client.post(log_url(account), interaction_data(contacts=[ada.pk]), **HTMX)
    # then the interaction is saved through the service (they had it), and the timeline partial comes back with it
    assert response.status_code == 200
    interaction = Interaction.objects.get(account=account)
    assert interaction.user == manager
    assert interaction.subject == "Renewal kick-off"
    assert interaction.next_step == "Send the renewal proposal"
    assert list(interaction.contacts.all()) == [ada]
    content = response.content.decode()
    assert '<div id="messages" class="kam-messages" hx-swap-oob="true">' in content
    assert f'id="interaction-{interaction.pk}"' in content
    assert "Meeting “Renewal kick-off” logged." in content
    assert "<html" not in content


def test_logging_without_javascript_redirects_to_the_interaction(client, manager, account):
    # given the owner / when the form is posted without htmx / then they land on the interaction in the timeline
    client.force_login(manager)
    response = client.post(log_url(account), interaction_data())
    interaction = Interaction.objects.get(account=account)
    assert response.status_code == 302
    assert response["Location"] == f"{detail_url(account)}#interaction-{interaction.pk}"


def test_colleague_on_the_team_may_log(client, colleague, account):
    # given a team member / when they log an interaction / then it is saved as theirs
    client.force_login(colleague)
    response = client.post(log_url(account), interaction_data(), **HTMX)
    assert response.status_code == 200
    assert Interaction.objects.get(account=account).user == colleague


def test_integration_may_not_log_interactions(client, integration, account):
    # given the integration user, who sees every account but has no interactions
    client.force_login(integration)
    # when it posts the form anyway / then it is refused (403) and nothing is saved
    assert client.post(log_url(account), interaction_data()).status_code == 403
    assert not Interaction.objects.exists()


def test_due_date_without_next_step_is_an_error_on_next_step(client, manager, account):
    # given the owner / when they give a due date but no next step
    client.force_login(manager)
    response = client.post(log_url(account), interaction_data(next_step=""), **HTMX)
    # then the form comes back open with the service's message on the next step, and nothing is saved
    assert response.status_code == 200
    form = response.context["interaction_form"]
    assert form.errors["next_step"] == ["A due date needs a next step to be due."]
    content = response.content.decode()
    assert 'id="id_next_step_error"' in content
    assert 'id="log-interaction" open' in content
    assert not Interaction.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"subject": ""}, "subject"), ({"kind": "fax"}, "kind"), ({"occurred_at": "yesterday"}, "occurred_at")],
)
def test_bad_input_names_the_field(client, manager, account, overrides, field):
    # given the owner / when a field is missing or wrong / then the error is on that field, nothing is saved
    client.force_login(manager)
    response = client.post(log_url(account), interaction_data(**overrides), **HTMX)
    assert response.status_code == 200
    assert field in response.context["interaction_form"].errors
    assert not Interaction.objects.exists()


def test_contact_of_another_account_cannot_be_chosen(client, director, account, outsider_account):
    # given a contact of another account the director also sees
    stranger = ContactFactory(account=outsider_account)
    client.force_login(director)
    # when it is posted as a participant / then the form refuses it
    response = client.post(log_url(account), interaction_data(contacts=[stranger.pk]), **HTMX)
    assert "contacts" in response.context["interaction_form"].errors
    assert not Interaction.objects.exists()


def test_form_errors_without_javascript_render_a_full_page(client, manager, account):
    # given the owner without JavaScript / when the form has an error / then a whole page shows the form
    client.force_login(manager)
    response = client.post(log_url(account), interaction_data(subject=""))
    assert response.status_code == 200
    assert "<title>Log interaction · Acme Industries · KAM</title>" in response.content.decode()
    assert client.get(log_url(account)).status_code == 200


def test_form_offers_the_accounts_active_contacts_and_defaults_to_now(client, manager, account, ada):
    # given an active and an inactive contact
    ContactFactory(account=account, name="Gone Person", is_active=False)
    client.force_login(manager)
    # when the page is shown / then only the active contact is offered, and "when" defaults to now
    form = client.get(detail_url(account)).context["interaction_form"]
    assert list(form.fields["contacts"].queryset) == [ada]
    assert abs(form.initial["occurred_at"] - timezone.now()) < datetime.timedelta(minutes=2)


# --- NPS --------------------------------------------------------------------------------------------------


def test_nps_answers_are_coloured_and_the_mean_is_of_the_last_12_months(client, manager, account, ada):
    # given answers in the last year (10, 9, 7, 3) and an old one (0)
    for score, days in ((10, 10), (9, 20), (7, 30), (3, 40), (0, 400)):
        FeedbackFactory(account=account, score=score, responded_on=days_ago(days), contact=ada, comment=f"said {score}")
    client.force_login(manager)
    # when the page is shown
    response = client.get(detail_url(account))
    content = response.content.decode()
    # then the mean of the four recent answers (29 / 4 = 7.25) and their count are shown, with the NPS
    nps = response.context["nps"]
    assert (str(nps.mean), nps.count, nps.nps) == ("7.3", 4, 25)
    assert 'data-kam="nps-mean">7.3' in content
    assert "4 answers" in content
    # and each answer has the colour of its band
    assert 'kam-nps kam-nps-promoter" title="Promoter (10 of 10)"' in content
    assert 'kam-nps kam-nps-passive" title="Passive (7 of 10)"' in content
    assert 'kam-nps kam-nps-detractor" title="Detractor (3 of 10)"' in content
    assert "said 3" in content


# --- advocacy ---------------------------------------------------------------------------------------------


@pytest.fixture
def logged_by_manager(account, manager):
    return AdvocacyEventFactory(account=account, logged_by=manager, kind=AdvocacyKind.REFERRAL, note="Sent us Globex")


def test_advocacy_list_shows_kind_note_logger_and_status(client, colleague, account, logged_by_manager):
    # given an unverified referral logged by the owner, and one by the colleague that the owner verified
    referred = AccountFactory(name="Globex", owner=colleague)
    AdvocacyEvent.objects.filter(pk=logged_by_manager.pk).update(referred_account=referred)
    client.force_login(colleague)
    # when the colleague opens the account
    content = client.get(detail_url(account)).content.decode()
    # then they see it, who logged it, that it awaits verification, and may verify it (they did not log it)
    section = content[content.index('id="advocacy"') :]
    assert "Referral" in section and "Sent us Globex" in section
    assert "logged by Mara Manager" in section
    assert "Awaiting verification" in section
    assert verify_url(logged_by_manager) in section
    assert f'href="{detail_url(referred)}">Globex</a>' in section


def test_referred_account_the_user_cannot_see_is_named_but_not_linked(client, colleague, account, outsider_account):
    # given a referral of an account the colleague may not open
    AdvocacyEventFactory(account=account, kind=AdvocacyKind.REFERRAL, referred_account=outsider_account)
    client.force_login(colleague)
    content = client.get(detail_url(account)).content.decode()
    assert "Outsider Holdings" in content
    assert detail_url(outsider_account) not in content


def test_verify_button_is_not_offered_to_the_logger(client, manager, logged_by_manager):
    # given the owner logged the event / when they open the account / then they are not offered to verify it
    client.force_login(manager)
    assert verify_url(logged_by_manager) not in client.get(detail_url(logged_by_manager.account)).content.decode()


def test_another_user_verifies_with_htmx(client, colleague, logged_by_manager):
    # given the colleague on the team / when they verify the owner's event
    client.force_login(colleague)
    response = client.post(verify_url(logged_by_manager), **HTMX)
    # then it is verified by them, and the advocacy section comes back saying so
    assert response.status_code == 200
    logged_by_manager.refresh_from_db()
    assert logged_by_manager.verified and logged_by_manager.verified_by == colleague
    content = response.content.decode()
    assert "verified." in content and "by Colin Colleague" in content
    assert verify_url(logged_by_manager) not in content


def test_director_verifies_without_javascript(client, director, logged_by_manager):
    # given a director / when they verify with a plain POST / then they are sent back to the event
    client.force_login(director)
    response = client.post(verify_url(logged_by_manager))
    assert response.status_code == 302
    assert response["Location"].endswith("#advocacy")
    logged_by_manager.refresh_from_db()
    assert logged_by_manager.verified_by == director


def test_self_verification_is_refused_with_a_message(client, manager, logged_by_manager):
    # given the owner who logged the event / when they craft the verify POST anyway
    client.force_login(manager)
    response = client.post(verify_url(logged_by_manager), **HTMX)
    # then they are told why, and nothing changed
    assert response.status_code == 200
    assert "You logged this event: someone else must verify it." in response.content.decode()
    logged_by_manager.refresh_from_db()
    assert not logged_by_manager.verified and logged_by_manager.verified_by is None


def test_self_verification_without_javascript_shows_the_message_on_the_page(client, manager, logged_by_manager):
    client.force_login(manager)
    response = client.post(verify_url(logged_by_manager), follow=True)
    assert "You logged this event: someone else must verify it." in response.content.decode()
    assert not AdvocacyEvent.objects.get(pk=logged_by_manager.pk).verified


def test_integration_may_not_verify(client, integration, logged_by_manager):
    # given the integration user, who sees the account / when it posts a verification / then 403, unchanged
    client.force_login(integration)
    assert client.post(verify_url(logged_by_manager)).status_code == 403
    assert not AdvocacyEvent.objects.get(pk=logged_by_manager.pk).verified


def test_verify_is_post_only(client, colleague, logged_by_manager):
    client.force_login(colleague)
    assert client.get(verify_url(logged_by_manager)).status_code == 405


def test_event_must_belong_to_the_account_in_the_url(client, director, account, outsider_account):
    # given an event of another account / when it is verified through the wrong account / then it is not found
    other = AdvocacyEventFactory(account=outsider_account)
    client.force_login(director)
    url = reverse("relationships:advocacy_event_verify", args=[account.pk, other.pk])
    assert client.post(url).status_code == 404
    assert not AdvocacyEvent.objects.get(pk=other.pk).verified


def test_colleague_logs_advocacy_with_htmx(client, colleague, account):
    # given a team member / when they log a testimonial through the small form
    client.force_login(colleague)
    data = {"kind": AdvocacyKind.TESTIMONIAL, "occurred_on": days_ago(2).isoformat(), "note": "Quoted on stage"}
    response = client.post(advocacy_url(account), data, **HTMX)
    # then it is saved as logged by them, unverified, and the section shows it
    assert response.status_code == 200
    event = AdvocacyEvent.objects.get(account=account)
    assert (event.logged_by, event.verified, event.note) == (colleague, False, "Quoted on stage")
    assert f'id="advocacy-{event.pk}"' in response.content.decode()


def test_logging_advocacy_with_a_bad_date_names_the_field(client, colleague, account):
    client.force_login(colleague)
    response = client.post(advocacy_url(account), {"kind": AdvocacyKind.REVIEW, "occurred_on": "soon"}, **HTMX)
    assert "occurred_on" in response.context["advocacy_form"].errors
    assert not AdvocacyEvent.objects.exists()


def test_a_referral_names_the_account_by_external_id_or_name_with_suggestions(
    client, colleague, account, outsider_account
):
    # given accounts the colleague sees (their team's) and one they do not
    referred = AccountFactory(name="Borealis Foods", owner=account.owner, team=[colleague], external_id="ERP-BOR")
    AccountFactory(name="Boreal Twin", owner=account.owner, team=[colleague], external_id="ERP-TW1")
    AccountFactory(name="Boreal Twin", owner=account.owner, team=[colleague], external_id="ERP-TW2")
    client.force_login(colleague)
    # when they type part of a name, the suggestions are those they may name, never the account itself
    options = client.get(
        reverse("relationships:advocacy_referral_options", args=[account.pk]), {"referred_account": "bor"}
    )
    assert options.status_code == 200
    assert [option.name for option in options.context["options"]] == ["Boreal Twin", "Boreal Twin", "Borealis Foods"]
    outsider = client.get(
        reverse("relationships:advocacy_referral_options", args=[account.pk]), {"referred_account": "Outsider"}
    )
    assert outsider.context["options"] == []
    # then a referral takes the external id or a name only one account has
    for typed in ("ERP-BOR", "borealis foods"):
        data = {"kind": AdvocacyKind.REFERRAL, "occurred_on": today().isoformat(), "referred_account": typed}
        assert client.post(advocacy_url(account), data, **HTMX).status_code == 200
    assert [event.referred_account for event in AdvocacyEvent.objects.all()] == [referred, referred]
    # and a name two accounts share, one it cannot see or no account at all is an error naming the field
    for typed, message in (
        ("Boreal Twin", "Several accounts have this name"),
        (outsider_account.external_id, "No account you can name"),
        (account.external_id, "No account you can name"),
    ):
        data = {"kind": AdvocacyKind.REFERRAL, "occurred_on": today().isoformat(), "referred_account": typed}
        errors = client.post(advocacy_url(account), data, **HTMX).context["advocacy_form"].errors
        assert message in errors["referred_account"][0]
    assert AdvocacyEvent.objects.count() == 2


def test_the_account_page_does_not_list_every_account_to_refer(client, manager, account):
    # a portfolio of thousands would make every account page megabytes: the field suggests as one types
    AccountFactory.create_batch(5, owner=manager)
    client.force_login(manager)
    page = client.get(detail_url(account)).content.decode()
    assert 'list="referred-account-options"' in page
    assert "<option" not in page.split('id="referred-account-options"')[1].split("</datalist>")[0]


# --- contracts --------------------------------------------------------------------------------------------


def test_contracts_show_term_service_level_and_whether_active(client, manager, account):
    # given a running partnership, an ended SLA and a framework that starts later
    ContractFactory(account=account, kind=ContractKind.PARTNERSHIP, title="Strategic partnership", auto_renew=True)
    ContractFactory(
        account=account, kind=ContractKind.SLA, title="Old SLA", starts_on=days_ago(800), ends_on=days_ago(100)
    )
    ContractFactory(account=account, title="Next framework", starts_on=today() + datetime.timedelta(days=30))
    client.force_login(manager)
    response = client.get(detail_url(account))
    # then each says whether it is active now
    active = {contract.title: contract.is_active_now for contract in response.context["contracts"]}
    assert active == {"Strategic partnership": True, "Old SLA": False, "Next framework": False}
    section = response.content.decode().split('id="contracts"')[1]
    assert "Partnership" in section and "open-ended" in section and "Ended" in section and "Starts " in section


# --- outsiders: 404 on every URL --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["log_get", "log_post", "advocacy_get", "advocacy_post", "referral_options", "verify"]
)
def test_outsider_gets_404_on_every_relationship_url(client, outsider, account, logged_by_manager, target):
    # given a manager who has nothing to do with the account
    client.force_login(outsider)
    # when they open or post to any of its relationship URLs
    method, url, data = {
        "log_get": ("get", log_url(account), {}),
        "log_post": ("post", log_url(account), interaction_data()),
        "advocacy_get": ("get", advocacy_url(account), {}),
        "advocacy_post": ("post", advocacy_url(account), {"kind": "review", "occurred_on": today().isoformat()}),
        "referral_options": (
            "get",
            reverse("relationships:advocacy_referral_options", args=[account.pk]),
            {"referred_account": account.name[:3]},
        ),
        "verify": ("post", verify_url(logged_by_manager), {}),
    }[target]
    response = getattr(client, method)(url, data, **HTMX)
    # then the account does not exist for them, and nothing changed
    assert response.status_code == 404
    assert not Interaction.objects.exists()
    assert AdvocacyEvent.objects.get() == logged_by_manager
    assert not AdvocacyEvent.objects.get().verified


def test_anonymous_is_sent_to_login_from_a_post_url(client, account):
    response = client.post(log_url(account), interaction_data())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
