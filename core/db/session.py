"""Engines, sessions and the unit of work.

On SQLite every transaction that may write starts with `BEGIN IMMEDIATE`, so writers are
serialised by SQLite itself and a check-then-insert inside one is safe. On PostgreSQL the
exclusion constraints (see alembic) are the final guard and transactions start normally.
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

_IMMEDIATE = "slotline_sqlite_immediate"
_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}
PING_IDLE = 2.0  # seconds: a pooled connection idle longer is pinged before use


def make_engine(url: str, *, pool_size: int = 10, ping_idle: float = PING_IDLE) -> Engine:
    """An engine tuned for Slotline on either engine (`ping_idle`: see `_ping_when_idle`)."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2)
    _ping_when_idle(engine, ping_idle)
    return engine


def _ping_when_idle(engine: Engine, ping_idle: float) -> None:
    """The pool's pre-ping, only for a connection idle more than `ping_idle` seconds (SQLAlchemy's
    `pool_pre_ping` pings at every checkout: a round trip on each unit of work under load).

    A connection the server dropped while it was idle (a restart, a failover, an idle timeout)
    is then replaced before use. One dropped in the seconds since its last use fails its first
    statement instead; SQLAlchemy then invalidates the whole pool (every connection checked in
    before is replaced at its next checkout), and the request answers 503 (webhooks/errors.py)."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record):
        record.info["slotline_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):
        since = record.info.get("slotline_idle_since")  # none for a connection just made
        record.info["slotline_pinged"] = since is not None and time.monotonic() - since >= ping_idle
        if not record.info["slotline_pinged"]:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_conn, None):
                raise exc.DisconnectionError() from error  # the pool makes a new connection and tries again
            raise


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own is deferred-only).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=30000")
        _use_wal(cur)
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _use_wal(cur) -> None:
    """Switch a database file to WAL once (the mode is kept in the file).

    Switching needs the file to itself and SQLite does not wait for it (busy_timeout does not
    apply), so processes opening a new database together (web and worker at first start) retry.
    """
    for attempt in range(50):
        if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() in ("wal", "memory"):
            return
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.02 * (attempt + 1))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class UnitOfWork:
    """One transaction. `write=True` takes SQLite's write lock at the start.

    `autocommit=True` is for work that needs no transaction around it: reads, or one write
    statement (atomic alone). On PostgreSQL each statement then commits by itself, without
    BEGIN and COMMIT/ROLLBACK: two round trips fewer. Reads see the same as in a transaction, as
    under READ COMMITTED (PostgreSQL's default) each statement takes its own snapshot anyway.
    On SQLite nothing changes (a `write` still takes the write lock first).

    Domain events recorded during the transaction are kept in `events` and handed to
    whoever publishes them after a successful commit.
    """

    def __init__(self, session_factory: sessionmaker[Session], *, write: bool = False, autocommit: bool = False):
        self._factory = session_factory
        self._write = write
        self._autocommit = autocommit
        self.events: list = []

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        if self._write or self._autocommit:
            dialect = self.session.get_bind().dialect.name
            if self._write and dialect == "sqlite":
                self.session.connection(execution_options={_IMMEDIATE: True})
            elif self._autocommit and dialect == "postgresql":
                self.session.connection(execution_options=_AUTOCOMMIT)
        return self

    def __exit__(self, *exc) -> None:
        # close() rolls back anything uncommitted but, unlike rollback(), leaves loaded
        # objects readable after the unit of work ends.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
