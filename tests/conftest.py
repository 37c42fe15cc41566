"""Real servers for the tests: PostgreSQL and Redis, started and stopped by the session.

Fixtures (more live in other conftest/plugin files):
- `postgres_url` (session): URL of an empty `slotline_test` database on a throwaway
  PostgreSQL server, or `SLOTLINE_TEST_DATABASE_URL` when set.
- `redis_url` (session): URL of a throwaway redis-server, or `SLOTLINE_TEST_REDIS_URL`.
- `redis_client`: a `redis.Redis` on `redis_url`, flushed before the test.
- `stoppable_redis` (alias `redis_server_control`): a redis-server of the test's own,
  with `.url`, `.stop()` and `.start()` (same port), to show the database alone still guards.
- `engine`: a migrated SQLAlchemy Engine, once on SQLite (a new file) and once on
  PostgreSQL (tables truncated); test ids `[sqlite]` / `[postgresql]`.
- `session_factory`: `core.db.session.make_session_factory(engine)`.
- `empty_database_url`: URL of a database with no tables yet, on each engine.

Missing server binaries fail the run with a message saying what to install; nothing
is skipped, because tests that did not run prove nothing.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, make_url, text

from config.settings import normalise_database_url
from core.db.migrate import upgrade
from core.db.models import Base
from core.db.session import make_engine, make_session_factory

PG_DATABASE = "slotline_test"
ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until(ready, what: str, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        if ready():
            return
        time.sleep(0.05)
    detail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    pytest.fail(f"{what} did not start\n{detail}", pytrace=False)


# --- PostgreSQL -------------------------------------------------------------------------

def _postgres_bindir() -> Path:
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)  # newest first
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    pytest.fail(
        "PostgreSQL server binaries (initdb, pg_ctl) not found via `pg_config --bindir` or "
        "/usr/lib/postgresql/*/bin. Install them (`apt-get install postgresql`, or run "
        "./scripts/test.sh which does), or set SLOTLINE_TEST_DATABASE_URL.",
        pytrace=False,
    )


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; when we are root, run the command as user postgres."""
    if os.geteuid() != 0:
        return argv
    if shutil.which("runuser") is None:
        pytest.fail("running as root but `runuser` is missing: cannot start PostgreSQL as user postgres")
    return ["runuser", "-u", "postgres", "--", *argv]


def _chown_to_postgres(path: Path) -> None:
    if os.geteuid() != 0:
        return
    try:
        shutil.chown(path, user="postgres", group="postgres")
    except LookupError:
        pytest.fail("running as root but there is no `postgres` user to run PostgreSQL as", pytrace=False)


def _run(argv: list[str], what: str, log: Path | None = None) -> None:
    # cwd: user postgres may not be allowed into the directory pytest runs in.
    result = subprocess.run(argv, capture_output=True, text=True, cwd=tempfile.gettempdir())
    if result.returncode != 0:
        server_log = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        pytest.fail(f"{what} failed ({' '.join(argv)}):\n{result.stdout}\n{result.stderr}\n{server_log}",
                    pytrace=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of an empty database on a PostgreSQL server that lives for the test session."""
    if os.environ.get("SLOTLINE_TEST_DATABASE_URL"):
        yield normalise_database_url(os.environ["SLOTLINE_TEST_DATABASE_URL"])
        return
    bindir = _postgres_bindir()
    # Not under pytest's tmp_path: its 0700 root-owned parents would lock user postgres out.
    workdir = Path(tempfile.mkdtemp(prefix="slotline-pg-"))
    _chown_to_postgres(workdir)
    data, log, port = workdir / "data", workdir / "postgres.log", free_port()
    try:
        _run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                           "-E", "UTF8", "--locale=C", "--no-sync"]), "initdb")
        settings = {
            "listen_addresses": "'127.0.0.1'", "port": str(port), "unix_socket_directories": f"'{workdir}'",
            "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200",
        }
        with open(data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        _run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"]),
             "starting PostgreSQL", log)
        _run(_as_postgres([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                           PG_DATABASE]), "createdb")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{PG_DATABASE}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                           capture_output=True, cwd=tempfile.gettempdir())
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def _migrated_postgres_url(postgres_url: str) -> str:
    """`postgres_url`, migrated to head once per session."""
    upgrade(url=postgres_url)
    return postgres_url


# --- Redis ------------------------------------------------------------------------------

class RedisServer:
    """A redis-server process on a fixed port that a test may stop and start again."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/local/bin")
        if binary is None:
            pytest.fail("redis-server not found on PATH. Install it (`apt-get install redis-server`, or run "
                        "./scripts/test.sh which does), or set SLOTLINE_TEST_REDIS_URL.", pytrace=False)
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
        _wait_until(self._answers, f"redis-server on port {self.port}", self.process, log)

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


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a Redis that lives for the test session (db 0)."""
    if os.environ.get("SLOTLINE_TEST_REDIS_URL"):
        yield os.environ["SLOTLINE_TEST_REDIS_URL"]
        return
    server = RedisServer()
    try:
        server.start()
        yield server.url
    finally:
        server.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client on the session Redis, emptied (FLUSHALL) before the test."""
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def stoppable_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, running; `.stop()` / `.start()` it at will."""
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_server_control(stoppable_redis: RedisServer) -> RedisServer:
    """The same as `stoppable_redis`, under the name some tests read better with."""
    return stoppable_redis


# --- Databases --------------------------------------------------------------------------

def truncate_all(engine: Engine) -> None:
    names = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: a new SQLite file, or the session PostgreSQL truncated."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'slotline.db'}"
        upgrade(url=url)
    else:
        url = request.getfixturevalue("_migrated_postgres_url")
    db = make_engine(url)
    if request.param == "postgresql":
        truncate_all(db)
    yield db
    db.dispose()


@pytest.fixture
def session_factory(engine: Engine):
    return make_session_factory(engine)


@pytest.fixture(params=ENGINES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a database without tables: a new SQLite file, or a new database on the session server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server_url = make_url(request.getfixturevalue("postgres_url"))
    name = f"slotline_empty_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server_url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
