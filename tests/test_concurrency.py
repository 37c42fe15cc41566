"""Many clients racing for the same time: exactly one wins, on both engines, with and without Redis."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select

from core.booking import errors
from core.booking.commands import Book
from core.booking.coordination import Coordination
from core.booking.service import BookingService
from core.db.models import Appointment
from tests.factories import MONDAY_MORNING, FixedClock, at, make_salon

CLIENTS = 32
LDN = "Europe/London"


def race(booking: BookingService, commands: list[Book]) -> Counter:
    """Start every booking at the same moment; count outcomes by result or error type."""
    barrier = threading.Barrier(len(commands))

    def attempt(cmd: Book) -> str:
        barrier.wait()
        try:
            booking.book(cmd)
            return "booked"
        except errors.BookingError as exc:
            return type(exc).__name__

    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return Counter(pool.map(attempt, commands))


def active_rows(session_factory) -> list[Appointment]:
    with session_factory() as s:
        return list(s.scalars(select(Appointment).where(Appointment.status != "cancelled")))


def assert_no_overlaps(appointments: list[Appointment]) -> None:
    for a in appointments:
        for b in appointments:
            if a.id < b.id and a.provider_id == b.provider_id:
                assert a.block_end <= b.block_start or b.block_end <= a.block_start, (a.id, b.id)


def coordination(kind: str, redis_url: str, stoppable_redis) -> Coordination:
    if kind == "redis":
        return Coordination(redis.Redis.from_url(redis_url))
    if kind == "redis-stopped":
        stoppable_redis.stop()  # a client whose server is gone: every lock attempt fails fast
        return Coordination(redis.Redis.from_url(stoppable_redis.url, socket_connect_timeout=0.2))
    return Coordination(None)


@pytest.fixture(params=["redis", "redis-stopped", "no-redis"])
def booking(request, session_factory, redis_url, stoppable_redis):
    return BookingService(session_factory, coordination(request.param, redis_url, stoppable_redis),
                          clock=FixedClock(MONDAY_MORNING))


def test_32_clients_racing_for_one_slot_give_one_booking(booking, session_factory):
    salon = make_salon(session_factory, clients=CLIENTS)
    start = at(LDN, 2026, 12, 1, 10)
    outcome = race(booking, [Book(salon.haircut, salon.sam, c, start) for c in salon.clients])
    assert outcome["booked"] == 1
    assert sum(outcome.values()) == CLIENTS and set(outcome) <= {"booked", "SlotTaken", "SlotHeld"}
    [row] = active_rows(session_factory)
    assert row.start_at == start


def test_overlapping_bookings_with_other_starts_and_durations_give_one(booking, session_factory):
    salon = make_salon(session_factory, clients=CLIENTS)
    base = at(LDN, 2026, 12, 1, 10)
    services = [salon.haircut, salon.colour, salon.beard]
    # Every attempt overlaps every other (all within 10:00-10:30 starts, each lasting 20-90 min + buffers).
    commands = [Book(services[i % 3], salon.sam, c, base + timedelta(minutes=15 * (i % 3)))
                for i, c in enumerate(salon.clients)]
    outcome = race(booking, commands)
    assert outcome["booked"] == 1, outcome
    assert len(active_rows(session_factory)) == 1


def test_racing_for_different_slots_books_each_once(booking, session_factory):
    salon = make_salon(session_factory, clients=CLIENTS)
    starts = [at(LDN, 2026, 12, 1, 9) + timedelta(hours=h) for h in (0, 1, 2, 4, 5, 6, 7)]
    commands = [Book(salon.haircut, salon.sam if i % 2 else salon.alex, c, starts[i % len(starts)])
                for i, c in enumerate(salon.clients)]
    outcome = race(booking, commands)
    rows = active_rows(session_factory)
    assert outcome["booked"] == len(rows) == 2 * len(starts)
    assert_no_overlaps(rows)


def test_the_same_idempotency_key_from_many_threads_books_once(session_factory, redis_url):
    salon = make_salon(session_factory)
    booking = BookingService(session_factory, Coordination(redis.Redis.from_url(redis_url)),
                             clock=FixedClock(MONDAY_MORNING))
    cmd = Book(salon.haircut, salon.sam, salon.clients[0], at(LDN, 2026, 12, 1, 10), idempotency_key="double-tap")
    outcome = race(booking, [cmd] * 8)
    assert outcome == Counter({"booked": 8})
    assert len(active_rows(session_factory)) == 1
