"""Safe writes (issue 8): ETags on what the API shows of one object, If-Match on PATCH/PUT/DELETE (412 stale,
428 missing), Idempotency-Key on POST (a retry gets the first answer; nothing is created twice)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.choices import KeyStatus
from accounts.models import Account, Contact, ImportJob, Order
from benefits.models import BenefitBudget, BenefitType
from kam.api.safe_writes import SafeWritesMixin, idempotency_purge
from kam.api_tokens import api_token_create, api_token_revoke
from kam.models import IdempotencyRecord, WebhookSubscription
from kam.webhooks import webhook_subscription_create
from relationships.models import AccountPlan, Interaction
from tests.benefits.factories import BenefitBudgetFactory, catalog, default_catalog_ensure
from tests.factories import (
    AccountPlanFactory,
    ContactFactory,
    InteractionFactory,
    InvoiceFactory,
    OrderFactory,
)

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/accounts/"
CONTACTS = "/api/v1/contacts/"


def contact_payload(account, **extra):
    return {"account": account.pk, "name": "Ada Lovelace", **extra}


# --- ETag and If-None-Match ---------------------------------------------------------------------------------


def test_a_detail_carries_an_etag_that_changes_with_the_object(api, manager, account):
    client = api(manager)
    first = client.get(f"{ACCOUNTS}{account.pk}/")
    assert first.status_code == 200 and first["ETag"].startswith('"') and first["ETag"].endswith('"')
    # the same state, the same tag
    assert client.get(f"{ACCOUNTS}{account.pk}/")["ETag"] == first["ETag"]
    Account.objects.filter(pk=account.pk).update(industry="Shipping")
    assert client.get(f"{ACCOUNTS}{account.pk}/")["ETag"] != first["ETag"]


def test_if_none_match_answers_304_while_nothing_changed(api, manager, account):
    client = api(manager)
    tag = client.get(f"{ACCOUNTS}{account.pk}/")["ETag"]
    unchanged = client.get(f"{ACCOUNTS}{account.pk}/", HTTP_IF_NONE_MATCH=tag)
    assert unchanged.status_code == 304 and unchanged["ETag"] == tag and unchanged.content == b""
    Account.objects.filter(pk=account.pk).update(industry="Shipping")
    changed = client.get(f"{ACCOUNTS}{account.pk}/", HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200 and changed.json()["industry"] == "Shipping"


def test_lists_carry_no_etag(api, manager, account):
    assert not api(manager).get(ACCOUNTS).has_header("ETag")


# --- If-Match -------------------------------------------------------------------------------------------------


def test_a_write_without_if_match_is_a_428_and_changes_nothing(api, manager, account):
    response = api(manager).patch(f"{ACCOUNTS}{account.pk}/", {"industry": "Banking"}, format="json")
    assert response.status_code == 428
    assert response.json()["code"] == "precondition_required" and "If-Match" in response.json()["detail"]
    account.refresh_from_db()
    assert account.industry != "Banking"
    assert api(manager).delete(f"{CONTACTS}{ContactFactory(account=account).pk}/").status_code == 428


def test_a_stale_if_match_is_a_412_and_changes_nothing(api, manager, account):
    # given two people who read the same account
    mine, theirs = api(manager), api(manager)
    tag = mine.get(f"{ACCOUNTS}{account.pk}/")["ETag"]
    assert theirs.get(f"{ACCOUNTS}{account.pk}/")["ETag"] == tag
    # when the first saves a change
    first = theirs.patch(f"{ACCOUNTS}{account.pk}/", {"industry": "Shipping"}, format="json", HTTP_IF_MATCH=tag)
    assert first.status_code == 200
    # then the second's change, made from the older state, is refused rather than overwriting it
    second = mine.patch(f"{ACCOUNTS}{account.pk}/", {"industry": "Banking"}, format="json", HTTP_IF_MATCH=tag)
    assert second.status_code == 412 and second.json()["code"] == "precondition_failed"
    account.refresh_from_db()
    assert account.industry == "Shipping"
    # and with the new tag it goes through
    fresh = mine.get(f"{ACCOUNTS}{account.pk}/")["ETag"]
    again = mine.patch(f"{ACCOUNTS}{account.pk}/", {"industry": "Banking"}, format="json", HTTP_IF_MATCH=fresh)
    assert again.status_code == 200 and again.json()["industry"] == "Banking"


def test_the_answer_to_a_write_carries_the_new_etag(api, manager, account):
    client = api(manager)
    tag = client.get(f"{ACCOUNTS}{account.pk}/")["ETag"]
    changed = client.patch(f"{ACCOUNTS}{account.pk}/", {"industry": "Rail"}, format="json", HTTP_IF_MATCH=tag)
    assert changed["ETag"] != tag
    assert changed["ETag"] == client.get(f"{ACCOUNTS}{account.pk}/")["ETag"]
    # so a second change needs no GET in between
    second = client.patch(f"{ACCOUNTS}{account.pk}/", {"industry": "Air"}, format="json", HTTP_IF_MATCH=changed["ETag"])
    assert second.status_code == 200


def test_a_stale_delete_is_a_412_and_deletes_nothing(api, director, account):
    contact = ContactFactory(account=account)
    client = api(director)
    tag = client.get(f"{CONTACTS}{contact.pk}/")["ETag"]
    Contact.objects.filter(pk=contact.pk).update(job_title="CFO")
    assert client.delete(f"{CONTACTS}{contact.pk}/", HTTP_IF_MATCH=tag).status_code == 412
    assert Contact.objects.filter(pk=contact.pk).exists()
    fresh = client.get(f"{CONTACTS}{contact.pk}/")["ETag"]
    assert client.delete(f"{CONTACTS}{contact.pk}/", HTTP_IF_MATCH=fresh).status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_if_match_star_and_a_list_of_tags(api, manager, account):
    client = api(manager)
    assert (
        client.patch(f"{ACCOUNTS}{account.pk}/", {"industry": "A"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    )
    tag = client.get(f"{ACCOUNTS}{account.pk}/")["ETag"]
    listed = client.patch(f"{ACCOUNTS}{account.pk}/", {"industry": "B"}, format="json", HTTP_IF_MATCH=f'"0000", {tag}')
    assert listed.status_code == 200
    # a weak tag never matches (If-Match compares strongly), nor does garbage
    for header in (f"W/{tag}", "not-a-tag"):
        assert (
            client.patch(f"{ACCOUNTS}{account.pk}/", {"industry": "C"}, format="json", HTTP_IF_MATCH=header).status_code
            == 412
        )


def test_the_precondition_comes_before_the_content(api, manager, account):
    # a stale tag and a bad body: the request is stale whatever its body
    tag = '"deadbeef"'
    response = api(manager).patch(f"{ACCOUNTS}{account.pk}/", {"country": "Germany"}, format="json", HTTP_IF_MATCH=tag)
    assert response.status_code == 412


def test_an_outsider_gets_404_not_428(api, outsider, account):
    # visibility comes first: a missing If-Match does not reveal that the object exists
    client = api(outsider)
    assert client.patch(f"{ACCOUNTS}{account.pk}/", {"industry": "X"}, format="json").status_code == 404
    assert client.delete(f"{ACCOUNTS}{account.pk}/").status_code == 404
    assert client.patch(f"{ACCOUNTS}{account.pk}/", {}, format="json", HTTP_IF_MATCH="*").status_code == 404


def test_if_match_can_be_made_optional(api, manager, account, settings):
    settings.KAM_API_REQUIRE_IF_MATCH = False
    client = api(manager)
    assert client.patch(f"{ACCOUNTS}{account.pk}/", {"industry": "A"}, format="json").status_code == 200
    # a stale one is still refused
    assert (
        client.patch(f"{ACCOUNTS}{account.pk}/", {"industry": "B"}, format="json", HTTP_IF_MATCH='"0"').status_code
        == 412
    )


def _detail_objects(account, director):
    default_catalog_ensure()
    plan = AccountPlanFactory(account=account)
    webhook, _secret = webhook_subscription_create(
        actor=director,
        values={"name": "ERP", "url": "https://erp.example.test/hook", "events": ["scoring_run.finished"]},
    )
    return {
        "accounts": (account, Account),
        "contacts": (ContactFactory(account=account), Contact),
        "orders": (OrderFactory(account=account), Order),
        "invoices": (InvoiceFactory(account=account), None),
        "interactions": (InteractionFactory(account=account), Interaction),
        "account-plans": (plan, AccountPlan),
        "benefit-types": (BenefitType.objects.first(), BenefitType),
        "benefit-budgets": (BenefitBudgetFactory(), BenefitBudget),
        "webhooks": (webhook, WebhookSubscription),
    }


def test_the_tag_of_a_get_lets_every_kind_of_object_be_changed(api, director, account):
    # the precondition compares against the very representation a GET shows (selectors' annotations included)
    client = api(director)
    for resource, (obj, _model) in _detail_objects(account, director).items():
        url = f"/api/v1/{resource}/{obj.pk}/"
        shown = client.get(url)
        assert shown.status_code == 200 and shown.has_header("ETag"), resource
        changed = client.patch(url, {}, format="json", HTTP_IF_MATCH=shown["ETag"])
        assert changed.status_code == 200, (resource, changed.json())
        assert client.patch(url, {}, format="json", HTTP_IF_MATCH='"stale"').status_code == 412, resource
        assert client.patch(url, {}, format="json").status_code == 428, resource


def test_every_api_view_has_safe_writes():
    """A new API view without the mixin fails here (and would answer writes without ETags or idempotency)."""

    def views(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    missing = []
    for route, callback in views(get_resolver()):
        if not route.startswith("api/v1/") or not hasattr(callback, "cls"):
            continue
        if callback.cls.__name__ == "APIRootView":
            continue
        if not issubclass(callback.cls, SafeWritesMixin):
            missing.append(route)
    assert missing == []


def test_the_schema_documents_safe_writes(api, director):
    schema = api(director).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            if method in {"patch", "put", "delete"}:
                assert "If-Match" in headers and {"412", "428"} <= set(operation["responses"]), (method, path)
            if method == "post":
                assert "Idempotency-Key" in headers and "422" in operation["responses"], (method, path)
            if method == "get" and "{" in path:
                assert "ETag" in operation["responses"]["200"]["headers"], path


# --- Idempotency-Key ------------------------------------------------------------------------------------------


def test_a_retried_post_gets_the_first_answer_and_creates_once(api, manager, account):
    client = api(manager)
    first = client.post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and not first.has_header("Idempotent-Replayed")
    retry = client.post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert retry.status_code == 201 and retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert Contact.objects.filter(account=account, name="Ada Lovelace").count() == 1
    # another key is another request
    other = client.post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    # without a key each POST acts
    assert client.post(CONTACTS, contact_payload(account), format="json").status_code == 201
    assert Contact.objects.filter(account=account, name="Ada Lovelace").count() == 3


def test_the_same_key_with_another_body_is_a_422(api, manager, account):
    client = api(manager)
    client.post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    reused = client.post(
        CONTACTS, contact_payload(account, name="Grace Hopper"), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert not Contact.objects.filter(name="Grace Hopper").exists()


def test_keys_belong_to_their_user(api, manager, director, account):
    api(manager).post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    theirs = api(director).post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert theirs.status_code == 201 and not theirs.has_header("Idempotent-Replayed")
    assert Contact.objects.filter(name="Ada Lovelace").count() == 2


def test_a_refused_request_spends_no_key(api, manager, account):
    client = api(manager)
    bad = client.post(CONTACTS, contact_payload(account, email="not-an-email"), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400 and "email" in bad.json()
    assert not IdempotencyRecord.objects.exists()
    corrected = client.post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert corrected.status_code == 201 and not corrected.has_header("Idempotent-Replayed")


def test_a_bad_key_is_a_400_naming_the_header(api, manager, account):
    client = api(manager)
    for key in ("x" * 256, "has space", "é"):
        response = client.post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert response.status_code == 400 and "Idempotency-Key" in response.json(), key
    assert not Contact.objects.filter(name="Ada Lovelace").exists()


def test_a_replay_still_needs_valid_credentials(manager, account):
    token, key = api_token_create(user=manager, name="erp")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    api_token_revoke(token=token)
    assert client.post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 401


def test_keys_expire(api, manager, account, settings):
    client = api(manager)
    client.post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY="k")
    IdempotencyRecord.objects.update(
        created_at=timezone.now() - timedelta(hours=settings.KAM_IDEMPOTENCY_KEY_HOURS + 1)
    )
    # an expired key is a new request
    again = client.post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 201 and not again.has_header("Idempotent-Replayed")
    assert Contact.objects.filter(name="Ada Lovelace").count() == 2
    # and the hourly purge forgets what is past its time
    IdempotencyRecord.objects.update(
        created_at=timezone.now() - timedelta(hours=settings.KAM_IDEMPOTENCY_KEY_HOURS + 1)
    )
    client.post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY="fresh")
    assert idempotency_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


def test_a_retried_bulk_push_and_action_are_not_done_twice(api, integration, director, manager, account):
    client = api(integration)
    batch = [
        {
            "account_external_id": account.external_id,
            "external_id": "SO-1",
            "order_date": "2026-11-02",
            "net_amount": "100.00",
            "status": "fulfilled",
        }
    ]
    first = client.post("/api/v1/orders/bulk/", batch, format="json", HTTP_IDEMPOTENCY_KEY="push-1")
    retry = client.post("/api/v1/orders/bulk/", batch, format="json", HTTP_IDEMPOTENCY_KEY="push-1")
    assert first.status_code == retry.status_code == 200, first.json()
    assert first.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert retry.json() == first.json() and retry["Idempotent-Replayed"] == "true"
    assert Order.objects.filter(external_id="SO-1").count() == 1
    # a decision retried is not taken twice: the replay shows the first answer, not a 400 "already decided"
    Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.KEY)
    BenefitBudgetFactory()
    today = timezone.localdate()
    grant = api(manager).post(
        "/api/v1/grants/",
        {
            "account": account.pk,
            "benefit_type": catalog("volume_discount").pk,
            "value": "5.00",
            "valid_from": today.isoformat(),
            "valid_to": (today + timedelta(days=89)).isoformat(),
            "estimated_annual_cost": "3650.00",
            "justification": "Consolidating their volume with us next year.",
        },
        format="json",
    )
    assert grant.status_code == 201, grant.json()
    approve = f"/api/v1/grants/{grant.json()['id']}/approve/"
    decider = api(director)
    first = decider.post(approve, {"note": "Yes."}, format="json", HTTP_IDEMPOTENCY_KEY="decide-1")
    retry = decider.post(approve, {"note": "Yes."}, format="json", HTTP_IDEMPOTENCY_KEY="decide-1")
    assert first.status_code == retry.status_code == 200 and retry.json() == first.json()
    assert decider.post(approve, {"note": "Yes."}, format="json").status_code == 400  # without the key: decided


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else the transaction sees its first snapshot only
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def _until(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_once(manager, account):
    """Two copies of one request at the same moment (a client that timed out and retried while the first was
    still being written): the second waits for the first's key and answers with its result."""
    _token, key = api_token_create(user=manager, name="erp")
    answers: dict[str, object] = {}

    def send(name: str) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        try:
            answers[name] = client.post(CONTACTS, contact_payload(account), format="json", HTTP_IDEMPOTENCY_KEY="k")
        finally:
            connection.close()

    first, retry = threading.Thread(target=send, args=("first",)), threading.Thread(target=send, args=("retry",))
    with transaction.atomic():
        # hold the first request in the middle of its work: writing its contact waits on this lock
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE accounts_contact IN SHARE ROW EXCLUSIVE MODE")
        first.start()
        _until(lambda: _waiting_on_locks() >= 1)
        # the retry arrives while the first is still running: it must wait for the first's key, not act
        retry.start()
        _until(lambda: _waiting_on_locks() >= 2 or not retry.is_alive())
    first.join(30)
    retry.join(30)
    assert answers["first"].status_code == 201, answers["first"].json()
    assert answers["retry"].status_code == 201, answers["retry"].content
    assert answers["retry"]["Idempotent-Replayed"] == "true"
    assert answers["retry"].json() == answers["first"].json()
    assert Contact.objects.filter(name="Ada Lovelace").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_writers_with_the_same_tag_at_the_same_moment_one_wins(manager, account):
    """Both read the account, both send a change with that tag at once: one is written, the other is a 412 (the
    check and the write hold the row, so the second checks against the first's result)."""
    _token, key = api_token_create(user=manager, name="erp")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    tag = client.get(f"{ACCOUNTS}{account.pk}/")["ETag"]
    answers: dict[str, object] = {}

    def send(industry: str) -> None:
        writer = APIClient()
        writer.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        try:
            answers[industry] = writer.patch(
                f"{ACCOUNTS}{account.pk}/", {"industry": industry}, format="json", HTTP_IF_MATCH=tag
            )
        finally:
            connection.close()

    writers = [threading.Thread(target=send, args=(industry,)) for industry in ("Rail", "Air")]
    with transaction.atomic():
        # someone else holds the account row a moment (a scoring run writing its status): both writers queue up
        list(Account.objects.select_for_update().filter(pk=account.pk).values_list("pk"))
        for writer in writers:
            writer.start()
        _until(lambda: _waiting_on_locks() >= 2)
    for writer in writers:
        writer.join(30)
    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [200, 412], {name: answer.content for name, answer in answers.items()}
    winner = next(name for name, answer in answers.items() if answer.status_code == 200)
    account.refresh_from_db()
    assert account.industry == winner


def test_a_retried_upload_queues_one_import(api, integration, account):
    # the fingerprint of a file upload is its fields and contents (each sending has its own part boundary)
    client = api(integration)
    text = "account_external_id,external_id,order_date,net_amount,status\nERP-ACME,SO-9,2025-03-01,10.00,fulfilled\n"

    def send(body: str):
        file = SimpleUploadedFile("orders.csv", body.encode(), content_type="text/csv")
        return client.post(
            "/api/v1/imports/", {"kind": "orders", "file": file}, format="multipart", HTTP_IDEMPOTENCY_KEY="upload-1"
        )

    first, retry = send(text), send(text)
    assert first.status_code == retry.status_code == 201, first.json()
    assert retry["Idempotent-Replayed"] == "true" and retry.json()["id"] == first.json()["id"]
    assert retry["Location"] == first["Location"]
    assert ImportJob.objects.count() == 1
    assert send(text.replace("10.00", "11.00")).status_code == 422
