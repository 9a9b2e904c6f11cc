import pytest
from django.db import connection


@pytest.mark.django_db
def test_runs_on_postgresql():
    # given the test settings / when we ask the connection / then it is PostgreSQL, never SQLite
    assert connection.vendor == "postgresql"
