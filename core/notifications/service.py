"""Notifications as the rest of Slotline sees them: one object the worker's jobs and the CLI call."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from core.booking import outbox as booking_outbox  # the events' table (`Outbox` here routes messages)
from core.booking.service import BookingService
from core.conversation.store import ConversationStore
from core.db.models import Notification
from core.db.session import UnitOfWork
from core.notifications import admin, records
from core.notifications.agenda import Agendas
from core.notifications.delivery import Delivery
from core.notifications.planner import Planner
from core.notifications.ports import AgendaPoster, Jobs, deliver_now
from core.notifications.relay import OutboxRelay
from core.notifications.sender import Outbox
from core.notifications.sweep import Sweep, Swept
from core.notifications.waitlist import WaitingList
from core.notifications.weekly import WeeklySummaries

log = logging.getLogger(__name__)
OUTBOX_BATCH = 200  # outbox events read per relay round


class Notifications:
    """Plans (`on_event`), sends (`deliver`), posts agendas (`agenda_tick`), relays the outbox
    (`relay_outbox`), puts back what Redis lost (`sweep`), and looks after failures."""

    def __init__(self, session_factory: sessionmaker[Session], outbox: Outbox, jobs: Jobs, *,
                 offsets: list[timedelta], clock: Callable[[], datetime],
                 conversations: ConversationStore | None = None, agendas: AgendaPoster | None = None,
                 booking: BookingService | None = None):
        self.session_factory, self.jobs, self.clock = session_factory, jobs, clock
        # Freed time offered to the waiting list: needs the booking core's holds and slot checks.
        self.waiting_list = (WaitingList(booking, jobs, clock=clock, outbox=outbox)
                             if booking is not None else None)
        self.planner = Planner(session_factory, jobs, outbox, offsets=offsets, clock=clock)
        self.delivery = Delivery(session_factory, outbox, jobs, clock=clock, conversations=conversations,
                                 agendas=agendas)
        self.agendas = Agendas(session_factory, jobs, clock=clock)
        self.weekly = WeeklySummaries(session_factory, jobs, clock=clock)
        self.relay = OutboxRelay(session_factory, jobs, clock=clock)
        self.sweeper = Sweep(session_factory, jobs, self.planner, offsets=offsets, clock=clock)

    def on_event(self, kind: str, appointment_id: int, version: int, extra: dict | None = None,
                 outbox_id: int | None = None) -> list[int]:
        """Plan what a booking event calls for; then its outbox row (when it came through one) is done.

        Time it freed is offered to the waiting list first: if that fails, the event is not done,
        and the sweep queues it again."""
        if self.waiting_list is not None:
            self.waiting_list.on_event(kind, appointment_id, extra)
        queued = self.planner.on_event(kind, appointment_id, version, extra) if appointment_id is not None else []
        if outbox_id is not None:
            self.relay.done(outbox_id)
        return queued

    def deliver(self, notification_id: int) -> str:
        return self.delivery.deliver(notification_id)

    def release_abandoned(self, notification_id: int) -> bool:
        """A delivery whose worker died mid-send (known dead by the job queue): its claim is given back and
        it is queued again at once; False when it was not left mid-send (sent, or never claimed)."""
        row = records.release(self.session_factory, notification_id, self.clock(),
                              "interrupted: its worker stopped before recording an outcome; sending again")
        if row is None:
            return False
        deliver_now(self.jobs, [row.id], (row.payload or {}).get("round", 0))
        return True

    def expire_offer(self, offer_id: int) -> bool:
        """A waiting-list offer's time is up: close it, and pass its time on."""
        return self.waiting_list.expire(offer_id) if self.waiting_list is not None else False

    def agenda_tick(self) -> list[int]:
        """The daily agendas now due, and on Mondays the weekly summaries."""
        return self.agendas.tick() + self.weekly.tick()

    def relay_outbox(self) -> int:
        """Queue every booking event still waiting in the outbox; returns how many. Stops when the queue refuses."""
        total = 0
        while (queued := self.relay.relay(limit=OUTBOX_BATCH)) == OUTBOX_BATCH:
            total += queued
        return total + queued

    def sweep(self, *, queue_emptied: bool = False) -> Swept:
        """Queue again the event and notification jobs Redis lost, plan missing reminders, forget old events.
        `queue_emptied`: Redis came back without its data, so an event relayed a moment ago is lost too."""
        if lost := self.relay.requeue_lost(queue_emptied=queue_emptied):
            log.info("sweep: queued %d booking event(s) again whose job was lost", len(lost))
        swept = self.sweeper.run()
        if self.waiting_list is not None:
            self.waiting_list.sweep()
        self.relay.prune()
        return swept

    def outbox_backlog(self) -> tuple[int, datetime | None]:
        """Booking events waiting for the job queue (Redis away, or no worker relaying), and the oldest's time."""
        with UnitOfWork(self.session_factory) as uow:
            return booking_outbox.backlog(uow.session)

    def failed(self) -> list[Notification]:
        return admin.failed(self.session_factory, self.clock())

    def requeue(self, notification_id: int) -> Notification:
        return admin.requeue(self.session_factory, self.jobs, notification_id, self.clock())

    def requeue_failed(self) -> list[Notification]:
        return [self.requeue(row.id) for row in self.failed()]
