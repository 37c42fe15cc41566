"""Run the Alembic migrations from Python (`slotline migrate`, `slotline run`, tests).

Every migration run happens in one transaction that first takes a lock: a PostgreSQL
advisory lock, or SQLite's write lock (`BEGIN IMMEDIATE`). Several processes that
start at once (web, workers) then migrate one after the other, and the later ones
find the schema already at head.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from config.settings import get_settings, normalise_database_url
from core.db.session import _IMMEDIATE, make_engine

REPO_ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = REPO_ROOT / "alembic.ini"
ALEMBIC_DIR = REPO_ROOT / "alembic"

# Database objects the models cannot express; autogenerate must not try to drop them.
OVERLAP_GUARDS = frozenset({"appointments_no_overlap", "appointment_resources_no_overlap"})
_MIGRATION_LOCK_ID = 0x510771  # any constant shared by every Slotline process


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Autogenerate filter: skip the overlap guards (exclusion constraints and their indexes)."""
    return not (name in OVERLAP_GUARDS and reflected)


def alembic_config(connection: Connection | None = None) -> Config:
    """The repo's Alembic config; with `connection`, env.py migrates over that connection."""
    if not ALEMBIC_INI.is_file():
        raise FileNotFoundError(f"alembic.ini not found at {ALEMBIC_INI}; is Slotline installed in editable mode?")
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.attributes["configure_logging"] = False  # leave the host application's logging alone
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def migration_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside one locked transaction; committed when the block ends cleanly."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.execution_options(**{_IMMEDIATE: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
            yield connection


def upgrade(url: str | None = None, engine: Engine | None = None, revision: str = "head") -> None:
    """`alembic upgrade head` on `engine`, on `url`, or on the configured database."""
    _run(lambda config: command.upgrade(config, revision), url, engine)


def downgrade(revision: str = "base", url: str | None = None, engine: Engine | None = None) -> None:
    """`alembic downgrade REVISION` (default: everything) on `engine`, `url` or the configured database."""
    _run(lambda config: command.downgrade(config, revision), url, engine)


def _run(action: Callable[[Config], None], url: str | None, engine: Engine | None) -> None:
    own_engine = engine is None
    if engine is None:
        engine = make_engine(_resolve_url(url))  # make_engine creates a SQLite file's directory
    try:
        with migration_transaction(engine) as connection:
            action(alembic_config(connection))
    finally:
        if own_engine:
            engine.dispose()


def _resolve_url(url: str | None) -> str:
    return normalise_database_url(url) if url else get_settings().sqlalchemy_url
