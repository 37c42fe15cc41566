"""The RQ worker entry (`slotline worker`): RQ's worker with its scheduler on, and the jobs it runs.

What to send and when lives in `core.notifications`; here are only the RQ side of it:
the job functions RQ imports by name (`worker.run_delivery`...) and the worker process; the
queue they are put on is `slotline.jobs.RqJobs`. The container the jobs use (database,
senders) is built by the composition root on the first job a process runs, once per process.

The worker is a `SimpleWorker`: jobs are short sends, so one long-lived process keeps its
database pool and platform clients rather than forking (and rebuilding them) for each job.
It recovers alone when Redis goes away and comes back (`SlotlineWorker`, and `main`'s loop
that starts a new worker loop when RQ's ends), and between jobs it relays the booking events
waiting in the outbox and sweeps back the jobs Redis lost (`Tending`).
"""
from __future__ import annotations

import logging
import os
import socket
import time
from datetime import UTC, datetime

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.exceptions import NoSuchJobError, StopRequested
from rq.executions import Execution
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler

from config.settings import Settings, get_settings
from core.booking import clients
from core.booking.approval import Approvals
from core.notifications.agenda import next_tick
from slotline.bootstrap import Container, build, connect_redis
from slotline.jobs import AGENDA_TICK, FUNCTIONS, QUEUE, QUEUES, RqJobs  # noqa: F401  (QUEUE: the queue this works)
log = logging.getLogger(__name__)


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
        settings, redis = _wiring or (get_settings(), True)
        install(build(settings, redis=redis))
    return _container[1]


def run_event(kind: str, appointment_id: int, version: int, extra: dict | None = None,
              outbox_id: int | None = None) -> list[int]:
    return container().notifications.on_event(kind, appointment_id, version, extra, outbox_id)


def run_delivery(notification_id: int) -> str:
    return container().notifications.deliver(notification_id)


def run_offer_expiry(offer_id: int) -> bool:
    """A waiting-list offer's time is up: close it, and pass its time to the next waiting client."""
    return container().notifications.expire_offer(offer_id)


def run_agenda_tick() -> list[int]:
    """Queue the agendas now due, then the next tick (one chain: every worker names the same next one)."""
    notifications = container().notifications
    try:
        return notifications.agenda_tick()
    finally:
        schedule_agenda_tick(notifications.jobs, next_tick(notifications.clock()))


def run_expire_requests() -> list[int]:
    """Lapse the requests awaiting approval that nobody answered in time (`core.booking.approval`)."""
    return Approvals(container().booking).expire_due()


def schedule_agenda_tick(jobs: RqJobs, at: datetime) -> None:
    jobs.enqueue_at(at, AGENDA_TICK, job_id=f"slotline-agenda-tick-{int(at.timestamp())}")


# -- the process ----------------------------------------------------------------------------
TEND_SECONDS = 3       # an idle worker wakes this often to tend (and notices Redis is back this soon)
RELAY_SECONDS = 2      # the outbox is relayed at most this often (the web app relays at once when it can)
SWEEP_SECONDS = 300    # and swept this often, and whenever Redis has come back empty
RESTART_SECONDS = 2    # pause before a worker loop that ended (Redis away) starts again
SWEPT_KEY = "slotline:worker:swept"  # gone when Redis is new or lost its data: sweep at once
SCHEDULER_LOCK_TTL = 61  # what RQ's scheduler sets on its lock (its interval + 60) at every beat
STALE_LOCK_SECONDS = 15
_DROP_STALE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('TTL', KEYS[1]) < tonumber(ARGV[2]) then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def queues(connection) -> list[Queue]:
    return [Queue(name, connection=connection) for name in QUEUES]


