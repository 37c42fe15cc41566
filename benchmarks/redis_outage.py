"""Redis goes away and comes back under a running `slotline run`: what clients and the owner see.

    .venv/bin/python benchmarks/redis_outage.py [--bookings 20] [--down 10]

Starts a throwaway redis-server (no persistence, as tests/servers.py runs it: a restart comes back
empty), a local Twilio API double, and `slotline run` on a fresh SQLite database (the demo salon),
with clients created over REST with only a phone number. Then:

1. books a few appointments with Redis up (confirmed by SMS, reminders scheduled in RQ);
2. stops Redis; books `--bookings` more over REST, timing each, and asks the web chat once;
   waits `--down` seconds (the worker loses Redis, RQ's scheduler process dies);
3. starts Redis again, empty, and times until: every confirmation of step 2 reached the Twilio
   double; a job scheduled one second ahead has run (the scheduler is back); every reminder the
   database holds as scheduled is back in RQ (the worker's sweep);
4. kills the worker process (SIGKILL) and times until `slotline run` has a new one running jobs;
5. stops `slotline run` with SIGTERM and checks that nothing it started is left running.
"""
from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import psutil
from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.doubles.twilio_api import TwilioApiDouble  # noqa: E402
from tests.servers import RedisServer, free_port  # noqa: E402

TOKEN = "outage-benchmark-token"
HAIRCUT_BLOCK = timedelta(minutes=60)  # the demo salon's haircut: 45 minutes and 15 after


