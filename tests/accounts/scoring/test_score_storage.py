"""The storage settings of the score table (migration accounts 0014): autovacuum takes every run."""

import importlib

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("accounts.migrations.0014_accountscore_autovacuum")


def reloptions():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'accounts_accountscore'::regclass")
        options = cursor.fetchone()[0] or []
    return dict(option.split("=", 1) for option in options)


def inputs_statistics_target():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute"
            " WHERE attrelid = 'accounts_accountscore'::regclass AND attname = 'inputs'"
        )
        return cursor.fetchone()[0]


def test_the_score_table_is_vacuumed_and_analysed_after_every_run():
    # given the migrated schema
    # when its storage options are read
    options = reloptions()
    # then a fixed threshold, not a fraction of the history, triggers vacuum and analyse of inserted scores
    assert options == {
        "autovacuum_vacuum_insert_threshold": "1000",
        "autovacuum_vacuum_insert_scale_factor": "0",
        "autovacuum_analyze_threshold": "1000",
        "autovacuum_analyze_scale_factor": "0",
        "autovacuum_vacuum_threshold": "1000",
        "autovacuum_vacuum_scale_factor": "0.02",
    }
    # and the inputs array, which nothing filters on, is left out of the statistics
    assert inputs_statistics_target() == 0


def test_the_settings_migration_is_reversible():
    # given the migrated schema
    with connection.cursor() as cursor:
        # when the migration's reverse runs (inside the test's transaction, which rolls it back)
        cursor.execute(MIGRATION.BACKWARD)
        # then the table is back to the server's defaults
        assert reloptions() == {}
        assert inputs_statistics_target() in (None, -1)
        # and forward again gives the same settings
        cursor.execute(MIGRATION.FORWARD)
    assert reloptions()["autovacuum_analyze_threshold"] == "1000"
    assert inputs_statistics_target() == 0
