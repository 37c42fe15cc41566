"""The sweep: put back in the job queue what the database says should be there.

The database is the record of every notice promised; the queue (Redis) only carries them to
their time. Redis may lose jobs (a restart without persistence, a flush, a crash between a
commit and its enqueue), so the worker sweeps at start, every few minutes, and as soon as it
finds Redis came back empty:

- a notification still to be sent (scheduled, queued, retrying) whose job the queue does not
  know is queued again under its own job id: at its due time if that is still ahead, else now
  (the delivery re-reads the appointment, and a claim makes a second run send nothing);
- an upcoming appointment with no reminders for its current version has them planned (the
  planner's keys make that idempotent).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import ACTIVE_STATUSES, Appointment, Notification
from core.db.session import UnitOfWork
from core.notifications.planner import Planner
from core.notifications.ports import Jobs, notification_job_id
from core.notifications.records import CLAIMABLE

log = logging.getLogger(__name__)
PLAN_AT_ONCE = 500  # appointments planned per sweep; the next sweep takes the rest


@dataclass(frozen=True)
class Swept:
    requeued: list[int]  # notification ids queued again
    planned: list[int]   # appointment ids whose reminders were planned


class Sweep:
    """Both halves of the sweep over one database and job queue; `run` does them in turn."""

    def __init__(self, session_factory: sessionmaker[Session], jobs: Jobs, planner: Planner, *,
                 offsets: list[timedelta], clock: Callable[[], datetime]):
        self.session_factory, self.jobs, self.planner = session_factory, jobs, planner
        self.offsets, self.clock = offsets, clock

    def run(self) -> Swept:
        """Both halves; reminders planned now are queued by the planner itself."""
        swept = Swept(requeued=self.requeue_lost(), planned=self.plan_missing())
        if swept.requeued or swept.planned:
            log.info("sweep: queued %d lost notification job(s) again, planned reminders of %d appointment(s)",
                     len(swept.requeued), len(swept.planned))
        return swept

    def requeue_lost(self) -> list[int]:
        """Queue again each notification still to be sent whose job is not in the queue."""
        with UnitOfWork(self.session_factory) as uow:
            rows = uow.session.execute(select(
                Notification.id, Notification.status, Notification.due_at, Notification.payload)
                .where(Notification.status.in_(CLAIMABLE)).order_by(Notification.id)).all()
        known = self.jobs.known()  # read after the rows: a job queued since the read is seen
        now, requeued = self.clock(), []
        for row in rows:
            job_id = notification_job_id(row.id, (row.payload or {}).get("round", 0))
            if job_id in known:
                continue
            if row.status == "scheduled" and row.due_at is not None and row.due_at > now:
                self.jobs.enqueue_at(row.due_at, "deliver", row.id, job_id=job_id, retry=True)
            else:
                self.jobs.enqueue("deliver", row.id, job_id=job_id, retry=True)
            requeued.append(row.id)
        return requeued

    def plan_missing(self) -> list[int]:
        """Plan the reminders of upcoming appointments that have none for their current version."""
        if not self.offsets:
            return []
        # An appointment closer than the smallest offset can have no reminder still ahead of it.
        soonest = self.clock() + min(self.offsets)
        has_reminders = select(Notification.id).where(
            Notification.appointment_id == Appointment.id, Notification.kind == "reminder",
            Notification.version == Appointment.version).exists()
        with UnitOfWork(self.session_factory) as uow:
            ids = list(uow.session.scalars(select(Appointment.id).where(
                Appointment.status.in_(ACTIVE_STATUSES), Appointment.start_at > soonest, ~has_reminders)
                .order_by(Appointment.start_at).limit(PLAN_AT_ONCE)))
        for appointment_id in ids:
            self.planner.sync_reminders(appointment_id)
        return ids
