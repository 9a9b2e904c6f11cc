"""``make backup`` / ``make restore`` (kam/backup.py) for real: the test database, migrated and holding data, is
dumped with pg_dump and restored with pg_restore into a fresh database, table for table."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection

from kam.backup import database_backup, database_restore, main
from tests.factories import AccountFactory, InvoiceFactory, OrderFactory, director_factory, manager_factory


def _url(name: str) -> str:
    import os

    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + name))


def _row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}  # noqa: S608


@pytest.fixture
def scratch_database(transactional_db):
    name = f"kam_restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield _url(name)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_table_for_table(scratch_database, tmp_path):
    # given a migrated database holding data
    manager = manager_factory(username="mara")
    director_factory(username="dina")
    for account in AccountFactory.create_batch(5, owner=manager):
        OrderFactory.create_batch(3, account=account)
        InvoiceFactory(account=account)
    source = _url(connection.settings_dict["NAME"])
    counts = _row_counts(source)
    assert counts["accounts_account"] == 5 and counts["accounts_order"] == 15
    # when it is backed up as `make backup` does, and restored into a fresh database
    dump = database_backup(database_url=source, directory=tmp_path)
    assert dump.parent == tmp_path and dump.name.startswith("kam-") and dump.suffix == ".dump"
    database_restore(file=dump, database_url=scratch_database)
    # then every table holds as many rows
    assert _row_counts(scratch_database) == counts
    # and restoring again over a database that changed since puts it back (--clean --if-exists)
    with psycopg.connect(scratch_database, autocommit=True) as db:
        db.execute("DELETE FROM accounts_order")
    database_restore(file=dump, database_url=scratch_database)
    assert _row_counts(scratch_database) == counts


def test_restore_refuses_without_a_file(capsys):
    assert main(["restore"]) == 2
    assert "usage" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError):
        database_restore(file=Path("/nonexistent/kam.dump"), database_url="postgresql:///nothing")
