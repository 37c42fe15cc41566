"""The pool pings a connection before use only when it has been idle a while (core/db/session.py).

A connection the server dropped while idle (a restart, a failover, an idle timeout) is replaced
before the request uses it; one dropped in the instant since its last use fails its first
statement (a 503 at the edge), and the pool replaces every connection older than that failure.
"""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from core.db.session import UnitOfWork, make_engine, make_session_factory


def _pooled_backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def _drop(postgres_url: str, pid: int) -> None:
    """What a server restart does to a pooled connection: the backend behind it ends."""
    admin = create_engine(postgres_url)
    with admin.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}) is True
    admin.dispose()


@pytest.fixture
def pooled(_migrated_postgres_url):
    engine = make_engine(_migrated_postgres_url, pool_size=1, ping_idle=0.2)
    yield engine
    engine.dispose()


def test_a_connection_dropped_while_idle_is_replaced_before_use(pooled, _migrated_postgres_url):
    dropped = _pooled_backend_pid(pooled)
    _drop(_migrated_postgres_url, dropped)
    time.sleep(0.3)  # idle longer than ping_idle: the checkout pings, finds it gone, and connects anew
    with UnitOfWork(make_session_factory(pooled), autocommit=True) as uow:
        assert uow.session.scalar(select(1)) == 1  # answered: no error reached the caller
    assert _pooled_backend_pid(pooled) != dropped


def test_a_connection_dropped_just_after_use_fails_once_then_the_pool_reconnects(pooled, _migrated_postgres_url):
    _drop(_migrated_postgres_url, _pooled_backend_pid(pooled))
    factory = make_session_factory(pooled)
    with pytest.raises(OperationalError) as failed, UnitOfWork(factory, autocommit=True) as uow:
        uow.session.scalar(select(1))  # not pinged: used a moment ago
    assert failed.value.connection_invalidated
    with UnitOfWork(factory, autocommit=True) as uow:
        assert uow.session.scalar(select(1)) == 1
