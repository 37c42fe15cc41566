"""The core's `Jobs` port on RQ: the queue the web app, the CLI and the worker all put jobs on.

Jobs are named by the core ("event", "deliver", "agenda_tick") and run by the functions in
`worker` that RQ imports by name when a job runs; nothing here imports `worker` (the names
are strings), so the composition root can build this without the worker, and the worker can
use the composition root.
"""
from __future__ import annotations

from datetime import UTC, datetime

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from core.notifications.ports import RETRY_BACKOFF

QUEUE = "slotline"
QUEUES = (QUEUE,)
AGENDA_TICK = "agenda_tick"
FUNCTIONS = {"event": "worker.run_event", "deliver": "worker.run_delivery", AGENDA_TICK: "worker.run_agenda_tick",
             "expire_requests": "worker.run_expire_requests"}
FUNCTIONS["offer_expiry"] = "worker.run_offer_expiry"  # a waiting-list offer's time is up


class RqJobs:
    """The `Jobs` port on an RQ queue: named jobs, now or at an instant (RQ's scheduler), by job id."""

    def __init__(self, connection: Redis, queue: str = QUEUE):
        self.connection = connection
        self.queue = Queue(queue, connection=connection)

    def enqueue(self, name: str, *args, job_id: str, retry: bool = False) -> None:
        self.queue.enqueue(FUNCTIONS[name], *args, job_id=job_id, retry=_retry(retry))

    def enqueue_many(self, jobs: list[tuple[str, tuple, str]]) -> None:
        # One MULTI/EXEC pipeline: one round trip for the lot, and all of them or none.
        self.queue.enqueue_many([Queue.prepare_data(FUNCTIONS[name], args, job_id=job_id)
                                 for name, args, job_id in jobs])

    def enqueue_at(self, when: datetime, name: str, *args, job_id: str, retry: bool = False) -> None:
        self.queue.enqueue_at(when.astimezone(UTC), FUNCTIONS[name], *args, job_id=job_id, retry=_retry(retry))

    def cancel(self, job_id: str) -> None:
        try:
            Job.fetch(job_id, connection=self.connection).delete()
        except NoSuchJobError:
            pass

    def known(self) -> set[str]:
        # Read in the order a job moves (scheduled, queued, taken, started): one moving meanwhile is still seen.
        ids = set(ScheduledJobRegistry(queue=self.queue).get_job_ids(cleanup=False))
        ids.update(self.queue.get_job_ids())
        ids.update(self.queue.intermediate_queue.get_job_ids())
        ids.update(StartedJobRegistry(queue=self.queue).get_job_ids(cleanup=False))
        return ids

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
