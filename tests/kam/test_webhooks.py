"""Webhooks against a real HTTP receiver on 127.0.0.1: events captured by the database in the transaction that
made the change (none for a rolled-back one), signed deliveries, retries with exponential backoff, the delivery
log, replay, the API and its 400s, and a real Celery worker delivering a key-status change."""

from __future__ import annotations

import datetime
import http.server
import json
import socket
import threading
import uuid
from collections import deque

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction
from django.test import TestCase
from django.urls import reverse

from accounts.choices import KeyStatus, ScoringRunStatus
from accounts.models import Account
from kam import webhooks
from kam.celery import app
from kam.models import DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookEvent, WebhookSubscription
from kam.tasks import webhook_deliver_task, webhooks_dispatch_task
from tests.factories import AccountFactory, ScoringRunFactory, director_factory, integration_factory
from tests.http import if_match

KEY_CHANGED = WebhookEvent.ACCOUNT_KEY_STATUS_CHANGED


class Receiver:
    """An HTTP server in a thread: records every request and answers with the queued status codes (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: deque[int] = deque()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                status = receiver.statuses.popleft() if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"thanks" if status < 300 else b"try again")

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/kam"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def subscription(db, director, receiver):
    subscription, secret = webhooks.webhook_subscription_create(
        actor=director, values={"name": "ERP", "url": receiver.url, "events": [KEY_CHANGED]}
    )
    subscription.plain_secret = secret
    return subscription


def dispatched() -> list[int]:
    """Dispatch now; the ids of the deliveries it would hand to workers."""
    sent: list[int] = []
    with TestCase.captureOnCommitCallbacks(execute=True):  # the test's transaction never commits
        webhooks.webhooks_dispatch(enqueue=lambda pk, countdown: sent.append(pk))
    return sent


# --- signing --------------------------------------------------------------------------------------------------


def test_a_signature_verifies_only_with_its_secret_body_and_time():
    body = b'{"event":"account.key_status_changed"}'
    header = webhooks.webhook_signature(secret="whsec_a", timestamp=1_800_000_000, body=body)
    assert header.startswith("t=1800000000,v1=") and len(header.split("v1=")[1]) == 64
    assert webhooks.webhook_verify(secret="whsec_a", header=header, body=body, now=1_800_000_100)
    assert not webhooks.webhook_verify(secret="whsec_b", header=header, body=body, now=1_800_000_100)
    assert not webhooks.webhook_verify(secret="whsec_a", header=header, body=body + b" ", now=1_800_000_100)
    assert not webhooks.webhook_verify(secret="whsec_a", header=header, body=body, now=1_800_000_000 + 301)
    assert not webhooks.webhook_verify(secret="whsec_a", header="garbage", body=body)


# --- capture ----------------------------------------------------------------------------------------------------


def test_a_key_status_change_is_captured_with_what_changed(subscription, manager):
    account = AccountFactory(owner=manager, name="Helios Robotics", external_id="ERP-42")
    Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.KEY)
    Account.objects.filter(pk=account.pk).update(name="Helios Robotics AG")  # not a key status change
    event = OutboxEvent.objects.get()
    assert event.event == KEY_CHANGED
    assert event.payload == {
        "account": {"id": account.pk, "external_id": "ERP-42", "name": "Helios Robotics", "owner_id": manager.pk},
        "from": "standard",
        "to": "key",
    }


def test_nothing_is_captured_without_a_subscription_for_it(db, director, receiver, manager):
    webhooks.webhook_subscription_create(
        actor=director, values={"name": "Runs", "url": receiver.url, "events": ["scoring_run.finished"]}
    )
    account = AccountFactory(owner=manager)
    Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.KEY)
    assert not OutboxEvent.objects.exists()


def test_a_rolled_back_change_leaves_no_event(subscription, manager):
    account = AccountFactory(owner=manager)
    with pytest.raises(RuntimeError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.KEY)
        assert OutboxEvent.objects.count() == 1  # written in the same transaction…
        raise RuntimeError("the change fails")
    assert not OutboxEvent.objects.exists()  # …and gone with it
    assert dispatched() == []


def test_a_set_based_change_is_one_event_per_account(subscription, manager):
    accounts = [AccountFactory(owner=manager) for _ in range(5)]
    Account.objects.filter(pk__in=[a.pk for a in accounts[:3]]).update(key_status=KeyStatus.STRATEGIC)
    assert OutboxEvent.objects.count() == 3
    assert len(dispatched()) == 3
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 0
    assert dispatched() == []  # dispatched once


def test_other_events_are_captured(db, director, receiver, manager):
    webhooks.webhook_subscription_create(
        actor=director, values={"name": "All", "url": receiver.url, "events": list(WebhookEvent.values)}
    )
    run = ScoringRunFactory(status=ScoringRunStatus.RUNNING, finished_at=None)
    run.status = ScoringRunStatus.DONE
    run.save(update_fields=["status"])
    from relationships.models import LadderTransition

    account = AccountFactory(owner=manager)
    LadderTransition.objects.create(
        account=account, from_stage="prospect", to_stage="customer", rule_stage="customer", mode="automatic",
        as_of=datetime.date.today(),
    )  # fmt: skip
    kinds = sorted(OutboxEvent.objects.values_list("event", flat=True))
    assert kinds == ["ladder.stage_changed", "scoring_run.finished"]
    stage = OutboxEvent.objects.get(event="ladder.stage_changed").payload
    assert (stage["from"], stage["to"], stage["mode"]) == ("prospect", "customer", "automatic")


# --- delivery ---------------------------------------------------------------------------------------------------


def test_a_delivery_is_signed_and_logged(subscription, receiver, manager):
    account = AccountFactory(owner=manager, external_id="ERP-7")
    Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.KEY)
    [delivery_id] = dispatched()
    outcome = webhooks.webhook_deliver(delivery_id=delivery_id)
    assert (outcome.status, outcome.status_code, outcome.retry_in) == (DeliveryStatus.SUCCEEDED, 200, None)
    [request] = receiver.requests
    headers = request["headers"]
    assert webhooks.webhook_verify(
        secret=subscription.plain_secret, header=headers["Kam-Signature"], body=request["body"]
    )
    body = json.loads(request["body"])
    assert (
        body["event"] == KEY_CHANGED
        and body["data"]["to"] == "key"
        and body["data"]["account"]["external_id"] == "ERP-7"
    )
    assert headers["Kam-Event"] == KEY_CHANGED and headers["Kam-Event-Id"] == body["id"]
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert delivery.delivered_at is not None and delivery.attempts == 1
    assert [(a.status_code, a.response_body) for a in delivery.attempt_log.all()] == [(200, "thanks")]
    # delivered is delivered: a second worker does nothing
    assert webhooks.webhook_deliver(delivery_id=delivery_id) is None
    assert len(receiver.requests) == 1


def test_failures_are_retried_with_exponential_backoff(subscription, receiver, manager, settings):
    settings.KAM_WEBHOOK_RETRY_SECONDS = 30
    receiver.statuses.extend([500, 503])
    account = AccountFactory(owner=manager)
    Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.KEY)
    [delivery_id] = dispatched()
    first = webhooks.webhook_deliver(delivery_id=delivery_id)
    second = webhooks.webhook_deliver(delivery_id=delivery_id)
    third = webhooks.webhook_deliver(delivery_id=delivery_id)
    assert [(o.status, o.status_code, o.retry_in) for o in (first, second, third)] == [
        (DeliveryStatus.RETRYING, 500, 30.0),
        (DeliveryStatus.RETRYING, 503, 60.0),
        (DeliveryStatus.SUCCEEDED, 200, None),
    ]
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert [a.status_code for a in delivery.attempt_log.order_by("attempted_at", "id")] == [500, 503, 200]
    assert len({r["headers"]["Kam-Event-Id"] for r in receiver.requests}) == 1  # the same event each time


def test_a_delivery_fails_for_good_after_its_attempts_and_can_be_replayed(
    subscription, receiver, manager, settings, django_capture_on_commit_callbacks
):
    settings.KAM_WEBHOOK_MAX_ATTEMPTS = 2
    receiver.statuses.extend([500, 500])
    account = AccountFactory(owner=manager)
    Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.KEY)
    [delivery_id] = dispatched()
    webhooks.webhook_deliver(delivery_id=delivery_id)
    last = webhooks.webhook_deliver(delivery_id=delivery_id)
    assert (last.status, last.retry_in) == (DeliveryStatus.FAILED, None)
    assert webhooks.webhook_deliver(delivery_id=delivery_id) is None  # failed is final for the schedule
    # a replay sends it once more, now
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    with django_capture_on_commit_callbacks() as callbacks:
        webhooks.webhook_replay(delivery=delivery)
    assert len(callbacks) == 1
    replayed = webhooks.webhook_deliver(delivery_id=delivery_id, replay=True)
    assert (replayed.status, replayed.status_code) == (DeliveryStatus.SUCCEEDED, 200)
    assert [a.replay for a in delivery.attempt_log.order_by("attempted_at", "id")] == [False, False, True]


def test_an_unreachable_receiver_is_an_error_and_a_retry(subscription, manager):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    WebhookSubscription.objects.filter(pk=subscription.pk).update(url=f"http://127.0.0.1:{port}/gone")
    account = AccountFactory(owner=manager)
    Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.KEY)
    [delivery_id] = dispatched()
    outcome = webhooks.webhook_deliver(delivery_id=delivery_id)
    assert (outcome.status, outcome.status_code) == (DeliveryStatus.RETRYING, None)
    assert "refused" in WebhookDelivery.objects.get(pk=delivery_id).last_error.lower()


def test_a_lost_delivery_is_sent_again_by_the_dispatcher(subscription, manager):
    account = AccountFactory(owner=manager)
    Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.KEY)
    [delivery_id] = dispatched()
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        next_attempt_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10)
    )
    assert dispatched() == [delivery_id]


# --- the API ----------------------------------------------------------------------------------------------------


def test_the_api_subscribes_and_shows_the_secret_once(api, director, receiver):
    client = api(director)
    response = client.post(
        reverse("api:webhook-list"),
        {"name": "ERP", "url": receiver.url, "events": [KEY_CHANGED, "grant.status_changed"]},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["secret"].startswith("whsec_")
    pk = response.json()["id"]
    assert "secret" not in client.get(reverse("api:webhook-detail", args=[pk])).json()
    assert "secret" not in client.get(reverse("api:webhook-list")).json()["results"][0]
    rotated = client.post(reverse("api:webhook-rotate-secret", args=[pk])).json()["secret"]
    assert rotated != response.json()["secret"] and WebhookSubscription.objects.get(pk=pk).secret == rotated
    patched = client.patch(
        reverse("api:webhook-detail", args=[pk]),
        {"is_active": False},
        **if_match(client, reverse("api:webhook-detail", args=[pk])),
    )
    assert patched.status_code == 200 and patched.json()["is_active"] is False


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "", "url": "http://127.0.0.1:9/x", "events": [KEY_CHANGED]}, "name"),
        ({"name": "A", "url": "ftp://127.0.0.1/x", "events": [KEY_CHANGED]}, "url"),
        ({"name": "A", "url": "not a url", "events": [KEY_CHANGED]}, "url"),
        ({"name": "A", "url": "http://127.0.0.1:9/x", "events": []}, "events"),
        ({"name": "A", "url": "http://127.0.0.1:9/x", "events": ["account.deleted"]}, "events"),
        ({"name": "A", "url": "http://127.0.0.1:9/x"}, "events"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, director, values, field):
    response = api(director).post(reverse("api:webhook-list"), values)
    assert response.status_code == 400
    assert field in json.dumps(response.json())


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1]:8080/hooks/kam",  # an IPv6 literal, which Django's URLValidator took but the old rule did not
        "https://erp_1.example.com/hooks?event=kam#latest",  # an underscore in the host: RFC 3986 allows it
        "https://user:p%40ss@erp.example.com:8443/a/b;c",
    ],
)
def test_a_webhook_url_is_any_http_url_rfc_3986_spells(api, director, url):
    response = api(director).post(reverse("api:webhook-list"), {"name": "ERP", "url": url, "events": [KEY_CHANGED]})
    assert response.status_code == 201, response.json()
    assert response.json()["url"] == url


@pytest.mark.parametrize(
    "url", ["https://erp.example.com/a b", " https://erp.example.com/", "https://erp.example.com/\n", "HTTPS://erp"]
)
def test_a_webhook_url_is_taken_as_sent_or_refused(api, director, url):
    # the schema's pattern reads the URL as sent: no trimming, no space, the scheme in lower case
    response = api(director).post(reverse("api:webhook-list"), {"name": "ERP", "url": url, "events": [KEY_CHANGED]})
    assert response.status_code == 400 and list(response.json()) == ["url"]


def test_the_schema_states_the_webhook_url_rule_the_api_applies(api, director):
    from kam.models import WEBHOOK_URL_PATTERN

    schema = api(director).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    url = schema["components"]["schemas"]["WebhookSubscriptionRequest"]["properties"]["url"]
    assert url["pattern"] == WEBHOOK_URL_PATTERN and url["maxLength"] == 500


def test_the_delivery_log_filters_by_a_subscription_the_caller_sees(api, director, subscription, receiver):
    # given an integration's own subscription, which it sees, and the director's, which it does not
    integration = integration_factory(username="erp-hooks")
    own, _secret = webhooks.webhook_subscription_create(
        actor=integration, values={"name": "Mine", "url": receiver.url, "events": [KEY_CHANGED]}
    )
    client = api(integration)
    # when it filters by each, and by an id nobody has
    mine = client.get(reverse("api:webhook-delivery-list"), {"subscription": own.pk})
    others = client.get(reverse("api:webhook-delivery-list"), {"subscription": subscription.pk})
    unknown = client.get(reverse("api:webhook-delivery-list"), {"subscription": 10**9})
    # then its own is a list, the others a 400 naming the filter, as is an id that is not a whole number
    assert mine.status_code == 200
    assert others.status_code == unknown.status_code == 400 and list(others.json()) == ["subscription"]
    assert client.get(reverse("api:webhook-delivery-list"), {"subscription": "1.5"}).status_code == 400


@pytest.mark.parametrize("constraint", ["name", "events", "url"])
def test_the_database_refuses_what_the_api_refuses(db, director, constraint):
    from django.db import IntegrityError

    values = {"name": "A", "url": "http://127.0.0.1:9/x", "events": [KEY_CHANGED], "secret": "s"}
    values[constraint] = {"name": "", "events": [], "url": "ftp://x"}[constraint]
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookSubscription.objects.create(**values)


def test_managers_cannot_subscribe_and_see_none(api, manager, subscription):
    client = api(manager)
    response = client.post(
        reverse("api:webhook-list"), {"name": "x", "url": "http://127.0.0.1:9/", "events": [KEY_CHANGED]}
    )
    assert response.status_code == 403
    assert client.get(reverse("api:webhook-list")).json()["results"] == []
    assert client.get(reverse("api:webhook-detail", args=[subscription.pk])).status_code == 404


def test_an_integration_sees_its_own_subscriptions_only(api, subscription, receiver):
    erp = integration_factory(username="erp2")
    client = api(erp)
    assert client.get(reverse("api:webhook-detail", args=[subscription.pk])).status_code == 404
    created = client.post(reverse("api:webhook-list"), {"name": "Mine", "url": receiver.url, "events": [KEY_CHANGED]})
    assert created.status_code == 201
    assert [row["name"] for row in client.get(reverse("api:webhook-list")).json()["results"]] == ["Mine"]
    other = director_factory(username="dora")
    assert {row["name"] for row in api(other).get(reverse("api:webhook-list")).json()["results"]} == {"ERP", "Mine"}


def test_the_delivery_log_and_replay_through_the_api(api, director, manager, subscription, receiver):
    receiver.statuses.append(500)
    account = AccountFactory(owner=manager)
    Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.KEY)
    [delivery_id] = dispatched()
    webhooks.webhook_deliver(delivery_id=delivery_id)
    client = api(director)
    log = client.get(reverse("api:webhook-delivery-list"), {"subscription": subscription.pk}).json()["results"]
    assert [(d["status"], d["last_status_code"], d["event"]) for d in log] == [("retrying", 500, KEY_CHANGED)]
    assert log[0]["attempt_log"][0]["status_code"] == 500
    assert client.get(reverse("api:webhook-delivery-list"), {"status": "bogus"}).status_code == 400
    replay = client.post(reverse("api:webhook-delivery-replay", args=[delivery_id]))
    assert replay.status_code == 202
    assert api(manager).post(reverse("api:webhook-delivery-replay", args=[delivery_id])).status_code == 404


# --- for real: a Celery worker on the real Redis, a committed change -----------------------------------------------


@pytest.fixture
def webhook_worker(transactional_db, monkeypatch):
    queue = f"test-webhooks-{uuid.uuid4().hex}"
    monkeypatch.setattr(app.amqp.queues, "_consume_from", app.amqp.queues._consume_from)
    monkeypatch.setattr(
        webhooks,
        "_enqueue",
        lambda pk, countdown, attempt=None: webhook_deliver_task.apply_async(
            (pk,), {} if attempt is None else {"attempt": attempt}, countdown=countdown, queue=queue
        ),
    )
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[queue]):
            yield queue
    finally:
        app.amqp.queues.pop(queue, None)


@pytest.mark.django_db(transaction=True)
def test_an_integration_receives_a_signed_webhook_when_an_account_becomes_key(webhook_worker, receiver):
    director = director_factory(username="dina")
    _subscription, secret = webhooks.webhook_subscription_create(
        actor=director, values={"name": "ERP", "url": receiver.url, "events": [KEY_CHANGED]}
    )
    account = AccountFactory(name="Helios Robotics", external_id="ERP-1")
    with transaction.atomic():
        Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.KEY)
    result = webhooks_dispatch_task.apply_async(queue=webhook_worker, ignore_result=False).get(timeout=30)
    assert result["deliveries"] == 1
    delivery = WebhookDelivery.objects.get()
    for _ in range(100):
        delivery.refresh_from_db()
        if delivery.status == DeliveryStatus.SUCCEEDED:
            break
        threading.Event().wait(0.1)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    [request] = receiver.requests
    assert webhooks.webhook_verify(secret=secret, header=request["headers"]["Kam-Signature"], body=request["body"])
    assert json.loads(request["body"])["data"]["account"]["name"] == "Helios Robotics"


# --- the pages ----------------------------------------------------------------------------------------------------


def test_a_director_subscribes_on_the_page_and_sees_the_secret_once(client, director, receiver):
    client.force_login(director)
    response = client.post(
        reverse("webhooks:list"), {"name": "ERP", "url": receiver.url, "events": [KEY_CHANGED], "is_active": "on"}
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret in response.content.decode()
    page = client.get(reverse("webhooks:list")).content.decode()
    assert "ERP" in page and subscription.secret not in page


def test_the_page_refuses_bad_input_naming_the_field(client, director):
    client.force_login(director)
    response = client.post(reverse("webhooks:list"), {"name": "ERP", "url": "ftp://x/y", "events": []})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"url", "events"}
    assert not WebhookSubscription.objects.exists()


def test_the_detail_page_lists_deliveries_and_replays(client, director, manager, subscription, receiver):
    receiver.statuses.append(500)
    account = AccountFactory(owner=manager)
    Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.KEY)
    [delivery_id] = dispatched()
    webhooks.webhook_deliver(delivery_id=delivery_id)
    client.force_login(director)
    page = client.get(reverse("webhooks:detail", args=[subscription.pk]))
    assert page.status_code == 200 and b"Retrying" in page.content and b"500" in page.content
    response = client.post(reverse("webhooks:replay", args=[delivery_id]))
    assert response.status_code == 302
    paused = client.post(reverse("webhooks:action", args=[subscription.pk, "pause"]))
    assert paused.status_code == 302 and not WebhookSubscription.objects.get().is_active


def test_managers_and_outsiders_do_not_reach_the_pages(client, manager, subscription):
    client.force_login(manager)
    assert client.get(reverse("webhooks:list")).status_code == 403
    # a subscription, its actions and its deliveries are nobody else's business: 404, as in the API
    assert client.get(reverse("webhooks:detail", args=[subscription.pk])).status_code == 404
    assert client.post(reverse("webhooks:action", args=[subscription.pk, "delete"])).status_code == 404
    assert WebhookSubscription.objects.filter(pk=subscription.pk).exists()
    other = director_factory(username="dora")
    client.force_login(other)
    assert client.get(reverse("webhooks:detail", args=[subscription.pk + 999])).status_code == 404


def test_only_who_sees_every_account_subscribes(manager, receiver):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        webhooks.webhook_subscription_create(
            actor=manager, values={"name": "Mine", "url": receiver.url, "events": [KEY_CHANGED]}
        )
    assert not WebhookSubscription.objects.exists()


def _deliveries(subscription, manager, count):
    for _ in range(count):
        account = AccountFactory(owner=manager)
        Account.objects.filter(pk=account.pk).update(key_status=KeyStatus.KEY)
    for delivery_id in dispatched():
        webhooks.webhook_deliver(delivery_id=delivery_id)


def test_the_delivery_log_takes_the_same_queries_for_more_rows(api, client, director, manager, subscription):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(director)
    api_client = api(director)
    api_client.get(reverse("api:webhook-delivery-list"))  # the token's first use writes its last-used time
    counts = []
    for more in (2, 6):
        _deliveries(subscription, manager, more)
        with CaptureQueriesContext(connection) as listed:
            assert api_client.get(reverse("api:webhook-delivery-list")).status_code == 200
        with CaptureQueriesContext(connection) as paged:
            assert client.get(reverse("webhooks:detail", args=[subscription.pk])).status_code == 200
        with CaptureQueriesContext(connection) as subscriptions:
            assert client.get(reverse("webhooks:list")).status_code == 200
        counts.append((len(listed), len(paged), len(subscriptions)))
    assert counts[0] == counts[1]
    assert WebhookDelivery.objects.count() == 8
