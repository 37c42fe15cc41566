"""Real servers for the tests: PostgreSQL and Redis (managed by tests/servers.py), started and stopped by the session.

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

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, make_url, text

from config.settings import normalise_database_url
from core.db.migrate import upgrade
from core.db.models import Base
from core.db.session import make_engine, make_session_factory
from tests import servers
from tests.servers import PG_DATABASE, PostgresServer, ServerUnavailable, free_port  # noqa: F401  (re-exported)

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@contextmanager
def _fail_if_unavailable() -> Iterator[None]:
    """A server that cannot start fails the run with its own message (no traceback), never a skip."""
    try:
        yield
    except ServerUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


# --- PostgreSQL -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of an empty database on a PostgreSQL server that lives for the test session."""
    if os.environ.get("SLOTLINE_TEST_DATABASE_URL"):
        yield normalise_database_url(os.environ["SLOTLINE_TEST_DATABASE_URL"])
        return
    server = PostgresServer(PG_DATABASE)
    with _fail_if_unavailable():
        url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _migrated_postgres_url(postgres_url: str) -> str:
    """`postgres_url`, migrated to head once per session."""
    upgrade(url=postgres_url)
    return postgres_url


# --- Redis ------------------------------------------------------------------------------

class RedisServer(servers.RedisServer):
    """`tests.servers.RedisServer`, failing the test with a clear message when it cannot start."""

    def __init__(self) -> None:
        with _fail_if_unavailable():
            super().__init__()

    def start(self) -> None:
        with _fail_if_unavailable():
            super().start()


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
