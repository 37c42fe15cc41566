"""The booking core's fast paths keep its promises: one query per decision sees every change at
once, the database refuses the overlaps `book` no longer reads first, and what `book` returns
is a whole appointment. On both engines, with a real Redis."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event, inspect, select

from core.booking import errors, setup_writes
from core.booking.business_file import load_business
from core.booking.commands import Book, FindSlots
from core.booking.coordination import Coordination
from core.booking.service import BookingService
from core.db.models import Appointment, AuditEntry, OutboxEvent, Provider
from core.db.session import UnitOfWork
from tests.factories import MONDAY_MORNING, FixedClock, at, make_salon

LDN = "Europe/London"
TUE = (2026, 12, 1)


@pytest.fixture
def salon(session_factory):
    return make_salon(session_factory)


@pytest.fixture
def booking(session_factory, redis_client):
    return BookingService(session_factory, Coordination(redis_client), clock=FixedClock(MONDAY_MORNING))


def book(booking, salon, start, *, service=None, provider=None, client=0, key=None):
    appt, _ = booking.book(Book(service or salon.haircut, provider or salon.sam, salon.clients[client], start,
                                idempotency_key=key))
    return appt


def tuesday(booking, salon, service=None, provider=None):
    return [s.start for s in booking.find_slots(FindSlots(service or salon.haircut, date(*TUE), date(*TUE),
                                                          provider or salon.sam))]


@contextmanager
def write(session_factory):
    with UnitOfWork(session_factory, write=True) as uow:
        yield uow.session
        uow.commit()


def test_rule_changes_made_elsewhere_apply_to_the_next_booking(booking, salon, session_factory):
    assert at(LDN, *TUE, 9) in tuesday(booking, salon)  # reads, and caches, everything once
    with write(session_factory) as s:
        load_business(s, {"business": {"minNoticeMinutes": 60 * 24 * 3}})  # three days' notice
    with pytest.raises(errors.TooSoon, match="72 hours"):
        book(booking, salon, at(LDN, *TUE, 9))
    assert tuesday(booking, salon) == []
    with write(session_factory) as s:
        load_business(s, {"business": {"minNoticeMinutes": 60, "slotIntervalMinutes": 60}})
    starts = tuesday(booking, salon)
    assert at(LDN, *TUE, 9) in starts and at(LDN, *TUE, 9, 15) not in starts
    with pytest.raises(errors.OutsideHours):
        book(booking, salon, at(LDN, *TUE, 9, 15))


def test_service_and_provider_changes_apply_at_once(booking, salon, session_factory):
    assert at(LDN, *TUE, 16) in tuesday(booking, salon, salon.beard)
    with write(session_factory) as s:
        load_business(s, {"services": [{"name": "Beard trim", "duration": 90}]})
    assert at(LDN, *TUE, 16) not in tuesday(booking, salon, salon.beard)  # 16:00 + 90 min is past closing
    with write(session_factory) as s:
        s.get(Provider, salon.alex).services = []
    with pytest.raises(errors.InvalidRequest, match="does not offer"):
        book(booking, salon, at(LDN, *TUE, 10), provider=salon.alex)
    with write(session_factory) as s:
        setup_writes.add_time_off(s, provider_id=salon.sam, start=at(LDN, *TUE, 9), end=at(LDN, *TUE, 12))
    with pytest.raises(errors.OutsideHours):
        book(booking, salon, at(LDN, *TUE, 10))


def test_an_overlap_is_refused_by_the_database_without_a_trace(booking, salon, session_factory):
    first = book(booking, salon, at(LDN, *TUE, 10))
    with pytest.raises(errors.SlotTaken, match="just been booked"):
        book(booking, salon, at(LDN, *TUE, 10, 30), client=1)  # inside the first one's block
    colour = book(booking, salon, at(LDN, *TUE, 14), service=salon.colour)
    with pytest.raises(errors.ResourceBusy, match="room or equipment"):
        book(booking, salon, at(LDN, *TUE, 14), service=salon.colour, provider=salon.alex, client=2)
    with session_factory() as s:
        assert s.scalars(select(Appointment.id).order_by(Appointment.id)).all() == [first.id, colour.id]
        assert s.scalars(select(AuditEntry.entity_id).order_by(AuditEntry.id)).all() == [first.id, colour.id]


def test_book_returns_a_whole_detached_appointment(booking, salon):
    appt = book(booking, salon, at(LDN, *TUE, 10), service=salon.colour, key="k-1")
    state = inspect(appt)
    assert state.detached and not state.expired_attributes and not state.unloaded
    assert (appt.status, appt.version, appt.late_cancellation, appt.cancellation_reason) == ("confirmed", 1, False, None)
    assert appt.created_at is not None and appt.idempotency_key == "k-1"
    [used] = appt.resources
    assert inspect(used).detached and used.id is not None and used.appointment_id == appt.id and used.active


def test_unknown_client_is_named_and_replay_survives_a_retired_provider(booking, salon, session_factory):
    with pytest.raises(errors.NotFound, match="client 999 not found"):
        booking.book(Book(salon.haircut, salon.sam, 999, at(LDN, *TUE, 10)))
    first = book(booking, salon, at(LDN, *TUE, 10), key="tap")
    with write(session_factory) as s:
        s.get(Provider, salon.sam).active = False
    again, replayed = booking.book(Book(salon.haircut, salon.sam, salon.clients[0], at(LDN, *TUE, 10),
                                        idempotency_key="tap"))
    assert replayed and again.id == first.id
    with pytest.raises(errors.NotFound, match=f"provider {salon.sam} not found"):
        book(booking, salon, at(LDN, *TUE, 11), client=1)


def test_a_booking_is_two_statements_on_postgresql_four_on_sqlite(booking, salon, engine):
    """The offer (read and locked in one query), then the appointment with its audit row and its
    event in the outbox (written in the same transaction, DESIGN #7; on PostgreSQL one statement):
    a guard against eager loads or extra lookups creeping back onto the hot path."""
    book(booking, salon, at(LDN, *TUE, 9))  # the schedule cache is filled once per provider
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    book(booking, salon, at(LDN, *TUE, 14), client=1)
    statements = [sql for sql in statements if not sql.startswith("BEGIN")]
    expected = 2 if engine.dialect.name == "postgresql" else 4  # SQLite writes the audit row and event on their own
    assert len(statements) == expected, statements


def test_the_event_written_with_a_booking_names_it_and_waits_to_be_relayed(booking, salon, session_factory):
    """On PostgreSQL the outbox row is built in SQL, in the booking's one statement: it must read as
    `outbox.record` would have written it, for the relay and the worker that plan the notices."""
    appt = book(booking, salon, at(LDN, *TUE, 10), client=1)
    with UnitOfWork(session_factory) as uow:
        [row] = uow.session.scalars(select(OutboxEvent)).all()
    assert (row.kind, row.payload) == ("booked", {"appointment_id": appt.id, "version": 1, "extra": {}})
    assert row.created_at == MONDAY_MORNING and row.relayed_at is None and row.done_at is None and row.attempts == 0
