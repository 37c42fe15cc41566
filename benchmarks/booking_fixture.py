"""What benchmarks/booking_throughput.py measures against: servers, a busy business, free slots, meters.

- `servers()`: the given PostgreSQL/Redis URLs, or throwaway servers from tests/servers.py.
- `make_business()`: N providers with the same hours (every day 08:00-20:00, lunch 12:00-13:00),
  a 30-minute service with no buffers on a 15-minute grid, a long horizon, many clients.
- `free_starts()`: distinct, non-overlapping starts (:00 and :30) over every provider and day,
  shuffled so consecutive bookings land on random providers and days, as real traffic does.
- `CountingRedis`: counts Redis commands sent; `TimedCoordination` times provider-lock waits.
- `SqlMeter`: counts every database round trip (pre-ping, BEGIN, statements, COMMIT/ROLLBACK)
  and the time spent in each statement shape, via SQLAlchemy events.
"""
from __future__ import annotations

import cProfile
import io
import pstats
import random
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import Engine, event, func, select, text

from core.booking import setup_writes
from core.booking.business_file import load_business
from core.booking.coordination import Coordination, ProviderLock
from core.db.models import Base, Provider, Service
from core.db.session import UnitOfWork
from tests.servers import PostgresServer, RedisServer

ZONE = "Europe/London"
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # the benchmark's fixed clock: before opening on day one
FIRST_DAY = date(2026, 12, 1)
OPEN, LUNCH = (8, 20), (12, 13)  # every day 08:00-20:00, lunch 12:00-13:00
DURATION = timedelta(minutes=30)


@dataclass(frozen=True)
class World:
    service_id: int
    provider_ids: list[int]
    client_ids: list[int]


@contextmanager
def servers(database_url: str | None, redis_url: str | None, *, durable: bool) -> Iterator[tuple[str, str]]:
    """(database URL, Redis URL): the given ones, or throwaway servers stopped when the block ends."""
    with ExitStack() as stack:
        if database_url is None:
            # The test server's defaults skip fsync; --durable measures with real commits instead.
            settings = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"} if durable else {}
            database_url = stack.enter_context(PostgresServer("slotline_bench", settings=settings)).url
        if redis_url is None:
            redis_url = stack.enter_context(RedisServer()).url
        yield database_url, redis_url


def require_empty(engine: Engine) -> None:
    """Refuse to run on a database that holds a business: the benchmark truncates tables."""
    with engine.connect() as c:
        if c.scalar(select(func.count()).select_from(Provider)):
            raise SystemExit("the database already holds providers; give the benchmark a disposable, empty database")


