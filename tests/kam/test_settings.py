"""Settings come from the environment in one place and fail loudly (STYLE rule 7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from kam.settings import environment

ROOT = Path(__file__).resolve().parents[2]


def _check_production(**overrides: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kam.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "kam.example.com",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_starts_with_its_variables():
    result = _check_production()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_without(missing):
    result = _check_production(**{missing: None})
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_malformed_values_fail_loudly(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG"):
        environment.env_bool("DJANGO_DEBUG", False)
    monkeypatch.setenv("DJANGO_CONN_MAX_AGE", "ten")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_CONN_MAX_AGE"):
        environment.env_int("DJANGO_CONN_MAX_AGE", 0)
    monkeypatch.setenv("DATABASE_URL", "mysql://x@y/z")
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL"):
        environment.database_from_env(conn_max_age=0)


def test_celery_reaches_a_unix_socket_redis():
    assert environment.celery_broker_url("unix:///tmp/r.sock") == "redis+socket:///tmp/r.sock"
    assert environment.celery_broker_url("redis://h:6379/0") == "redis://h:6379/0"


def test_cadence_days_default_to_the_design(monkeypatch):
    for tier in ("STRATEGIC", "KEY", "OTHER"):
        monkeypatch.delenv(f"KAM_CADENCE_{tier}_DAYS", raising=False)
    assert environment.cadence_days_from_env() == {"strategic": 30, "key": 45, "other": 90}


def test_cadence_days_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("KAM_CADENCE_STRATEGIC_DAYS", "14")
    monkeypatch.setenv("KAM_CADENCE_KEY_DAYS", "30")
    monkeypatch.setenv("KAM_CADENCE_OTHER_DAYS", "120")
    assert environment.cadence_days_from_env() == {"strategic": 14, "key": 30, "other": 120}


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("KAM_CADENCE_KEY_DAYS", "forty", "not a whole number"),
        ("KAM_CADENCE_STRATEGIC_DAYS", "0", "too small"),
        ("KAM_CADENCE_OTHER_DAYS", "-5", "too small"),
        ("KAM_CADENCE_OTHER_DAYS", "5000", "too large"),
        ("KAM_CADENCE_STRATEGIC_DAYS", "60", "KAM_CADENCE_STRATEGIC_DAYS ≤ KAM_CADENCE_KEY_DAYS"),
    ],
)
def test_malformed_cadence_days_fail_loudly(monkeypatch, name, value, said):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=said):
        environment.cadence_days_from_env()


def test_production_refuses_a_malformed_cadence():
    result = _check_production(KAM_CADENCE_KEY_DAYS="soon")
    assert result.returncode != 0
    assert "KAM_CADENCE_KEY_DAYS" in result.stderr


@pytest.mark.parametrize("value", ["kam.example.com", "ftp://kam.example.com", "https://kam.example.com/kam"])
def test_a_malformed_site_url_fails_loudly(monkeypatch, value):
    monkeypatch.setenv("KAM_SITE_URL", value)
    with pytest.raises(ImproperlyConfigured, match="KAM_SITE_URL"):
        environment.site_url_from_env("http://127.0.0.1:8000")


def test_site_url_loses_a_trailing_slash(monkeypatch):
    monkeypatch.setenv("KAM_SITE_URL", "https://kam.example.com/")
    assert environment.site_url_from_env("http://127.0.0.1:8000") == "https://kam.example.com"
