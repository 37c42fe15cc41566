"""Availability cost, for benchmarks/booking_throughput.py: `find_slots` for one provider-month
against one indexed SELECT of that provider's appointments for the month.

The provider's month holds 100 appointments and the table 20,000 more of other providers',
so the SELECT reads through a realistic index. `find_slots` is timed through
`BookingService.find_slots` (session, reads, Redis holds, the engine); the SELECT is the very
query `provider_appointments` issues, timed on a pooled connection checked out for it, and
on one already open.
"""
from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select, text

from benchmarks.booking_fixture import (
    FIRST_DAY, ZONE, SqlMeter, World, appointment_row, day_starts, free_starts, profile_twice,
    truncate_bookings,
)
from core.booking.availability import Interval, free_slots
from core.booking.commands import FindSlots
from core.booking.schedules import load_schedule, read_terms, utc_range
from core.booking.service import BookingService
from core.db.models import Appointment

DAYS = 30
BUSY_IN_MONTH = 100
OTHER_ROWS = 20_000


def fill(engine: Engine, world: World) -> int:
    """Book the measured provider's month and a crowd of other appointments; return that provider's id."""
    provider = world.provider_ids[0]
    month = [start for d in range(DAYS) for start in day_starts(FIRST_DAY + timedelta(days=d))]
    jobs = [(provider, start) for start in random.Random(3).sample(month, BUSY_IN_MONTH)]
    jobs += [job for job in free_starts(world, 365, seed=4) if job[0] != provider][:OTHER_ROWS]
    truncate_bookings(engine)
    with engine.begin() as c:
        c.execute(insert(Appointment.__table__),
                  [appointment_row(world, i, *job, tag="availability") for i, job in enumerate(jobs)])
        c.execute(text("ANALYZE appointments"))
    return provider


def measure_availability(booking: BookingService, engine: Engine, world: World, out: Path,
                         repeats: int = 100) -> None:
    provider = fill(engine, world)
    last = FIRST_DAY + timedelta(days=DAYS - 1)
    cmd = FindSlots(world.service_id, FIRST_DAY, last, provider_id=provider, holder=world.client_ids[0])
    start, end = utc_range(FIRST_DAY, last, ZONE)
    query = (select(Appointment.block_start, Appointment.block_end, Appointment.start_at)
             .where(Appointment.provider_id == provider, Appointment.status != "cancelled",
                    Appointment.block_start < end, Appointment.block_end > start))
    slots, rows = booking.find_slots(cmd), _select(engine, query)  # warm: schedule cache, statement cache, pool
    with engine.connect() as open_connection:
        # Interleaved, so machine load that drifts during the run weighs on every variant alike.
        samples = interleaved({
            "find": lambda: booking.find_slots(cmd),
            "select": lambda: _select(engine, query),
            "open": lambda: open_connection.execute(query).all(),
            "engine": engine_only(booking, provider, world.service_id, cmd, rows),
        }, repeats)
        plan = _plan(open_connection, query)
    find, one, bare, alone = (statistics.median(samples[k]) for k in ("find", "select", "open", "engine"))
    with SqlMeter(engine).watching() as meter:
        began = time.perf_counter()
        for _ in range(repeats):
            booking.find_slots(cmd)
        in_sql = sum(meter.seconds.values()) / (time.perf_counter() - began)  # share of find_slots' time
    print(f"\navailability, one provider-month ({FIRST_DAY}..{last}), {len(rows)} appointments, "
          f"{len(slots)} free slots, medians of {repeats}:")
    print(f"  find_slots          {find * 1e3:7.2f} ms   {meter.round_trips / repeats:.0f} database round trips: "
          + ", ".join(f"{v // repeats} {k}" for k, v in meter.calls.most_common()))
    print(f"    of which about    {find * in_sql * 1e3:7.2f} ms inside SQL statements, {alone * 1e3:.2f} ms in the "
          f"free_slots engine (timed alone on the same inputs), {(find * (1 - in_sql) - alone) * 1e3:.2f} ms the "
          f"rest (ORM, pre-ping/BEGIN/ROLLBACK, FreeSlot objects, sort)")
    print(f"  one SELECT          {one * 1e3:7.2f} ms   (pooled connection checked out for it)")
    print(f"  one SELECT, open    {bare * 1e3:7.2f} ms   (on a connection already open)")
    print(f"  find_slots / SELECT = {find / one:.1f}x  (vs open connection {find / bare:.1f}x)")
    print(f"  SELECT plan: {plan}")
    profile_twice(lambda _label: [booking.find_slots(cmd) for _ in range(repeats)],
                  f"BookingService.find_slots, one provider-month, {repeats} calls", out)
    print(f"  profile of {repeats} find_slots calls, top 15 cumulative: {out}")


def interleaved(variants: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Time each variant once per repeat, in turn; the samples of each, by name."""
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            began = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - began)
    return samples


def _select(engine: Engine, query) -> list:
    with engine.connect() as c:
        return c.execute(query).all()


def _plan(connection, query) -> str:
    compiled = query.compile(dialect=connection.dialect)
    lines = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars()
    return " / ".join(line.strip().split("  (cost")[0] for line in lines)


def engine_only(booking: BookingService, provider_id: int, service_id: int, cmd: FindSlots,
                rows: list) -> Callable[[], object]:
    """`free_slots` with exactly the inputs find_slots gives it, read once, so only the engine is timed."""
    with booking.session_factory() as s:
        terms = read_terms(s, provider_id, service_id)
        schedule = load_schedule(s, provider_id, terms.timezone)
    shape, rules = terms.shape, terms.rules
    busy = [Interval(bs, be) for bs, be, _ in rows]
    now = booking.clock()
    return lambda: free_slots(schedule, shape, rules, start_date=cmd.start_date, end_date=cmd.end_date,
                              now=now, busy=busy)