def make_business(session_factory, *, providers: int, clients: int, horizon_days: int) -> World:
    spec = {
        "business": {"name": "Benchmark salon", "timezone": ZONE, "minNoticeMinutes": 60,
                     "horizonDays": horizon_days, "slotIntervalMinutes": 15, "cancellationWindowHours": 24},
        "services": [{"name": "Consultation", "duration": int(DURATION.total_seconds() // 60)}],
        "providers": [{"name": f"Provider {i:03d}", "timezone": ZONE, "services": ["Consultation"],
                       "hours": {"mon-sun": f"{OPEN[0]:02d}:00-{OPEN[1]:02d}:00"},
                       "breaks": {"mon-sun": f"{LUNCH[0]:02d}:00-{LUNCH[1]:02d}:00"}}
                      for i in range(providers)],
    }
    with UnitOfWork(session_factory, write=True) as uow:
        s = uow.session
        load_business(s, spec)
        client_ids = [setup_writes.create_user(s, name=f"Client {i}", timezone=ZONE).id for i in range(clients)]
        service_id = s.scalar(select(Service.id))
        provider_ids = list(s.scalars(select(Provider.id).order_by(Provider.id)))
        uow.commit()
    return World(service_id, provider_ids, client_ids)


def day_starts(day: date) -> list[datetime]:
    """The day's bookable :00/:30 starts in the provider's zone; no two of them overlap."""
    zone = ZoneInfo(ZONE)
    starts = []
    for hour in range(OPEN[0], OPEN[1]):
        if LUNCH[0] <= hour < LUNCH[1]:
            continue
        starts += [datetime.combine(day, wall(hour, minute), zone) for minute in (0, 30)]
    return starts


def free_starts(world: World, days: int, seed: int = 1) -> list[tuple[int, datetime]]:
    """Every (provider, start) over `days` days from FIRST_DAY, in a random order."""
    per_day = [day_starts(FIRST_DAY + timedelta(days=d)) for d in range(days)]
    pairs = [(pid, start) for pid in world.provider_ids for starts in per_day for start in starts]
    random.Random(seed).shuffle(pairs)
    return pairs


def appointment_row(world: World, i: int, provider_id: int, start: datetime, *, tag: str) -> dict:
    """Every column `BookingService.book` writes for a 30-minute appointment, as one INSERT's parameters."""
    start = start.astimezone(UTC)
    client_id = world.client_ids[i % len(world.client_ids)]
    return dict(service_id=world.service_id, provider_id=provider_id, client_id=client_id,
                start_at=start, end_at=start + DURATION, block_start=start, block_end=start + DURATION,
                status="confirmed", version=1, idempotency_key=f"{tag}-{i}", confirmation_code=f"R{i:09d}",
                cancellation_reason=None, late_cancellation=False, channel="web", notes=None,
                created_at=NOW, updated_at=NOW)


def truncate_bookings(engine: Engine) -> None:
    """Empty what bookings write (appointments and what hangs off them, the audit log) between rounds."""
    names = [t.name for t in Base.metadata.sorted_tables
             if t.name in ("appointments", "appointment_resources", "notifications", "audit_log")]
    with engine.begin() as c:
        c.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))  # and what refers to them
        c.execute(text("ANALYZE appointments"))


class CountingRedis(redis.Redis):
    """A Redis client that counts the commands it sends, by name: one each is one round trip
    (no pipelines on the booking path). Counted here, not from INFO commandstats, because the
    server also counts the commands a Lua script runs inside itself."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls: Counter = Counter()

    def execute_command(self, *args, **options):
        self.calls[str(args[0]).lower()] += 1
        return super().execute_command(*args, **options)


class TimedCoordination(Coordination):
    """The real Redis coordination, noting how long each provider lock took to get."""

    def __init__(self, redis_client: redis.Redis | None, **options):
        super().__init__(redis_client, **options)
        self.waits: list[float] = []

    @contextmanager
    def provider_lock(self, provider_id: int, now: datetime | None = None) -> Iterator[ProviderLock]:
        began = time.perf_counter()
        with super().provider_lock(provider_id, now) as lock:
            self.waits.append(time.perf_counter() - began)
            yield lock


class SqlMeter:
    """Counts database round trips and time per statement shape while `with meter.watching():` is open.

    Statements come from `before/after_cursor_execute`; BEGIN, COMMIT and ROLLBACK from the
    connection events (psycopg sends each as its own round trip, except on an autocommit
    connection, where it sends none); the pre-ping from pool checkouts that pinged.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.calls: Counter = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self._started = threading.local()

    @contextmanager
    def watching(self) -> Iterator[SqlMeter]:
        hooks = [(self.engine, "before_cursor_execute", self._before),
                 (self.engine, "after_cursor_execute", self._after),
                 (self.engine, "begin", lambda conn: self._count_sent(conn, "BEGIN")),
                 (self.engine, "commit", lambda conn: self._count_sent(conn, "COMMIT")),
                 (self.engine, "rollback", lambda conn: self._count_sent(conn, "ROLLBACK")),
                 (self.engine.pool, "checkout", self._checked_out)]
        for target, name, fn in hooks:
            event.listen(target, name, fn)
        try:
            yield self
        finally:
            for target, name, fn in hooks:
                event.remove(target, name, fn)

    @property
    def round_trips(self) -> int:
        return sum(self.calls.values())

    def _checked_out(self, _dbapi_conn, record, _proxy) -> None:
        """A checkout pings only a connection idle a while (core/db/session.py: `slotline_pinged`)."""
        if record.info.get("slotline_pinged", True):
            self._count("(pool pre-ping)")

    def _count(self, shape: str) -> None:
        self.calls[shape] += 1

    def _count_sent(self, conn, shape: str) -> None:
        """BEGIN, COMMIT, ROLLBACK: SQLAlchemy's events fire on an autocommit connection too, but
        psycopg sends nothing there (checked with libpq's trace)."""
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            self._count(shape)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self._started.at = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        shape = _shape(statement)
        self.calls[shape] += 1
        self.seconds[shape] += time.perf_counter() - self._started.at


def _shape(statement: str) -> str:
    """A short, stable name for a statement: its verb, its tables and the FOR UPDATE/RETURNING tail."""
    flat = re.sub(r"\s+", " ", statement).strip()
    verb = flat.split(" ", 1)[0].upper()
    tables = sorted(set(re.findall(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+(\w+)", flat, re.IGNORECASE)))
    where = re.search(r"\bWHERE (.*?)(?: ORDER BY| LIMIT| FOR UPDATE| RETURNING|$)", flat)
    tail = " FOR UPDATE" if "FOR UPDATE" in flat else ""
    keys = ""
    if where:
        keys = " by " + ", ".join(sorted(set(re.findall(r"\w+\.(\w+) (?:=|IN|<|>|!=)", where.group(1)))))
    return f"{verb} {'+'.join(tables)}{keys}{tail}"


def profile_twice(run: Callable[[str], None], title: str, out: Path) -> None:
    """Run `run(label)` under cProfile by wall-clock time (waits on the servers show) and by this
    process's CPU time (what the GIL serialises). The top 15 cumulative entries of each, overall
    and within core/, go to `out`; the wall-clock stats also to `out` with a .prof suffix."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    for label, timer in (("wall-clock", time.perf_counter), ("CPU-time", time.process_time)):
        profiler = cProfile.Profile(timer)
        profiler.enable()
        run(label)
        profiler.disable()
        if label == "wall-clock":
            profiler.dump_stats(out.with_suffix(".prof"))
        text.write(f"===== {title}, {label} profile =====\n")
        stats = pstats.Stats(profiler, stream=text).sort_stats("cumulative")
        stats.print_stats(15)
        text.write(f"--- {label}, within core/ ---\n")
        stats.print_stats(r"/core/", 15)
    out.write_text(text.getvalue())
