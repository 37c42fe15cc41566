"""Throwaway PostgreSQL and Redis servers on 127.0.0.1, for tests, benchmarks and scripts.

Plain classes with no pytest in them: the test fixtures (tests/conftest.py) and the
benchmarks (benchmarks/) both start their servers here.

    with PostgresServer() as pg, RedisServer() as rd:
        pg.url, rd.url   # postgresql+psycopg://postgres@127.0.0.1:PORT/slotline_test, redis://127.0.0.1:PORT/0

A server that cannot start (binaries missing, no `postgres` user when root, a process that
dies) raises `ServerUnavailable` with a message saying what to install or set.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import redis

PG_DATABASE = "slotline_test"
# A throwaway server need not survive a crash: no fsync, and room for many pools at once.
PG_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200"}


class ServerUnavailable(RuntimeError):
    """A test server could not be found or started; the message says what to install or set."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(ready: Callable[[], bool], what: str, proc: subprocess.Popen | None = None,
               log: Path | None = None, timeout: float = 30) -> None:
    """Poll `ready` until it answers True; raise if `proc` exits or `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        if ready():
            return
        time.sleep(0.05)
    raise ServerUnavailable(f"{what} did not start\n{_tail(log)}")


def _tail(log: Path | None) -> str:
    return log.read_text(errors="replace")[-2000:] if log and log.exists() else ""


# --- PostgreSQL -------------------------------------------------------------------------

def postgres_bindir() -> Path:
    """The directory holding initdb and pg_ctl: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin."""
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)  # newest first
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    raise ServerUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found via `pg_config --bindir` or "
        "/usr/lib/postgresql/*/bin. Install them (`apt-get install postgresql`, or run "
        "./scripts/test.sh which does), or set SLOTLINE_TEST_DATABASE_URL."
    )


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; when we are root, run the command as user postgres."""
    if os.geteuid() != 0:
        return argv
    if shutil.which("runuser") is None:
        raise ServerUnavailable("running as root but `runuser` is missing: cannot start PostgreSQL as user postgres")
    return ["runuser", "-u", "postgres", "--", *argv]


def _chown_to_postgres(path: Path) -> None:
    if os.geteuid() != 0:
        return
    try:
        shutil.chown(path, user="postgres", group="postgres")
    except LookupError:
        raise ServerUnavailable("running as root but there is no `postgres` user to run PostgreSQL as") from None


def _run(argv: list[str], what: str, log: Path | None = None) -> None:
    # cwd: user postgres may not be allowed into the directory we were started in.
    result = subprocess.run(argv, capture_output=True, text=True, cwd=tempfile.gettempdir())
    if result.returncode != 0:
        raise ServerUnavailable(f"{what} failed ({' '.join(argv)}):\n{result.stdout}\n{result.stderr}\n{_tail(log)}")


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory with one empty database, `database`.

    `start()` runs initdb, starts the server on a free port and returns the database's URL
    (also kept in `.url`); `stop()` stops it and deletes the directory. `settings` are added
    to (and override) `PG_SETTINGS` in postgresql.conf.
    """

    def __init__(self, database: str = PG_DATABASE, *, settings: Mapping[str, str] | None = None) -> None:
        self.database = database
        self.settings = {**PG_SETTINGS, **(settings or {})}
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"
        self.bindir: Path | None = None
        self.workdir: Path | None = None

    def start(self) -> str:
        if self.workdir is not None:
            return self.url
        self.bindir = postgres_bindir()
        # Not under a pytest tmp_path or the like: 0700 root-owned parents would lock user postgres out.
        self.workdir = Path(tempfile.mkdtemp(prefix="slotline-pg-"))
        try:
            _chown_to_postgres(self.workdir)
            self._initdb_and_start()
        except BaseException:
            self.stop()
            raise
        return self.url

    def _initdb_and_start(self) -> None:
        data, log = self._data, self.workdir / "postgres.log"
        _run(_as_postgres([str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                           "-E", "UTF8", "--locale=C", "--no-sync"]), "initdb")
        settings = {"listen_addresses": "'127.0.0.1'", "port": str(self.port),
                    "unix_socket_directories": f"'{self.workdir}'", **self.settings}
        with open(data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        _run(_as_postgres([str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"]),
             "starting PostgreSQL", log)
        _run(_as_postgres([str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                           self.database]), "createdb")

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory; safe to call twice."""
        if self.workdir is None:
            return
        if (self._data / "postmaster.pid").exists():
            subprocess.run(_as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self._data), "-m", "fast", "-w",
                                         "stop"]), capture_output=True, cwd=tempfile.gettempdir())
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir = None

    @property
    def _data(self) -> Path:
        return self.workdir / "data"

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --- Redis ------------------------------------------------------------------------------

class RedisServer:
    """A redis-server process on a fixed port that may be stopped and started again (same port, same URL).

    `close()` stops it for good and deletes its directory. Without persistence, so a restart
    comes back empty.
    """

    def __init__(self) -> None:
        binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/local/bin")
        if binary is None:
            raise ServerUnavailable("redis-server not found on PATH. Install it (`apt-get install redis-server`, "
                                    "or run ./scripts/test.sh which does), or set SLOTLINE_TEST_REDIS_URL.")
        self.binary, self.port = binary, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = Path(tempfile.mkdtemp(prefix="slotline-redis-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if self.process is not None:
            return
        log = self.workdir / "redis.log"
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir), "--logfile", str(log), "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        try:
            wait_until(self._answers, f"redis-server on port {self.port}", self.process, log)
        except ServerUnavailable:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _answers(self) -> bool:
        try:
            with redis.Redis.from_url(self.url, socket_connect_timeout=0.2) as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()