class Tending:
    """What a worker does between jobs; Redis being away only postpones it (each step retries next time).

    - restart the scheduler process if it died (it dies with Redis; RQ itself would wait for its
      ten-minute maintenance to start it again);
    - send again the deliveries a dead worker had claimed (`recover_abandoned`);
    - relay the booking events waiting in the outbox;
    - sweep at start, every `SWEEP_SECONDS`, and as soon as Redis has come back empty.
    """

    def __init__(self, worker: SlotlineWorker):
        self.worker = worker
        self.relay_due = self.sweep_due = 0.0

    def __call__(self) -> None:
        for step in (self.revive_scheduler, self.recover_abandoned, self.relay, self.sweep):
            try:
                step()
            except StopRequested:
                raise
            except Exception as exc:  # noqa: BLE001 - the worker must live on: the step is retried next time
                log.warning("worker: %s postponed: %s", step.__name__.replace("_", " "), exc)
            if self.worker.stopping:  # RQ's StopRequested may have been caught inside a step, as a failure
                raise StopRequested()

    def revive_scheduler(self) -> None:
        scheduler = self.worker.scheduler
        if self.worker.burst or scheduler is None:
            return  # a burst worker queues the due jobs once at its start, and has no scheduler process
        if not (scheduler._process and scheduler._process.is_alive()):
            # What RQ's own maintenance does, but now rather than within ten minutes.
            if scheduler.acquire_locks(auto_start=True):
                log.info("worker: scheduler started again")
            else:
                self.free_stale_scheduler_locks()

    def free_stale_scheduler_locks(self) -> None:
        """A scheduler killed outright (a worker's SIGKILL) keeps its lock for a minute: drop the
        lock once it has gone unrefreshed for `STALE_LOCK_SECONDS` (a live one refreshes it every
        second), so this worker's scheduler takes over at its next tend."""
        connection = self.worker.connection
        for name in self.worker.queue_names():
            key = RQScheduler.get_locking_key(name)
            owner = connection.get(key)
            fresh_enough = SCHEDULER_LOCK_TTL - STALE_LOCK_SECONDS
            if owner is not None and connection.eval(_DROP_STALE_LOCK, 1, key, owner, fresh_enough):
                log.warning("worker: dropped the lock of scheduler %s, silent for %d s", owner.decode(),
                            STALE_LOCK_SECONDS)

    def recover_abandoned(self) -> None:
        """A worker killed mid-delivery leaves its job in RQ's started registry and the notification
        claimed ("sending"), which no later run of the job may take. RQ itself would only call the job
        abandoned once its heartbeat lapses (the job timeout and a minute), and then retry it into
        that claim. So a delivery whose worker is dead (gone from Redis, or a process of this host
        that no longer exists) has its claim given back and is queued again now; other jobs are
        left to RQ's own cleanup."""
        connection = self.worker.connection
        for queue in self.worker.queues:
            registry = StartedJobRegistry(queue=queue)
            for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
                try:
                    execution = Execution.fetch(execution_id, job_id, connection)
                    job = Job.fetch(job_id, connection=connection)
                except (ValueError, NoSuchJobError):
                    continue  # finished meanwhile, or gone: RQ's cleanup has what is left
                if job.func_name != FUNCTIONS["deliver"] or not _worker_is_dead(connection, execution.worker_name):
                    continue
                if container().notifications.release_abandoned(*job.args):
                    log.warning("worker: notification %s was claimed by worker %s, which died before recording "
                                "an outcome: sending it again", job.args[0], execution.worker_name)
                registry.remove_execution(execution)

    def relay(self) -> None:
        if time.monotonic() >= self.relay_due:
            self.relay_due = time.monotonic() + RELAY_SECONDS
            if queued := container().notifications.relay_outbox():
                log.info("worker: relayed %d booking event(s) from the outbox", queued)

    def sweep(self) -> None:
        connection = self.worker.connection
        emptied = not connection.exists(SWEPT_KEY)  # Redis came back without its data (or this is the first)
        if time.monotonic() < self.sweep_due and not emptied:
            return
        wired = container()
        notifications = wired.notifications
        notifications.sweep(queue_emptied=emptied)
        if lapsed := Approvals(wired.booking).expire_due():  # a request whose own job was lost
            log.info("worker: %d request(s) awaiting approval lapsed unanswered", len(lapsed))
        if gone := clients.purge_idle(wired.session_factory, now=wired.clock()):
            log.info("worker: purged %d nameless client(s) with nothing booked", gone)
        schedule_agenda_tick(notifications.jobs, next_tick(datetime.now(UTC)))  # its chain may be lost too
        connection.set(SWEPT_KEY, 1)
        self.sweep_due = time.monotonic() + SWEEP_SECONDS


def _worker_is_dead(connection: Redis, name: str) -> bool:
    """Gone from Redis (its key lapsed), or a process of this host that no longer exists."""
    if not name:
        return False  # an execution that does not say whose it is: RQ's cleanup decides
    key = f"{SimpleWorker.redis_worker_namespace_prefix}{name}"
    hostname, pid = connection.hmget(key, "hostname", "pid")
    if not connection.exists(key):
        return True
    if hostname is None or pid is None or hostname.decode() != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, as another user
        return False
    return False


class SlotlineWorker(SimpleWorker):
    """RQ's `SimpleWorker`, made to recover alone when Redis goes away and comes back.

    It tries Redis again every 2 s at most while it is away (RQ backs off to a minute), and it
    wakes every `TEND_SECONDS` when idle to tend (`Tending`) after its heartbeat."""

    max_connection_wait_time = 2.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stopping = False
        self.burst = False
        self.tending = Tending(self)

    @property
    def dequeue_timeout(self) -> int:
        return TEND_SECONDS

    def work(self, burst: bool = False, **options) -> bool:
        self.burst = burst
        return super().work(burst=burst, **options)

    def heartbeat(self, timeout: int | None = None, pipeline=None) -> None:
        super().heartbeat(timeout, pipeline)
        if pipeline is None:  # the worker's own beat between jobs, not a job's
            self.tending()

    def request_stop(self, signum, frame) -> None:
        self.stopping = True
        super().request_stop(signum, frame)


def main(settings: Settings | None = None, *, burst: bool = False) -> bool:
    """Run a worker until stopped (or, with `burst`, until the queues are empty).

    RQ's loop ends when Redis fails it where it does not expect it; it is then started again,
    so only a stop request (SIGTERM, SIGINT) ends the worker."""
    global _wiring
    settings = settings or get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    connection = connect_redis(settings)
    _wiring = (settings, connection)
    try:
        while True:
            rq_worker = SlotlineWorker(queues(connection), connection=connection)
            try:
                worked = rq_worker.work(burst=burst, with_scheduler=True)
            except (RedisError, OSError) as exc:  # starting, or its last words to Redis on the way out
                log.warning("worker: Redis failed the worker loop: %s", exc)
                worked = False
            if burst or rq_worker.stopping:
                return worked
            log.warning("worker: the worker loop ended; starting it again in %s s", RESTART_SECONDS)
            time.sleep(RESTART_SECONDS)
    except StopRequested:  # a stop that came between two worker loops
        return False
    finally:
        if _container is not None and _container[0] == os.getpid():
            _container[1].close()
