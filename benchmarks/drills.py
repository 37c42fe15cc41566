"""Fault drills under load (issue 14): Redis killed and PostgreSQL restarted during a booking storm,
on two web processes and two workers sharing one PostgreSQL and one Redis; the hot slot and a
duplicated webhook across the processes.

    .venv/bin/python benchmarks/drills.py [--racers 32] [--seconds 6]

Starts its own PostgreSQL and Redis (tests/servers.py), a Twilio API double, `slotline web
--workers 2` and two `slotline worker`s. Clients are made over REST with a phone number only, so
each booking's confirmation is an SMS at the double. Prints, for each drill, what the clients
got (HTTP statuses, answers without a status, slowest answer) and what the database holds:

1. redis: Redis stopped `--down` s into a storm of `--racers` clients booking at random among
   300 slots of three providers (heavy contention), started again (empty) `--down` s later;
2. postgres: `pg_ctl restart -m fast` `--down` s into a storm;
3. hot slot: `--racers` racers over HTTP for each of 10 slots: exactly one 201 each;
4. duplicate: one Twilio webhook (one MessageSid) posted 5 times at once, to either process;

and after each storm: overlapping active appointments (none allowed), appointments without their
audit entry or outbox event (none allowed), and once all is back, every booking's confirmation
at the double exactly once (sent by whichever worker claimed it).
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.doubles.twilio_api import Phone, TwilioApiDouble, TwilioWebhooks  # noqa: E402
from tests.servers import PostgresServer, RedisServer, _as_postgres, free_port  # noqa: E402

TOKEN = "drills-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PUBLIC_URL = "https://drills.slotline.test"
BUSINESS = """\
business: {name: Drill Clinic, timezone: Europe/London, minNoticeMinutes: 0, horizonDays: 60}
services:
  - name: Check
    duration: 15
providers:
  - {name: Lee, services: [Check], hours: {mon-sun: "08:00-20:00"}}
  - {name: Kim, services: [Check], hours: {mon-sun: "08:00-20:00"}}
  - {name: Ola, services: [Check], hours: {mon-sun: "08:00-20:00"}}