def wait_for(what: str, done, timeout: float = 120.0) -> float:
    """Seconds until `done()` is true (fails after `timeout`)."""
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > timeout:
            raise SystemExit(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(0.05)
    return time.monotonic() - started


def start_slotline(data: Path, redis_url: str, twilio: TwilioApiDouble, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOTLINE_", "TELEGRAM_", "SLACK_", "TWILIO_"))}
    env |= {"SLOTLINE_DATA_DIR": str(data), "SLOTLINE_REDIS_URL": redis_url, "SLOTLINE_ADMIN_TOKEN": TOKEN,
            "SLOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}", "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token, "TWILIO_FROM_NUMBER": "+447700900123",
            "TWILIO_API_BASE_URL": twilio.base_url}
    log = open(data / "slotline-run.log", "w")  # noqa: SIM115 - kept open for the child's lifetime
    return subprocess.Popen([sys.executable, "-m", "slotline.cli", "run", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def free_starts(api: httpx.Client, count: int) -> list[tuple[int, int, str]]:
    """(service, provider, start) for `count` bookings of a haircut that do not overlap one another."""
    haircut = next(s["id"] for s in api.get("/api/v1/services").json() if s["name"] == "Haircut")
    found = []
    for provider in (p["id"] for p in api.get("/api/v1/providers").json()):
        first = date.today() + timedelta(days=1)
        slots = api.get(f"/api/v1/providers/{provider}/availability", params={
            "serviceId": haircut, "startDate": first.isoformat(),
            "endDate": (first + timedelta(days=13)).isoformat()}).json()["slots"]
        free_from = datetime.min.replace(tzinfo=UTC)
        for slot in slots:
            start = datetime.fromisoformat(slot["startTime"])
            if start >= free_from:
                found.append((haircut, provider, slot["startTime"]))
                free_from = start + HAIRCUT_BLOCK
    return found[:count]


def book_all(api: httpx.Client, starts, clients) -> tuple[list[str], list[float]]:
    codes, took = [], []
    for (service, provider, start), client in zip(starts, clients):
        begun = time.perf_counter()
        response = api.post("/api/v1/appointments", json={
            "serviceId": service, "providerId": provider, "clientId": client, "startTime": start})
        took.append(time.perf_counter() - begun)
        assert response.status_code == 201, response.text
        codes.append(response.json()["confirmationCode"])
    return codes, took


def confirmed(twilio: TwilioApiDouble, codes: list[str]) -> int:
    bodies = [call.form.get("Body", "") for call in list(twilio.calls)]
    return sum(1 for code in codes if sum(code in body for body in bodies) >= 1)


def scheduled_ids(redis: Redis) -> set[str]:
    """The notification jobs waiting in RQ's scheduled registry (reminders)."""
    waiting = ScheduledJobRegistry("slotline", connection=redis).get_job_ids()
    return {job for job in waiting if job.startswith("slotline-n")}


def reminders_in_rq(redis: Redis) -> int:
    return len(scheduled_ids(redis))


def reminders_in_db(data: Path) -> int:
    with sqlite3.connect(data / "slotline.db") as db:
        return db.execute("SELECT count(*) FROM notifications WHERE kind = 'reminder' AND status = 'scheduled'") \
            .fetchone()[0]


def first_true(conditions: dict) -> dict[str, float]:
    """Seconds until each condition first held, polled together."""
    started, seen = time.monotonic(), {}
    while len(seen) < len(conditions):
        for name, holds in conditions.items():
            if name not in seen and holds():
                seen[name] = time.monotonic() - started
        if time.monotonic() - started > 120:
            raise SystemExit(f"gave up waiting for {set(conditions) - set(seen)}")
        time.sleep(0.05)
    return seen


def probe_runs(redis: Redis, delay: float = 1.0) -> float:
    """Seconds until a job scheduled `delay` s ahead has run (RQ's scheduler queued it, a worker ran it)."""
    job = Queue("slotline", connection=redis).enqueue_in(timedelta(seconds=delay), "time.sleep", 0)
    return wait_for("a scheduled probe job", lambda: job.get_status(refresh=True) == "finished")


def worker_process(run: subprocess.Popen) -> psutil.Process | None:
    for child in psutil.Process(run.pid).children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "worker" in child.cmdline():
                return child
        except psutil.Error:  # gone meanwhile
            continue
    return None


def ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    return (f"median {ordered[len(ordered) // 2] * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms "
            f"over {len(ordered)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bookings", type=int, default=20)
    parser.add_argument("--down", type=float, default=10.0, help="seconds Redis stays down after the bookings")
    args = parser.parse_args()
    data, port = Path(tempfile.mkdtemp(prefix="slotline-outage-")), free_port()
    with RedisServer() as server, TwilioApiDouble() as twilio:
        redis = Redis.from_url(server.url)
        run = start_slotline(data, server.url, twilio, port)
        try:
            api = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"},
                               timeout=30)
            wait_for("slotline run to answer", lambda: _answers(api), timeout=60)
            clients = [api.post("/api/v1/users", json={"name": f"Client {n}", "phone": f"+4420794600{n:02d}",
                                                       "role": "client"}).json()["id"]
                       for n in range(args.bookings + 3)]
            starts = free_starts(api, args.bookings + 3)
            before, _ = book_all(api, starts[:3], clients[:3])
            wait_for("the first confirmations", lambda: confirmed(twilio, before) == 3)
            wait_for("their reminders in RQ", lambda: reminders_in_rq(redis) == reminders_in_db(data) > 0)
            print(f"Redis up: 3 bookings confirmed, {reminders_in_rq(redis)} reminders scheduled in RQ")

            lost = scheduled_ids(redis)  # what the restart will lose, and the sweep must put back
            server.stop()
            codes, took = book_all(api, starts[3:], clients[3:])
            print(f"Redis down: {len(codes)} REST bookings, each {ms(took)}")
            begun = time.perf_counter()
            chat = api.post("/api/v1/chat", json={"session": "web-outage", "text": "hello"})
            answered = (time.perf_counter() - begun) * 1000
            print(f"Redis down: POST /api/v1/chat -> {chat.status_code} in {answered:.0f} ms, "
                  f"replies {chat.json().get('replies')}")
            time.sleep(args.down)
            assert confirmed(twilio, codes) == 0

            server.start()  # empty: no persistence
            back = first_true({"confirmations": lambda: confirmed(twilio, codes) == len(codes),
                               "swept": lambda: lost <= scheduled_ids(redis),
                               "all": lambda: reminders_in_rq(redis) == reminders_in_db(data) > len(lost)})
            print(f"Redis back (empty): all {len(codes)} confirmations sent {back['confirmations']:.1f} s later; "
                  f"the {len(lost)} reminders the restart lost back in RQ {back['swept']:.1f} s later; all "
                  f"{reminders_in_rq(redis)} reminders the database holds scheduled in RQ {back['all']:.1f} s later")
            print(f"  then a job scheduled for the next second ran {probe_runs(redis):.1f} s after being queued "
                  f"(RQ's scheduler is back); SMS sent in all: {len(twilio.calls)} for {len(codes) + 3} bookings")

            old = worker_process(run)
            old.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            wait_for("a new worker", lambda: (w := worker_process(run)) is not None and w.pid != old.pid)
            probe = probe_runs(redis)
            print(f"worker killed (SIGKILL): a new one ran a scheduled job {time.monotonic() - killed:.1f} s later "
                  f"(probe {probe:.1f} s)")
        finally:
            run.send_signal(signal.SIGTERM)
            code = run.wait(timeout=60)
            left = subprocess.run(["pgrep", "-s", str(run.pid)], capture_output=True, text=True).stdout.split()
            print(f"slotline run stopped with exit code {code}; processes left in its session: {left or 'none'}")
            print(f"(its log: {data / 'slotline-run.log'})")


def _answers(api: httpx.Client) -> bool:
    try:
        return api.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


if __name__ == "__main__":
    main()
