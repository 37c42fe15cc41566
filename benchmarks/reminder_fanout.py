"""Reminder fan-out: N reminders due at the same instant, sent by `slotline worker`s, against N empty RQ jobs.

    .venv/bin/python benchmarks/reminder_fanout.py [--count 10000] [--workers 2]

Starts its own PostgreSQL and Redis (tests/servers.py) and a Telegram Bot API double (tests/doubles:
a local HTTP server speaking Telegram's wire format), migrates, and writes N appointments for N
clients (each reached on Telegram in a chat of their own) tomorrow and after, each with one reminder
row scheduled for the same instant and its `deliver` job waiting in RQ's scheduled registry, as the
planner leaves them. Then starts `--workers` real `slotline worker` processes (RQ SimpleWorkers with
their scheduler, the production entry) and, once they are warm:

1. baseline: N empty jobs (a function that returns None) scheduled for one instant;
2. the reminders;
3. the baseline again (the machine is shared: its load moves between rounds).

Each round is released at once: the benchmark moves every job from the scheduled registry to the
queue in one pipeline (what RQ's scheduler does when the instant comes; its own beat moves at most
1,000 a second, which would pace the empty jobs), and times until every job has finished. The
reminders are checked at the double: each client's chat got exactly one message, and every reminder
row is "sent". Prints the rates, the ratio, and the machine.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMPTY_JOB = "benchmarks.reminder_fanout.empty_job"
SLOTS_PER_DAY = 22  # benchmarks.booking_fixture.day_starts: 08:00-20:00 on :00 and :30, less lunch


def empty_job() -> None:
    """The baseline's job: RQ's own cost of running one job, and nothing else."""


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.doubles.telegram_api import TelegramAPI
    from tests.servers import ServerUnavailable

    from benchmarks.booking_fixture import servers

    wall = time.perf_counter()
    try:
        with servers(args.database_url, args.redis_url, durable=False) as (database_url, redis_url), \
                TelegramAPI() as telegram:
            run(args, database_url, redis_url, telegram)
    except ServerUnavailable as exc:
        raise SystemExit(f"cannot start a server for the benchmark: {exc}") from None
    print(f"\ntotal {time.perf_counter() - wall:.0f} s, load average now "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


def run(args: argparse.Namespace, database_url: str, redis_url: str, telegram) -> None:
    from redis import Redis
    from rq import Queue

    from core.db.migrate import upgrade
    from core.db.session import make_engine, make_session_factory

    upgrade(url=database_url)
    engine = make_engine(database_url)
    connection = Redis.from_url(redis_url)
    queue = Queue("slotline", connection=connection)
    instant = datetime.now(UTC) + timedelta(days=1)  # far enough that the workers' scheduler never moves them
    print(machine(database_url, args.workers), flush=True)
    began = time.perf_counter()
    chats = make_reminders(make_session_factory(engine), connection, args.count, instant)
    print(f"{args.count} appointments and their reminders written and scheduled in "
          f"{time.perf_counter() - began:.1f} s", flush=True)
    workers = start_workers(args.workers, database_url, redis_url, telegram)
    try:
        warm_up(queue, connection, args.workers)
        rounds = [("empty jobs", schedule_empty(queue, args.count, instant, "a")),
                  ("reminders", None), ("empty jobs again", schedule_empty(queue, args.count, instant, "b"))]
        results = {}
        for name, ids in rounds:
            ids = ids if ids is not None else reminder_job_ids(engine)
            spy = profile(workers[0], args.profile) if args.profile and name == "reminders" else None
            results[name] = release_and_wait(queue, connection, ids, args.timeout)
            if spy is not None:
                spy.wait()
            print(f"{name:>17}: {args.count} in {results[name]:.2f} s, {args.count / results[name]:,.0f}/s",
                  flush=True)
        check_sent_once(engine, telegram, chats)
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            process.wait(timeout=30)
        connection.close()
        engine.dispose()
    baseline = (results["empty jobs"] + results["empty jobs again"]) / 2
    print(f"\nreminders {args.count / results['reminders']:,.0f}/s against empty jobs "
          f"{args.count / baseline:,.0f}/s (mean of both rounds): ratio {baseline / results['reminders']:.3f}; "
          f"{args.workers} workers, load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def make_reminders(session_factory, connection, count: int, instant: datetime) -> list[int]:
    """N appointments (one a client, each client in their own Telegram chat), each with one reminder
    scheduled for `instant`; returns the chat ids."""
    from sqlalchemy import insert

    from benchmarks.booking_fixture import appointment_row, day_starts, make_business
    from core.db.models import Appointment, ChannelIdentity, Notification, User
    from core.db.session import UnitOfWork
    from core.notifications.ports import notification_job_id
    from slotline.jobs import RqJobs

    days = 10
    providers = -(-count // (SLOTS_PER_DAY * days))
    world = make_business(session_factory, providers=providers, clients=0, horizon_days=days + 5)
    first = datetime.now(UTC).date() + timedelta(days=2)
    starts = [(p, start) for p in world.provider_ids for d in range(days)
              for start in day_starts(first + timedelta(days=d))][:count]
    chats = [7_000_000 + i for i in range(count)]
    with UnitOfWork(session_factory, write=True) as uow:
        s = uow.session
        clients = list(s.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
            {"name": f"Client {i}", "role": "client", "timezone": "Europe/London", "preferred_channel": "telegram"}
            for i in range(count)]))
        s.execute(insert(ChannelIdentity), [{"user_id": c, "channel": "telegram", "external_id": str(chat),
                                             "opted_out": False} for c, chat in zip(clients, chats)])
        world.client_ids[:] = clients
        appointments = list(s.scalars(insert(Appointment).returning(Appointment.id, sort_by_parameter_order=True), [
            appointment_row(world, i, provider, start, tag="fanout") for i, (provider, start) in enumerate(starts)]))
        rows = list(s.scalars(insert(Notification).returning(Notification.id, sort_by_parameter_order=True), [
            {"appointment_id": a, "user_id": c, "channel": "", "kind": "reminder", "status": "scheduled",
             "dedupe_key": f"appt:{a}:v1:reminder:24h", "attempts": 0, "version": 1, "due_at": instant,
             "payload": {}, "log": []} for a, c in zip(appointments, clients)]))
        uow.commit()
    jobs = RqJobs(connection)
    for row in rows:  # what the planner does for each reminder it plans
        jobs.enqueue_at(instant, "deliver", row, job_id=notification_job_id(row), retry=True)
    return chats


def schedule_empty(queue, count: int, instant: datetime, tag: str) -> list[str]:
    ids = [f"bench-empty-{tag}-{i}" for i in range(count)]
    with queue.connection.pipeline() as pipe:
        for job_id in ids:
            queue.enqueue_at(instant, EMPTY_JOB, job_id=job_id, pipeline=pipe)
        pipe.execute()
    return ids


def reminder_job_ids(engine) -> list[str]:
    from sqlalchemy import select

    from core.db.models import Notification
    from core.notifications.ports import notification_job_id

    with engine.connect() as c:
        return [notification_job_id(i) for i in c.scalars(select(Notification.id).where(
            Notification.kind == "reminder"))]


def release_and_wait(queue, connection, ids: list[str], timeout: float) -> float:
    """Queue the jobs `ids` from the scheduled registry in one pipeline; seconds until all have finished."""
    from rq.job import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry

    scheduled, finished = ScheduledJobRegistry(queue=queue), FinishedJobRegistry(queue=queue)
    failed = FailedJobRegistry(queue=queue)
    jobs = Job.fetch_many(ids, connection=connection)
    assert all(job is not None for job in jobs), "a job is missing from Redis"
    before = finished.count
    with connection.pipeline() as pipe:
        for job in jobs:
            queue._enqueue_job(job, pipeline=pipe)
            scheduled.remove(job.id, pipeline=pipe)
        began = time.perf_counter()
        pipe.execute()
    while finished.count - before < len(ids):
        if failed.count:
            raise SystemExit(f"{failed.count} job(s) failed: {failed.get_job_ids()[:5]}")
        if time.perf_counter() - began > timeout:
            raise SystemExit(f"gave up after {timeout:.0f} s: {finished.count - before} of {len(ids)} finished")
        time.sleep(0.02)
    return time.perf_counter() - began


def check_sent_once(engine, telegram, chats: list[int]) -> None:
    from sqlalchemy import func, select

    from core.db.models import Notification

    time.sleep(1.0)  # a duplicate would still be on its way
    per_chat = Counter(int(call.params["chat_id"]) for call in list(telegram.calls)
                       if call.method == "sendMessage" and call.status == 200)
    counts = Counter(per_chat.get(chat, 0) for chat in chats)
    with engine.connect() as c:
        statuses = dict(c.execute(select(Notification.status, func.count()).where(Notification.kind == "reminder")
                                  .group_by(Notification.status)).all())
    print(f"at the Telegram double: {counts.get(1, 0)} chats got exactly one message, {counts.get(0, 0)} none, "
          f"{sum(n for k, n in counts.items() if k > 1)} more than one; reminder rows: {statuses}")
    if set(counts) != {1} or statuses != {"sent": len(chats)}:
        raise SystemExit("FAILED: not every reminder was sent exactly once")


def profile(worker: subprocess.Popen, seconds: float) -> subprocess.Popen:
    """py-spy samples one worker for `seconds` (wall clock, idle included), as collapsed stacks."""
    out = Path(tempfile.mkdtemp(prefix="slotline-fanout-prof-")) / f"worker-{worker.pid}.txt"
    print(f"py-spy: {out}", flush=True)
    return subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(worker.pid),
                             "--duration", str(int(seconds)), "--format", "raw", "--idle", "--nonblocking",
                             "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def start_workers(n: int, database_url: str, redis_url: str, telegram) -> list[subprocess.Popen]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOTLINE_", "TELEGRAM_", "SLACK_", "TWILIO_"))}
    env |= {"SLOTLINE_DATABASE_URL": database_url, "SLOTLINE_REDIS_URL": redis_url,
            "SLOTLINE_DATA_DIR": tempfile.mkdtemp(prefix="slotline-fanout-"), "SLOTLINE_ADMIN_TOKEN": "fanout-bench",
            "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.base_url,
            "PYTHONPATH": str(ROOT)}
    log = open(Path(env["SLOTLINE_DATA_DIR"]) / "workers.log", "w")  # noqa: SIM115 - the children's lifetime
    print(f"workers' log: {log.name}", flush=True)
    return [subprocess.Popen([sys.executable, "-m", "slotline.cli", "worker"], env=env, cwd=ROOT, stdout=log,
                             stderr=subprocess.STDOUT) for _ in range(n)]


def warm_up(queue, connection, workers: int) -> None:
    """Until every worker has built its container (its first sweep) and run a few jobs."""
    from rq import Worker

    from worker import SWEPT_KEY

    deadline = time.monotonic() + 120
    while len(Worker.all(queue=queue)) < workers or not connection.exists(SWEPT_KEY):
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not start; see their log")
        time.sleep(0.1)
    ids = schedule_empty(queue, 20 * workers, datetime.now(UTC) + timedelta(days=1), "warm")
    release_and_wait(queue, connection, ids, 60)
    time.sleep(2)


def machine(database_url: str, workers: int) -> str:
    import redis
    import rq
    import sqlalchemy
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as c:
        pg = c.scalar(text("SHOW server_version"))
    engine.dispose()
    server = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
    return (f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; Python {platform.python_version()}, "
            f"PostgreSQL {pg}, Redis {next((w[2:] for w in server if w.startswith('v=')), '?')}, RQ {rq.__version__}, "
            f"redis-py {redis.__version__}, SQLAlchemy {sqlalchemy.__version__}; {workers} workers")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="reminders due at once (and empty jobs)")
    parser.add_argument("--workers", type=int, default=2, help="`slotline worker` processes")
    parser.add_argument("--database-url", help="an empty, disposable PostgreSQL database (default: start one)")
    parser.add_argument("--redis-url", help="an empty Redis (default: start one)")
    parser.add_argument("--profile", type=float, metavar="SECONDS",
                        help="sample the first worker with py-spy for the reminders' first SECONDS")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds one round may take")
    return parser.parse_args()


if __name__ == "__main__":
    main()
