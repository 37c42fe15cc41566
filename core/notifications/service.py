"""Notifications as the rest of Slotline sees them: one object the worker's jobs and the CLI call."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from core.conversation.store import ConversationStore
from core.db.models import Notification
from core.notifications import admin
from core.notifications.agenda import Agendas
from core.notifications.delivery import Delivery
from core.notifications.planner import Planner
from core.notifications.ports import AgendaPoster, Jobs
from core.notifications.sender import Outbox


class Notifications:
    """Plans (`on_event`), sends (`deliver`), posts agendas (`agenda_tick`), and looks after failures."""

    def __init__(self, session_factory: sessionmaker[Session], outbox: Outbox, jobs: Jobs, *,
                 offsets: list[timedelta], clock: Callable[[], datetime],
                 conversations: ConversationStore | None = None, agendas: AgendaPoster | None = None):
        self.session_factory, self.jobs, self.clock = session_factory, jobs, clock
        self.planner = Planner(session_factory, jobs, outbox, offsets=offsets, clock=clock)
        self.delivery = Delivery(session_factory, outbox, jobs, clock=clock, conversations=conversations,
                                 agendas=agendas)
        self.agendas = Agendas(session_factory, jobs, clock=clock)

    def on_event(self, kind: str, appointment_id: int, version: int, extra: dict | None = None) -> list[int]:
        return self.planner.on_event(kind, appointment_id, version, extra)

    def deliver(self, notification_id: int) -> str:
        return self.delivery.deliver(notification_id)

    def agenda_tick(self) -> list[int]:
        return self.agendas.tick()

    def failed(self) -> list[Notification]:
        return admin.failed(self.session_factory, self.clock())

    def requeue(self, notification_id: int) -> Notification:
        return admin.requeue(self.session_factory, self.jobs, notification_id, self.clock())

    def requeue_failed(self) -> list[Notification]:
        return [self.requeue(row.id) for row in self.failed()]
