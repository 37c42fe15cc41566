"""From the outbox to the job queue: each booking event queued as one "event" job, then marked relayed.

Called right after a change commits (the fast path, with that change's outbox rows) and by the
worker every few seconds (everything still pending). On the fast path the events of changes that
commit at the same time in one process are relayed together: one pipelined enqueue and one UPDATE
for all of them (see `OutboxRelay.__call__`). A row is marked relayed only after its job
is in the queue, so an event the queue could not take (Redis away) waits in the database for
the next relay. The worker marks it done once planned; one relayed a while ago, not done, and
unknown to the queue lost its job with Redis's data, and the sweep queues it again
(`requeue_lost`). A row relayed twice (two relays racing, a crash between queueing and
marking) queues the same job id again, and the planner's notification keys make that harmless:
each notice is still made, and sent, once.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from core.booking import outbox
from core.db.models import OutboxEvent
from core.db.session import UnitOfWork
from core.notifications.ports import Jobs

log = logging.getLogger(__name__)
KEEP_DONE = timedelta(days=7)  # done rows are kept a while for whoever looks into a notice
IN_FLIGHT = timedelta(minutes=2)  # a relayed event not done after this long may have lost its job
DRAIN_ROUNDS = 4  # a caller relays others' events for at most this many batches, then returns


def event_job_id(row: OutboxEvent) -> str:
    payload = row.payload or {}
    if payload.get("appointment_id") is None:  # time freed, about no appointment: the event is its own
        return f"slotline-event-x{row.id}"
    return f"slotline-event-{payload.get('appointment_id')}-v{payload.get('version')}"


class OutboxRelay:
    """Moves pending outbox events to the worker's queue. As `BookingService.publish` it never raises."""

    def __init__(self, session_factory: sessionmaker[Session], jobs: Jobs, *, clock: Callable[[], datetime]):
        self.session_factory, self.jobs, self.clock = session_factory, jobs, clock
        self._lock = threading.Lock()
        self._waiting: list[OutboxEvent] = []  # announced by a commit, not yet taken by a drainer
        self._draining = False

    def __call__(self, announced: list[OutboxEvent]) -> None:
        """The fast path, right after a commit: relay the events it wrote, or leave them for the worker.

        Per process, coalescing: the events join those of other threads' commits; a caller that finds
        no relay under way drains them all, a batch at a time (one pipelined enqueue, one UPDATE),
        while a caller that finds one under way leaves its events to it and returns at once. A
        drainer stops after `DRAIN_ROUNDS` batches (its own request waits meanwhile); what is left
        goes with the next caller's batch, and the worker's relay finds anything this process never
        relays (it ended, or the queue refused) in the outbox table."""
        if not announced:
            return
        with self._lock:
            self._waiting.extend(announced)
            if self._draining:
                return
            self._draining = True
        for _round in range(DRAIN_ROUNDS):
            with self._lock:
                batch, self._waiting = self._waiting, []
                if not batch:
                    self._draining = False
                    return
            try:
                self._queue(batch)
            except Exception:  # noqa: BLE001 - the changes are committed and their events are safe in the outbox
                log.exception("could not relay outbox events %s; the worker's relay will", [row.id for row in batch])
        with self._lock:
            self._draining = False

    def relay(self, *, limit: int = 200) -> int:
        """Queue the oldest `limit` pending events; returns how many were queued."""
        with UnitOfWork(self.session_factory) as uow:
            rows = outbox.pending(uow.session, limit=limit)
        return self._queue(rows)

    def _queue(self, rows: list[OutboxEvent]) -> int:
        """Queue the events in one pipeline, then mark them relayed in one UPDATE. A row is marked only
        after its job is in the queue: if the queue refuses the batch (it is away), none is marked,
        each counts a failed attempt, and all wait for the next relay."""
        if not rows:
            return 0
        ids = [row.id for row in rows]
        try:
            self.jobs.enqueue_many([self._job(row) for row in rows])
        except Exception as exc:  # noqa: BLE001 - any queue failure leaves the events pending, by design
            log.warning("outbox events %s wait: the job queue refused them (%s)", ids, exc)
            with UnitOfWork(self.session_factory, write=True) as uow:
                outbox.count_failed_attempt(uow.session, ids)
                uow.commit()
            return 0
        # Marking alone is one UPDATE, atomic by itself: no transaction around it (see UnitOfWork).
        with UnitOfWork(self.session_factory, write=True, autocommit=True) as uow:
            outbox.mark_relayed(uow.session, ids, self.clock())
            uow.commit()
        return len(ids)

    @staticmethod
    def _job(row: OutboxEvent) -> tuple[str, tuple, str]:
        payload = row.payload or {}
        return "event", (row.kind, payload["appointment_id"], payload["version"], payload.get("extra") or {},
                         row.id), event_job_id(row)

    def _enqueue(self, row: OutboxEvent) -> None:
        name, args, job_id = self._job(row)
        self.jobs.enqueue(name, *args, job_id=job_id)

    def done(self, event_id: int) -> None:
        """The worker has planned what the event calls for."""
        with UnitOfWork(self.session_factory, write=True) as uow:
            outbox.mark_done(uow.session, event_id, self.clock())
            uow.commit()

    def requeue_lost(self, *, queue_emptied: bool = False) -> list[int]:
        """Queue again the events relayed a while ago that no worker has done and the queue does not know;
        with `queue_emptied` (Redis came back without its data) every such event, however recent."""
        now = self.clock()
        with UnitOfWork(self.session_factory) as uow:
            rows = outbox.relayed_not_done(uow.session, before=now if queue_emptied else now - IN_FLIGHT)
        if not rows:
            return []
        known = self.jobs.known()
        lost = [row for row in rows if event_job_id(row) not in known]
        for row in lost:
            self._enqueue(row)
        ids = [row.id for row in lost]
        with UnitOfWork(self.session_factory, write=True) as uow:
            outbox.mark_relayed(uow.session, ids, now, again=True)  # `IN_FLIGHT` again before it counts as lost
            uow.commit()
        return ids

    def prune(self) -> int:
        """Forget events done more than `KEEP_DONE` ago; returns how many."""
        with UnitOfWork(self.session_factory, write=True) as uow:
            gone = uow.session.execute(delete(OutboxEvent).where(
                OutboxEvent.done_at < self.clock() - KEEP_DONE)).rowcount
            uow.commit()
        return gone or 0
