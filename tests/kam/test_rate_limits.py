"""API rate limits (kam/api/throttling.py) against the real Redis of REDIS_URL: per token (else user, else client
address), reads and writes apart, the RateLimit-* headers, 429 with Retry-After and the usual error body, the
window closing, failing open when Redis is gone, and the documented defaults."""

from __future__ import annotations

import logging
import math
import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import yaml
from rest_framework.test import APIClient

from accounts.models import Contact
from kam.api import throttling
from kam.api_tokens import api_token_create
from kam.models import ApiToken

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = "/api/v1/accounts/"
CONTACTS = "/api/v1/contacts/"
READS, WRITES = 5, 3


class Limits:
    """Low limits under a key prefix of this test's own, with a client of the same Redis to look at the keys."""

    def __init__(self, settings) -> None:
        self.prefix = f"kam:test:ratelimit:{uuid.uuid4().hex}"
        self.redis = redis.Redis.from_url(settings.REDIS_URL)
        settings.KAM_API_RATE_KEY_PREFIX = self.prefix
        settings.KAM_API_RATE_READS_PER_MINUTE = READS
        settings.KAM_API_RATE_WRITES_PER_MINUTE = WRITES

    def key(self, kind: str, who: str) -> str:
        return f"{self.prefix}:{kind}:{who}"

    def stored(self) -> list[str]:
        return sorted(key.decode() for key in self.redis.scan_iter(f"{self.prefix}:*"))


@pytest.fixture
def limits(settings):
    limits = Limits(settings)
    yield limits
    leftovers = limits.stored()
    if leftovers:
        limits.redis.delete(*leftovers)
    limits.redis.close()


def token_client(user, name: str = "tests") -> tuple[APIClient, ApiToken]:
    token, key = api_token_create(user=user, name=name)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, token


def new_contact(client: APIClient, account, n: int):
    return client.post(CONTACTS, {"account": account.pk, "name": f"Buyer {n}"}, format="json")


def rate_headers(response) -> tuple[int, int, int]:
    return (
        int(response["RateLimit-Limit"]),
        int(response["RateLimit-Remaining"]),
        int(response["RateLimit-Reset"]),
    )


def test_every_response_carries_the_headers_counting_down(limits, manager, account):
    client, _token = token_client(manager)
    seen = []
    for _ in range(3):
        response = client.get(ACCOUNTS)
        assert response.status_code == 200
        limit, remaining, reset = rate_headers(response)
        assert limit == READS and 1 <= reset <= 60
        assert response["RateLimit-Policy"] == f"{READS};w=60"
        seen.append(remaining)
    assert seen == [4, 3, 2]