"""
OVERLAPS = """SELECT count(*) FROM appointments a JOIN appointments b ON a.provider_id = b.provider_id AND a.id < b.id
  AND a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')
  AND a.start_at < b.end_at AND b.start_at < a.end_at"""
SERVER_ERROR = 'HTTP/1.1" 500'  # in uvicorn's access log
HALF_WRITTEN = """SELECT count(*) FROM appointments a WHERE
  NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.entity = 'appointment' AND l.entity_id = a.id)
  OR NOT EXISTS (SELECT 1 FROM outbox_events o WHERE (o.payload->>'appointment_id')::int = a.id)"""


class Slotline:
    """Two web processes and two workers on one PostgreSQL and Redis, with the Twilio double."""

    def __init__(self, pg: PostgresServer, rd: RedisServer, twilio: TwilioApiDouble, workdir: Path):
        self.pg, self.rd, self.twilio, self.workdir = pg, rd, twilio, workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOTLINE_", "TELEGRAM_", "SLACK_", "TWILIO_"))}
        self.env = env | {
            "SLOTLINE_DATA_DIR": str(workdir), "SLOTLINE_DATABASE_URL": pg.url, "SLOTLINE_REDIS_URL": rd.url,
            "SLOTLINE_ADMIN_TOKEN": TOKEN, "SLOTLINE_PUBLIC_URL": PUBLIC_URL,
            "SLOTLINE_RATE_LIMIT_BOOKINGS_IP": "100000/minute", "SLOTLINE_HOLDS_PER_IP": "100000",
            "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_FROM_NUMBER": "+447700900123", "TWILIO_API_BASE_URL": twilio.base_url}
        self.procs: list[subprocess.Popen] = []

    def run(self, *args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "slotline.cli", *args], env=self.env, cwd=self.workdir,
                              capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            raise SystemExit(f"slotline {' '.join(args)} failed:\n{done.stderr}")

    def start(self) -> None:
        (self.workdir / "clinic.yaml").write_text(BUSINESS)
        self.run("migrate")
        self.run("load", "clinic.yaml")
        for name, argv in (("web", ["web", "--workers", "2", "--port", str(self.port)]),
                           ("worker-1", ["worker"]), ("worker-2", ["worker"])):
            log = open(self.workdir / f"{name}.log", "w")  # noqa: SIM115 - the child's for its lifetime
            self.procs.append(subprocess.Popen([sys.executable, "-m", "slotline.cli", *argv], env=self.env,
                                               cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True))
        deadline = time.monotonic() + 120
        while (self.workdir / "web.log").read_text().count("Application startup complete") < 2:
            if time.monotonic() > deadline:
                raise SystemExit("slotline web did not start:\n" + (self.workdir / "web.log").read_text()[-3000:])
            time.sleep(0.2)

    def stop(self) -> None:
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)

    def log_lines(self, needle: str) -> int:
        return sum(p.read_text(errors="replace").count(needle) for p in self.workdir.glob("*.log"))

    def scalar(self, sql: str) -> int:
        engine = create_engine(self.pg.url)
        try:
            with engine.connect() as connection:
                return connection.scalar(text(sql))
        finally:
            engine.dispose()


def storm(base: str, racers: int, seconds: float, slots: list[dict], clients: list[int],
          fault=None) -> dict:
    """`racers` clients booking at random among `slots` for `seconds`; `fault()` runs in a thread meanwhile."""
    answers: list[tuple[float, int | str, str, float]] = []  # (at, status or error, code, seconds)
    stop_at = time.monotonic() + seconds
    started = time.monotonic()

    def racer(seed: int) -> None:
        rnd = random.Random(seed)
        with httpx.Client(base_url=f"{base}/api/v1", headers=AUTH, timeout=15) as api:
            while time.monotonic() < stop_at:
                body = {**rnd.choice(slots), "clientId": rnd.choice(clients)}
                begun = time.monotonic()
                try:
                    response = api.post("/appointments", json=body)
                    status = response.status_code
                    code = response.json().get("code", "") if status != 201 else "created"
                except (httpx.HTTPError, ValueError) as exc:
                    status, code = "no answer", type(exc).__name__
                answers.append((begun - started, status, code, time.monotonic() - begun))

    threads = [threading.Thread(target=racer, args=(n,)) for n in range(racers)]
    if fault is not None:
        threads.append(threading.Thread(target=fault))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"status": Counter(a[1] for a in answers), "codes": Counter(a[2] for a in answers if a[1] != 201),
            "slowest": max(a[3] for a in answers), "created": sum(1 for a in answers if a[1] == 201)}


def setup_api(base: str, clients: int) -> tuple[list[dict], list[int], list[dict]]:
    with httpx.Client(base_url=f"{base}/api/v1", headers=AUTH, timeout=30) as api:
        service = api.get("/services").json()[0]["id"]
        providers = [p["id"] for p in api.get("/providers").json()]
        people = [api.post("/users", json={"name": f"Client {n}", "role": "client",
                                           "phone": f"+4420794{n:05d}"}).json()["id"] for n in range(clients)]
        day = date.today() + timedelta(days=3)
        slots = []
        for provider in providers:
            free = api.get(f"/providers/{provider}/availability", params={
                "serviceId": service, "startDate": day.isoformat(),
                "endDate": (day + timedelta(days=7)).isoformat()}).json()["slots"]
            slots.append([{"serviceId": service, "providerId": provider, "startTime": s["startTime"]} for s in free])
    return [s for per in slots for s in per[:100]], people, [s for per in slots for s in per[100:]]


def wait_for(what: str, done, timeout: float) -> float:
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > timeout:
            return float("nan")
        time.sleep(0.1)
    return time.monotonic() - started


def confirmations(slotline: Slotline) -> tuple[int, Counter]:
    """(appointments, how many SMS carried each one's confirmation code)."""
    engine = create_engine(slotline.pg.url)
    with engine.connect() as connection:
        codes = [row[0] for row in connection.execute(text("SELECT confirmation_code FROM appointments"))]
    engine.dispose()
    bodies = [call.form.get("Body", "") for call in list(slotline.twilio.calls)]
    return len(codes), Counter(sum(code in body for body in bodies) for code in codes)


def report(name: str, result: dict, slotline: Slotline, after: str) -> None:
    print(f"\n## {name}")
    print(f"answers: {dict(result['status'])}; refusals by code: {dict(result['codes'])}; "
          f"slowest answer {result['slowest']:.2f} s")
    print(f"overlapping active appointments: {slotline.scalar(OVERLAPS)}; "
          f"appointments without audit entry or outbox event: {slotline.scalar(HALF_WRITTEN)}")
    print(after)


def drill_redis(slotline: Slotline, args, slots, clients) -> None:
    def fault() -> None:
        time.sleep(args.down)
        slotline.rd.stop()
        time.sleep(args.down)
        slotline.rd.start()

    result = storm(slotline.base, args.racers, 3 * args.down, slots, clients, fault)
    appts = slotline.scalar("SELECT count(*) FROM appointments")
    took = wait_for("every confirmation", lambda: confirmations(slotline)[1].get(0, 0) == 0, args.confirm_wait)
    total, counts = confirmations(slotline)
    report("1. Redis stopped mid-storm, started again empty", result, slotline,
           f"201s: {result['created']}, appointments: {appts}; after Redis was back, every confirmation at the "
           f"Twilio double within {took:.1f} s; SMS per appointment: {dict(counts)} over {total}")


def drill_postgres(slotline: Slotline, args, slots, clients) -> None:
    restarted = {}

    def fault() -> None:
        time.sleep(args.down)
        begun = time.monotonic()
        subprocess.run(_as_postgres([str(slotline.pg.bindir / "pg_ctl"), "-D", str(slotline.pg.workdir / "data"),
                                     "-m", "fast", "-w", "restart", "-l", str(slotline.pg.workdir / "pg.log")]),
                       capture_output=True, cwd=tempfile.gettempdir(), check=True)
        restarted["took"] = time.monotonic() - begun

    before = slotline.scalar("SELECT count(*) FROM appointments")
    result = storm(slotline.base, args.racers, 3 * args.down, slots, clients, fault)
    appts = slotline.scalar("SELECT count(*) FROM appointments") - before
    after = storm(slotline.base, 4, 1.0, slots, clients)  # the app reconnected: answers as before
    took = wait_for("every confirmation", lambda: confirmations(slotline)[1].get(0, 0) == 0, args.confirm_wait)
    total, counts = confirmations(slotline)
    report("2. PostgreSQL restarted mid-storm (pg_ctl restart -m fast)", result, slotline,
           f"restart took {restarted.get('took', float('nan')):.1f} s; 201s: {result['created']}, new appointments: "
           f"{appts}; a second after: {dict(after['status'])}; every confirmation within {took:.1f} s; SMS per "
           f"appointment: {dict(counts)} over {total}")


def drill_hot_slot(slotline: Slotline, args, slots, clients) -> None:
    print(f"\n## 3. Hot slot on two web processes: {args.racers} racers for each of 10 slots")
    rounds = []
    for slot in slots[:10]:
        barrier, statuses = threading.Barrier(args.racers), []

        def racer(n: int) -> None:
            with httpx.Client(headers=AUTH, timeout=30) as own:
                barrier.wait()
                statuses.append(own.post(f"{slotline.base}/api/v1/appointments",
                                         json={**slot, "clientId": clients[n % len(clients)]}).status_code)
        threads = [threading.Thread(target=racer, args=(n,)) for n in range(args.racers)]
        begun = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rounds.append((Counter(statuses), time.monotonic() - begun))
    print("per slot:", "; ".join(f"{dict(c)} in {t * 1000:.0f} ms" for c, t in rounds))
    print(f"slots with exactly one 201: {sum(1 for c, _ in rounds if c[201] == 1)} of 10")


def drill_duplicate(slotline: Slotline) -> None:
    print("\n## 4. One Twilio webhook (one MessageSid) posted 5 times at once, to either process")
    with httpx.Client(base_url=slotline.base, timeout=30) as http:
        webhooks = TwilioWebhooks(http, auth_token=slotline.twilio.auth_token, public_url=PUBLIC_URL)
        phone = Phone(webhooks, "+442079469999")
        phone.text("a check with Lee in 4 days at 10am")
        phone.text("YES")
        asked = phone.said
        before = slotline.scalar("SELECT count(*) FROM appointments")
        answers: list[list[str]] = []

        def deliver() -> None:
            with httpx.Client(base_url=slotline.base, timeout=30) as own:
                answers.append(Phone(TwilioWebhooks(own, auth_token=slotline.twilio.auth_token,
                                                    public_url=PUBLIC_URL), "+442079469999")
                               .text("Dee Moss", sid="SM" + "d" * 32))
        threads = [threading.Thread(target=deliver) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    made = slotline.scalar("SELECT count(*) FROM appointments") - before
    print(f"asked before: {asked[-80:]!r}")
    print(f"appointments made: {made}; answers with text: {sum(1 for a in answers if a)} of 5; "
          f"answers: {[a[0][:60] if a else '' for a in answers]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--racers", type=int, default=32)
    parser.add_argument("--down", type=float, default=2.0, help="seconds into the storm, and of the outage")
    parser.add_argument("--drills", default="redis,postgres,hot,duplicate")
    parser.add_argument("--confirm-wait", type=float, default=60.0,
                        help="seconds to wait for every confirmation once all is back")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs ({platform.machine()}), Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    workdir = Path(tempfile.mkdtemp(prefix="slotline-drills-"))
    with PostgresServer() as pg, RedisServer() as rd, TwilioApiDouble() as twilio:
        slotline = Slotline(pg, rd, twilio, workdir)
        slotline.start()
        try:
            slots, clients, spare = setup_api(slotline.base, 64)
            half = len(slots) // 2
            if "redis" in args.drills:
                drill_redis(slotline, args, slots[:half], clients)
            if "postgres" in args.drills:
                drill_postgres(slotline, args, slots[half:], clients)
            if "hot" in args.drills:
                drill_hot_slot(slotline, args, spare, clients)
            if "duplicate" in args.drills:
                drill_duplicate(slotline)
        finally:
            slotline.stop()
        print(f"\nserver logs: {slotline.log_lines('Traceback')} tracebacks, "
              f"{slotline.log_lines(SERVER_ERROR)} HTTP 500 answers; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
