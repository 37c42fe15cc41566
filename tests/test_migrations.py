"""The migrations build exactly the models' schema, and the database itself refuses double booking."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from itertools import count

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, insert, update
from sqlalchemy.exc import IntegrityError

from core.db.migrate import downgrade, include_object, upgrade
from core.db.models import Appointment, AppointmentResource, Base, Provider, Resource, Service, User
from core.db.session import make_engine

NINE = datetime(2030, 3, 4, 9, 0, tzinfo=timezone.utc)
_codes = count(1)


def test_migrated_schema_matches_the_models(engine: Engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        assert compare_metadata(context, Base.metadata) == []


def _seed(engine: Engine) -> dict[str, int]:
    with engine.begin() as db:
        ids = {
            "client": db.execute(insert(User.__table__).values(name="Ann")).inserted_primary_key[0],
            "service": db.execute(
                insert(Service.__table__).values(name="Cut", duration_minutes=60)
            ).inserted_primary_key[0],
            "resource": db.execute(insert(Resource.__table__).values(name="Room 1")).inserted_primary_key[0],
        }
        for name in ("Bo", "Cy"):
            ids[name] = db.execute(
                insert(Provider.__table__).values(name=name, timezone="Europe/Paris")
            ).inserted_primary_key[0]
    return ids


def _book(engine: Engine, ids: dict, start: datetime, *, provider: str = "Bo", status: str = "confirmed") -> int:
    """Insert an appointment straight into the table, as a buggy or racing writer would."""
    end = start + timedelta(hours=1)
    with engine.begin() as db:
        return db.execute(insert(Appointment.__table__).values(
            service_id=ids["service"], provider_id=ids[provider], client_id=ids["client"],
            start_at=start, end_at=end, block_start=start, block_end=end, status=status,
            confirmation_code=f"C{next(_codes)}",
        )).inserted_primary_key[0]


def test_overlapping_appointments_are_refused_by_the_database(engine: Engine):
    ids = _seed(engine)
    _book(engine, ids, NINE)
    with pytest.raises(IntegrityError, match="appointments_no_overlap"):
        _book(engine, ids, NINE + timedelta(minutes=30))
    _book(engine, ids, NINE + timedelta(hours=1))  # [9:00, 10:00) and [10:00, 11:00) only touch
    _book(engine, ids, NINE + timedelta(minutes=30), provider="Cy")
    cancelled = _book(engine, ids, NINE + timedelta(minutes=30), status="cancelled")
    with pytest.raises(IntegrityError, match="appointments_no_overlap"):
        with engine.begin() as db:
            db.execute(update(Appointment.__table__).where(Appointment.id == cancelled).values(status="pending"))


def test_moving_an_appointment_into_another_is_refused(engine: Engine):
    ids = _seed(engine)
    _book(engine, ids, NINE)
    later = _book(engine, ids, NINE + timedelta(hours=2))
    table = Appointment.__table__
    with engine.begin() as db:  # moving within its own old block overlaps only itself: fine
        db.execute(update(table).where(table.c.id == later).values(block_start=NINE + timedelta(hours=1, minutes=30)))
    with pytest.raises(IntegrityError, match="appointments_no_overlap"):
        with engine.begin() as db:
            db.execute(update(table).where(table.c.id == later).values(block_start=NINE + timedelta(minutes=30)))


def test_overlapping_resource_use_is_refused_unless_released(engine: Engine):
    ids = _seed(engine)
    first = _book(engine, ids, NINE)
    second = _book(engine, ids, NINE + timedelta(minutes=30), provider="Cy")
    table = AppointmentResource.__table__

    def use_room(appointment_id: int, start: datetime, active: bool = True) -> None:
        with engine.begin() as db:
            db.execute(insert(table).values(
                appointment_id=appointment_id, resource_id=ids["resource"],
                block_start=start, block_end=start + timedelta(hours=1), active=active,
            ))

    use_room(first, NINE)
    with pytest.raises(IntegrityError, match="appointment_resources_no_overlap"):
        use_room(second, NINE + timedelta(minutes=30))
    use_room(second, NINE + timedelta(minutes=30), active=False)
    with pytest.raises(IntegrityError, match="appointment_resources_no_overlap"):
        with engine.begin() as db:
            db.execute(update(table).where(table.c.appointment_id == second).values(active=True))
    with engine.begin() as db:
        db.execute(update(table).where(table.c.appointment_id == first).values(active=False))
        db.execute(update(table).where(table.c.appointment_id == second).values(active=True))


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(empty_database_url: str):
    upgrade(url=empty_database_url)
    upgrade(url=empty_database_url)  # already at head: nothing to do
    assert _tables(empty_database_url) == set(Base.metadata.tables) | {"alembic_version"}
    downgrade("base", url=empty_database_url)
    assert _tables(empty_database_url) == {"alembic_version"}
    upgrade(url=empty_database_url)
    assert set(Base.metadata.tables) <= _tables(empty_database_url)


def test_stepping_back_down_and_up_again_keeps_the_overlap_guard(empty_database_url: str):
    """Later migrations alter `appointments`; on SQLite that copies the table, which must keep its triggers."""
    upgrade(url=empty_database_url)
    downgrade("0008", url=empty_database_url)
    upgrade(url=empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        ids = _seed(engine)
        _book(engine, ids, NINE)
        with pytest.raises(IntegrityError, match="appointments_no_overlap"):
            _book(engine, ids, NINE + timedelta(minutes=30))
    finally:
        engine.dispose()


def test_processes_starting_together_migrate_one_after_the_other(empty_database_url: str):
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(url=empty_database_url)
        except BaseException as exc:  # handed to the main thread's assertion
            errors.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(Base.metadata.tables) <= _tables(empty_database_url)


def test_upgrade_creates_a_fresh_sqlite_file_and_its_directory(tmp_path):
    path = tmp_path / "not" / "yet" / "there.db"
    upgrade(url=f"sqlite:///{path}")
    assert path.is_file()
    assert set(Base.metadata.tables) <= _tables(f"sqlite:///{path}")
