"""How many bookings a second the booking core sustains on PostgreSQL, against raw INSERTs.

Both sides write into the same `appointments` table, behind the same `appointments_no_overlap`
exclusion constraint, from the same number of threads over the same engine and connection
pool, one appointment per transaction, at distinct non-overlapping times spread over many
providers and days:

- raw: one INSERT of every column the core writes, in its own transaction;
- core: `BookingService.book(Book(...))` with real Redis coordination: provider lock and holds, the
  slot check against hours and rules, the INSERT (the database refuses overlaps) and its audit row.

Rounds of `--seconds` alternate raw, core, raw, core... (`--rounds` of each, tables truncated
before every round, so drifting machine load hits both sides alike), and the medians are
printed with the core/raw ratio and the client CPU each booking costs. Then a single-thread
pass counts database and Redis round trips per booking, another runs under cProfile (written
under --out), and `find_slots` for one provider-month is timed against one indexed SELECT.

    .venv/bin/python benchmarks/booking_throughput.py            # own PostgreSQL + Redis, about a minute
    .venv/bin/python benchmarks/booking_throughput.py --database-url postgresql://... --redis-url redis://...

A given database must be empty and disposable: its booking tables are truncated.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis  # noqa: E402  (path set up above so the script runs from the repo root or anywhere)
from sqlalchemy import Engine, insert, make_url  # noqa: E402

from benchmarks.booking_availability import measure_availability  # noqa: E402
from benchmarks.booking_fixture import (  # noqa: E402
    NOW, CountingRedis, SqlMeter, TimedCoordination, World, appointment_row, free_starts, make_business,
    profile_twice, require_empty, servers, truncate_bookings,
)
from config.settings import normalise_database_url  # noqa: E402
from core.booking import errors  # noqa: E402
from core.booking.commands import Book  # noqa: E402
from core.booking.coordination import LOCK_RETRY_SECONDS  # noqa: E402
from core.booking.service import BookingService  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.db.models import Appointment  # noqa: E402
from core.db.session import PING_IDLE, make_engine, make_session_factory  # noqa: E402
from tests.factories import FixedClock  # noqa: E402
from tests.servers import ServerUnavailable  # noqa: E402

Job = tuple[int, datetime]  # (provider id, start)
Work = Callable[[int, Job], None]  # (sequence number, job) -> one booking, or raise


@dataclass
class Round:
    done: int
    seconds: float
    cpu: float  # this process's CPU time over the round, all threads
    latencies: list[float]
    failures: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.done / self.seconds


def run_round(work: Work, jobs: Sequence[Job], *, threads: int, seconds: float) -> Round:
    """`threads` threads take jobs in order until `seconds` have passed; a job that fails is counted, not retried."""
    taken, lock = iter(range(len(jobs))), threading.Lock()
    latencies: list[float] = []
    failures: Counter = Counter()
    start = threading.Barrier(threads + 1)
    deadline = [0.0]  # set just before the barrier opens, so every thread sees the same one

    def worker() -> None:
        start.wait()
        while time.perf_counter() < deadline[0]:
            with lock:
                i = next(taken, None)
            if i is None:
                failures["(out of free slots)"] += 1
                return
            began = time.perf_counter()
            try:
                work(i, jobs[i])
            except errors.BookingError as exc:
                failures[type(exc).__name__] += 1
                continue
            latencies.append(time.perf_counter() - began)  # list.append is atomic under the GIL

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    began, cpu = time.perf_counter(), time.process_time()
    deadline[0] = began + seconds
    start.wait()
    for thread in pool:
        thread.join()
    if failures["(out of free slots)"]:
        raise SystemExit("ran out of free slots: book over more --days or shorten --seconds")
    return Round(len(latencies), time.perf_counter() - began, time.process_time() - cpu, latencies, failures)


def raw_insert(engine: Engine, world: World, tag: str) -> Work:
    """One INSERT per transaction with every column the core writes (it fills the defaults itself)."""
    table = Appointment.__table__

    def work(i: int, job: Job) -> None:
        with engine.begin() as c:
            c.execute(insert(table), appointment_row(world, i, *job, tag=tag))
    return work


def core_book(booking: BookingService, world: World, tag: str) -> Work:
    def work(i: int, job: Job) -> None:
        provider_id, start = job
        booking.book(Book(world.service_id, provider_id, world.client_ids[i % len(world.client_ids)], start,
                          idempotency_key=f"{tag}-{i}", channel="web"))
    return work


def compare(sides: dict[str, Callable[[str], Work]], engine: Engine, jobs: Sequence[Job],
            args: argparse.Namespace, warmed: Callable[[], None]) -> dict[str, list[Round]]:
    """A short warm-up of each side (pool, caches), `warmed()`, then `args.rounds` timed rounds of each, alternating."""
    for name, make_work in sides.items():
        truncate_bookings(engine)
        run_round(make_work(f"{name}-warm"), jobs, threads=args.threads, seconds=min(0.5, args.seconds))
    warmed()
    rounds: dict[str, list[Round]] = {name: [] for name in sides}
    for n in range(args.rounds):
        for name, make_work in sides.items():
            truncate_bookings(engine)
            r = run_round(make_work(f"{name}-{n}"), jobs, threads=args.threads, seconds=args.seconds)
            rounds[name].append(r)
            failed = f", failed {dict(r.failures)}" if r.failures else ""
            print(f"  {name:4} round {n + 1}: {r.done:6d} in {r.seconds:4.2f} s = {r.rate:5.0f}/s, median latency "
                  f"{statistics.median(r.latencies) * 1e3:6.2f} ms, client CPU {r.cpu / r.done * 1e3:5.2f} ms each"
                  + failed, flush=True)
    return rounds


def summary(rounds: dict[str, list[Round]], lock_waits: list[float]) -> None:
    """Medians over rounds: rate, latency (median of the rounds' medians; tails pooled), client CPU per booking."""
    rates = {}
    print(f"\nmedian over {len(rounds['raw'])} rounds:")
    for name, label in (("raw", "raw INSERT"), ("core", "core book")):
        rs = rounds[name]
        rates[name] = statistics.median(r.rate for r in rs)
        median = statistics.median(statistics.median(r.latencies) for r in rs)
        pooled = sorted(x for r in rs for x in r.latencies)
        p90, p99 = (pooled[min(len(pooled) - 1, int(q * len(pooled)))] * 1e3 for q in (0.9, 0.99))
        cpu = statistics.median(r.cpu / r.done for r in rs) * 1e3
        print(f"  {label:10} {rates[name]:6.0f} bookings/s   latency median {median * 1e3:6.2f} ms, p90 {p90:6.2f} ms, "
              f"p99 {p99:6.2f} ms   client CPU {cpu:5.2f} ms/booking")
    slow = sum(w >= 0.05 for w in lock_waits) / len(lock_waits)
    print(f"  core's Redis provider-lock wait: median {statistics.median(lock_waits) * 1e3:.2f} ms, mean "
          f"{statistics.mean(lock_waits) * 1e3:.2f} ms; {slow:.1%} of bookings waited >= 50 ms "
          f"(a busy provider lock is retried every {LOCK_RETRY_SECONDS * 1e3:.0f} ms)")
    ratio = rates["core"] / rates["raw"]
    print(f"  core / raw = {ratio:.3f}  ({'meets' if ratio >= 0.2 else 'BELOW'} the 1/5 target)")


def count_round_trips(booking: BookingService, engine: Engine, world: World, jobs: Sequence[Job], n: int) -> None:
    """One thread, `n` raw INSERTs then `n` bookings, with every SQL statement and Redis command counted."""
    passes = {}
    for name, work in (("raw", raw_insert(engine, world, "count-raw")), ("core", core_book(booking, world, "count"))):
        truncate_bookings(engine)
        booking.coordination.redis.calls.clear()
        with SqlMeter(engine).watching() as meter:
            began = time.perf_counter()
            for i in range(n):
                work(i, jobs[i])
            passes[name] = (meter, time.perf_counter() - began, Counter(booking.coordination.redis.calls))
    (raw, _, _), (meter, elapsed, redis_calls) = passes["raw"], passes["core"]
    print(f"\nround trips per booking (one thread, {n} bookings, {elapsed / n * 1e3:.2f} ms each with counting on, "
          f"{sum(meter.seconds.values()) / n * 1e3:.2f} ms of it inside SQL statements):")
    print(f"  PostgreSQL {meter.round_trips / n:4.1f}   (raw INSERT: {raw.round_trips / n:.1f} = "
          + ", ".join(f"{k} {v / n:.1f}" for k, v in raw.calls.most_common()) + ")")
    for shape, calls in meter.calls.most_common():
        spent = f"{meter.seconds[shape] / calls * 1e3:6.3f} ms each" if shape in meter.seconds else ""
        print(f"    {calls / n:4.1f} x {shape:68} {spent}")
    print(f"  Redis      {sum(redis_calls.values()) / n:4.1f}   ("
          + ", ".join(f"{k} {v / n:.1f}" for k, v in redis_calls.most_common()) + ")")


def profile_core(booking: BookingService, engine: Engine, world: World, jobs: Sequence[Job], n: int,
                 out: Path) -> None:
    """One thread, `n` bookings under cProfile, by wall-clock and by CPU time; the top entries go to `out`."""
    def run(label: str) -> None:
        truncate_bookings(engine)
        work = core_book(booking, world, f"profile-{label}")
        for i in range(n):
            work(i, jobs[i])

    profile_twice(run, f"BookingService.book, one thread, {n} bookings", out)
    print(f"\nprofile of {n} single-thread bookings, top 15 cumulative: {out}  (pstats: {out.with_suffix('.prof')})")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty, disposable PostgreSQL database (default: start one)")
    parser.add_argument("--redis-url", help="a Redis to coordinate on (default: start one)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--providers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one timed round")
    parser.add_argument("--days", type=int, default=365, help="days of slots to book into (within the horizon)")
    parser.add_argument("--passes", type=int, default=200, help="bookings in the counted and profiled passes")
    parser.add_argument("--durable", action="store_true", help="own PostgreSQL with fsync and synchronous commit on")
    parser.add_argument("--out", type=Path, default=Path("/tmp/slotline-bench"), help="where profiles go")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    wall = time.perf_counter()
    given = normalise_database_url(args.database_url) if args.database_url else None
    try:
        with servers(given, args.redis_url, durable=args.durable) as (database_url, redis_url):
            print(f"PostgreSQL {make_url(database_url).render_as_string()}, Redis {redis_url}", flush=True)
            upgrade(url=database_url)
            engine = make_engine(database_url, pool_size=args.threads)
            client = CountingRedis.from_url(redis_url)
            try:
                require_empty(engine)
                run(args, engine, client)
            finally:
                client.close()
                engine.dispose()
    except ServerUnavailable as exc:
        raise SystemExit(f"cannot start a server for the benchmark: {exc}") from None
    print(f"\ntotal {time.perf_counter() - wall:.0f} s, load average now {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")


def run(args: argparse.Namespace, engine: Engine, client: redis.Redis) -> None:
    session_factory = make_session_factory(engine)
    world = make_business(session_factory, providers=args.providers, clients=500, horizon_days=args.days + 35)
    coordination = TimedCoordination(client)
    booking = BookingService(session_factory, coordination, clock=FixedClock(NOW))
    jobs = free_starts(world, args.days)
    print(f"{len(world.provider_ids)} providers, {len(jobs)} free 30-minute slots over {args.days} days, "
          f"{args.threads} threads, pool {args.threads}+{args.threads * 2} (pre-ping after {PING_IDLE:g} s idle), "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    rounds = compare({"raw": lambda tag: raw_insert(engine, world, tag),
                      "core": lambda tag: core_book(booking, world, tag)}, engine, jobs, args,
                     warmed=coordination.waits.clear)
    summary(rounds, coordination.waits)
    count_round_trips(booking, engine, world, jobs, args.passes)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    profile_core(booking, engine, world, jobs, args.passes, args.out / f"booking-profile-{stamp}.txt")
    measure_availability(booking, engine, world, args.out / f"availability-profile-{stamp}.txt")


if __name__ == "__main__":
    main()
