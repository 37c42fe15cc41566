"""The RQ worker entry (`slotline worker`): RQ's worker with its scheduler on, and the jobs it runs.

What to send and when lives in `core.notifications`; here are only the RQ side of it:
`RqJobs` (the core's `Jobs` port on an RQ queue) and the job functions RQ imports by name
(`worker.run_delivery`...). This module imports no web or channel code: the container the
jobs use (database, senders) is built on the first job a process runs, once per process.

The worker is a `SimpleWorker`: jobs are short sends, so one long-lived process keeps its
database pool and platform clients rather than forking (and rebuilding them) for each job.
"""
from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from redis import Redis
from rq import Queue, Retry, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from config.settings import Settings, get_settings
from core.notifications.agenda import next_tick
from core.notifications.ports import RETRY_BACKOFF

if TYPE_CHECKING:
    from slotline.bootstrap import Container

QUEUE = "slotline"
QUEUES = (QUEUE,)
AGENDA_TICK = "agenda_tick"
FUNCTIONS = {"event": "worker.run_event", "deliver": "worker.run_delivery", AGENDA_TICK: "worker.run_agenda_tick"}
log = logging.getLogger(__name__)


class RqJobs:
    """The `Jobs` port on an RQ queue: named jobs, now or at an instant (RQ's scheduler), by job id."""

    def __init__(self, connection: Redis, queue: str = QUEUE):
        self.connection = connection
        self.queue = Queue(queue, connection=connection)

    def enqueue(self, name: str, *args, job_id: str, retry: bool = False) -> None:
        self.queue.enqueue(FUNCTIONS[name], *args, job_id=job_id, retry=_retry(retry))

    def enqueue_at(self, when: datetime, name: str, *args, job_id: str, retry: bool = False) -> None:
        self.queue.enqueue_at(when.astimezone(UTC), FUNCTIONS[name], *args, job_id=job_id, retry=_retry(retry))

    def cancel(self, job_id: str) -> None:
        try:
            Job.fetch(job_id, connection=self.connection).delete()
        except NoSuchJobError:
            pass

    def scheduled(self) -> dict[str, datetime]:
        """Job id -> the UTC instant RQ's scheduler will queue it."""
        registry = ScheduledJobRegistry(queue=self.queue)
        return {job_id: registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()}

    def release_due(self, at: datetime) -> list[str]:
        """Queue the scheduled jobs due by `at`, as RQ's scheduler does when that instant comes."""
        registry = ScheduledJobRegistry(queue=self.queue)
        due = registry.get_jobs_to_schedule(int(at.timestamp()))
        for job in Job.fetch_many(due, connection=self.connection):
            if job is not None:
                self.queue._enqueue_job(job)  # what RQScheduler.enqueue_scheduled_jobs does
        for job_id in due:
            registry.remove(job_id)
        return due


def _retry(retry: bool) -> Retry | None:
    return Retry(max=len(RETRY_BACKOFF), interval=list(RETRY_BACKOFF)) if retry else None


# -- the jobs -------------------------------------------------------------------------------
_container: tuple[int, Container] | None = None
_wiring: tuple[Settings, Redis] | None = None  # what `main` runs on, for the container built later


def install(container: Container | None) -> None:
    """Use this container for the jobs of this process (tests); None forgets it."""
    global _container
    _container = (os.getpid(), container) if container is not None else None


def container() -> Container:
    """This process's container, built on its first job (again after a fork) from `main`'s settings and Redis,
    or from the environment when RQ's own `rq worker` runs the jobs."""
    if _container is None or _container[0] != os.getpid():
        from slotline.bootstrap import build

        settings, redis = _wiring or (get_settings(), True)
        install(build(settings, redis=redis))
    return _container[1]


def run_event(kind: str, appointment_id: int, version: int, extra: dict | None = None) -> list[int]:
    return container().notifications.on_event(kind, appointment_id, version, extra)


def run_delivery(notification_id: int) -> str:
    return container().notifications.deliver(notification_id)


def run_agenda_tick() -> list[int]:
    """Queue the agendas now due, then the next tick (one chain: every worker names the same next one)."""
    notifications = container().notifications
    try:
        return notifications.agenda_tick()
    finally:
        schedule_agenda_tick(notifications.jobs, next_tick(notifications.clock()))


def schedule_agenda_tick(jobs: RqJobs, at: datetime) -> None:
    jobs.enqueue_at(at, AGENDA_TICK, job_id=f"slotline-agenda-tick-{int(at.timestamp())}")


# -- the process ----------------------------------------------------------------------------
def queues(connection) -> list[Queue]:
    return [Queue(name, connection=connection) for name in QUEUES]


def main(settings: Settings | None = None, *, burst: bool = False) -> bool:
    """Run a worker until stopped (or, with `burst`, until the queues are empty)."""
    global _wiring
    from slotline.bootstrap import connect_redis

    settings = settings or get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    connection = connect_redis(settings)
    _wiring = (settings, connection)
    schedule_agenda_tick(RqJobs(connection), next_tick(datetime.now(UTC)))
    try:
        return SimpleWorker(queues(connection), connection=connection).work(burst=burst, with_scheduler=True)
    finally:
        if _container is not None and _container[0] == os.getpid():
            _container[1].close()