def test_the_fourth_write_in_a_minute_is_a_429_with_retry_after_and_the_error_body(limits, manager, account):
    # given a token that made its three writes of the minute
    client, _token = token_client(manager)
    remaining = []
    for n in range(WRITES):
        response = new_contact(client, account, n)
        assert response.status_code == 201
        remaining.append(int(response["RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    # when it writes again
    refused = new_contact(client, account, 99)
    # then it is refused before anything is written, and told how long to wait
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 60
    assert refused.json() == {
        "detail": f"Too many writes: the limit is 3 per minute for each API token. Expected available in {wait} "
        f"second{'s' if wait != 1 else ''}.",
        "code": "throttled",
    }
    assert rate_headers(refused) == (WRITES, 0, wait)
    assert Contact.objects.filter(account=account).count() == WRITES


def test_reads_and_writes_are_counted_apart(limits, manager, account):
    client, token = token_client(manager)
    for n in range(WRITES):
        new_contact(client, account, n)
    assert new_contact(client, account, 99).status_code == 429
    # reads still have their whole budget; OPTIONS and HEAD are reads
    assert int(client.get(ACCOUNTS)["RateLimit-Remaining"]) == READS - 1
    assert int(client.options(ACCOUNTS)["RateLimit-Remaining"]) == READS - 2
    assert int(client.head(ACCOUNTS)["RateLimit-Remaining"]) == READS - 3
    for _ in range(2):
        assert client.get(ACCOUNTS).status_code == 200
    assert client.get(ACCOUNTS).status_code == 429
    assert limits.redis.get(limits.key("read", f"token:{token.pk}")) == b"6"


def test_limits_are_per_token(limits, manager, outsider, account, outsider_account):
    # given a token of the manager that used up its writes
    spent, _spent_token = token_client(manager, "script")
    for n in range(WRITES):
        new_contact(spent, account, n)
    assert new_contact(spent, account, 98).status_code == 429
    # then another user's token, the manager's other token and the manager's browser session are not affected
    others, _ = token_client(outsider)
    assert new_contact(others, outsider_account, 1).status_code == 201
    second, _ = token_client(manager, "laptop")
    response = new_contact(second, account, 2)
    assert response.status_code == 201 and int(response["RateLimit-Remaining"]) == WRITES - 1
    browser = APIClient()
    browser.force_login(manager)
    response = browser.get(ACCOUNTS)
    assert response.status_code == 200 and int(response["RateLimit-Remaining"]) == READS - 1
    assert limits.key("read", f"user:{manager.pk}") in limits.stored()


def test_the_window_closes_and_the_count_starts_again(limits, manager, account):
    # given a token refused for the rest of its window
    client, token = token_client(manager)
    for n in range(WRITES):
        new_contact(client, account, n)
    refused = new_contact(client, account, 99)
    assert refused.status_code == 429
    key = limits.key("write", f"token:{token.pk}")
    ttl_ms = limits.redis.pttl(key)
    # the counter expires with its window, and the headers say when
    assert 0 < ttl_ms <= 60_000
    assert int(refused["Retry-After"]) == int(refused["RateLimit-Reset"]) >= math.ceil(ttl_ms / 1000)
    # when the window ends (its last millisecond, rather than a minute's sleep)
    limits.redis.pexpire(key, 1)
    time.sleep(0.01)
    # then the token writes again with a fresh budget
    response = new_contact(client, account, 100)
    assert response.status_code == 201
    assert rate_headers(response)[:2] == (WRITES, WRITES - 1)
    assert 50_000 < limits.redis.pttl(key) <= 60_000


def test_a_request_does_not_extend_the_window(limits, manager, account):
    client, token = token_client(manager)
    client.get(ACCOUNTS)
    key = limits.key("read", f"token:{token.pk}")
    limits.redis.pexpire(key, 5_000)
    response = client.get(ACCOUNTS)
    assert 0 < limits.redis.pttl(key) <= 5_000
    assert int(response["RateLimit-Reset"]) <= 5


def test_requests_refused_before_the_view_count_too(limits, manager, account):
    # a permission class refuses the manager's bulk write (403) before DRF asks the throttle: still counted
    client, _token = token_client(manager)
    for left in (2, 1, 0):
        response = client.post("/api/v1/orders/bulk/", [], format="json")
        assert response.status_code == 403
        assert int(response["RateLimit-Remaining"]) == left
    response = client.post("/api/v1/orders/bulk/", [], format="json")
    assert response.status_code == 429 and response.json()["code"] == "throttled"


def test_bad_credentials_are_limited_per_client_address(limits):
    guesser = APIClient(REMOTE_ADDR="203.0.113.7")
    guesser.credentials(HTTP_AUTHORIZATION="Token kam_guess")
    for left in range(READS - 1, -1, -1):
        response = guesser.get(ACCOUNTS)
        assert response.status_code == 401
        assert int(response["RateLimit-Remaining"]) == left
    refused = guesser.get(ACCOUNTS)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Too many reads: the limit is 5 per minute for each client address.")
    # another address is not affected
    assert APIClient(REMOTE_ADDR="203.0.113.8").get(ACCOUNTS).status_code == 401
    assert limits.key("read", "ip:203.0.113.7") in limits.stored()


def test_views_outside_the_viewsets_are_limited(limits, integration, account):
    client, _token = token_client(integration)
    score = client.get(f"/api/v1/accounts/{account.pk}/score/")
    assert score.status_code == 404 and int(score["RateLimit-Remaining"]) == READS - 1
    for _ in range(WRITES):
        assert client.post("/api/v1/orders/bulk/", [], format="json").status_code in (200, 400)
    assert client.post("/api/v1/orders/bulk/", [], format="json").status_code == 429


def test_the_public_docs_are_limited_per_client_address(limits):
    visitor = APIClient(REMOTE_ADDR="198.51.100.1")
    for _ in range(READS):
        assert visitor.get("/api/docs/").status_code == 200
    refused = visitor.get("/api/docs/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert APIClient(REMOTE_ADDR="198.51.100.2").get("/api/docs/").status_code == 200


def test_a_limit_of_zero_turns_that_limit_off(limits, settings, manager, account):
    settings.KAM_API_RATE_WRITES_PER_MINUTE = 0
    client, token = token_client(manager)
    for n in range(WRITES + 2):
        response = new_contact(client, account, n)
        assert response.status_code == 201
        assert "RateLimit-Limit" not in response
    assert limits.stored() == []
    # reads keep theirs
    assert int(client.get(ACCOUNTS)["RateLimit-Remaining"]) == READS - 1
    assert limits.stored() == [limits.key("read", f"token:{token.pk}")]


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_redis_requests_go_through_unlimited_with_one_warning(limits, settings, manager, account, caplog):
    # given the limiter's Redis is gone (nothing listens on the port) and a limit of one write
    settings.KAM_API_RATE_REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.KAM_API_RATE_WRITES_PER_MINUTE = 1
    client, _token = token_client(manager)
    # when the token writes three times
    with caplog.at_level(logging.WARNING, logger="kam.api.throttling"):
        responses = [new_contact(client, account, n) for n in range(3)]
    # then every write is made, without headers, and the outage is logged once, not once per request
    assert [response.status_code for response in responses] == [201, 201, 201]
    assert all("RateLimit-Limit" not in response for response in responses)
    warnings = [record for record in caplog.records if record.name == "kam.api.throttling"]
    assert len(warnings) == 1 and "Redis cannot be reached" in warnings[0].getMessage()
    assert limits.stored() == []


def test_concurrent_requests_never_get_past_the_limit(limits):
    # twenty workers counting at once against one counter with a limit of ten: exactly ten get through
    key = limits.key("write", "token:concurrent")

    def hit(_n: int) -> bool:
        state = throttling.rate_limit_hit(key=key, limit=10, kind="write", scope="API token")
        assert state is not None
        return state.allowed

    with ThreadPoolExecutor(max_workers=8) as pool:
        allowed = list(pool.map(hit, range(20)))
    assert allowed.count(True) == 10
    assert limits.redis.get(key) == b"20"


def test_the_schema_documents_429_and_the_headers(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    assert set(schema["components"]["headers"]) == {
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "RateLimit-Policy",
        "Retry-After",
    }
    for path in ("/api/v1/accounts/", "/api/v1/orders/bulk/", "/api/v1/accounts/{id}/score/"):
        for operation in schema["paths"][path].values():
            responses = operation["responses"]
            assert "429" in responses, path
            assert responses["429"]["headers"]["Retry-After"] == {"$ref": "#/components/headers/Retry-After"}
            for response in responses.values():
                assert "RateLimit-Remaining" in response["headers"], path


def _settings_in_a_fresh_process(**env: str) -> subprocess.CompletedProcess:
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("KAM_API_RATE_")},
        "DJANGO_SETTINGS_MODULE": "kam.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "kam.example.com",
        **env,
    }
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.KAM_API_RATE_READS_PER_MINUTE, settings.KAM_API_RATE_WRITES_PER_MINUTE, "
        "settings.REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_the_documented_defaults_are_600_reads_and_120_writes():
    result = _settings_in_a_fresh_process()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["600", "120"]
    assert "kam.api.throttling.ApiRateThrottle" in result.stdout


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("KAM_API_RATE_READS_PER_MINUTE", "lots", "not a whole number"),
        ("KAM_API_RATE_WRITES_PER_MINUTE", "-1", "too small"),
    ],
)
def test_a_malformed_limit_stops_start_up_naming_the_variable(name, value, said):
    result = _settings_in_a_fresh_process(**{name: value})
    assert result.returncode != 0
    assert name in result.stderr and said in result.stderr


def test_limits_come_from_the_environment():
    result = _settings_in_a_fresh_process(KAM_API_RATE_READS_PER_MINUTE="1000", KAM_API_RATE_WRITES_PER_MINUTE="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["1000", "0"]
