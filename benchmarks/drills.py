"""Fault drills under load (issue 14): Redis killed and PostgreSQL restarted during a booking storm,
on two web processes and two workers sharing one PostgreSQL and one Redis; the hot slot and a
duplicated webhook across the processes.

    .venv/bin/python benchmarks/drills.py [--racers 32] [--down 2] [--drills redis,postgres,hot,duplicate,reminders]

Starts its own PostgreSQL and Redis (tests/servers.py), Twilio, Telegram Bot API and Slack Web API
doubles, `slotline web --workers 2` and two `slotline worker`s. Clients are made over REST with a
phone number only, so each booking's confirmation is an SMS at the double. Prints, for each drill,
what the clients got (HTTP statuses, answers without a status, slowest answer) and what the
database holds:

1. redis: Redis stopped `--down` s into a storm of `--racers` clients booking at random among
   300 slots of three providers (heavy contention), started again (empty) `--down` s later;
2. postgres: `pg_ctl restart -m fast` `--down` s into a storm;
3. hot slot: `--racers` racers over HTTP for each of 10 slots: exactly one 201 each;
4. duplicate: the booking message delivered 5 times at once to either process: one Twilio webhook
   (one MessageSid), one Telegram update (one update_id, with the secret token), one Slack event
   (one event_id, signed, with Slack's retry headers): one appointment and one answer each;
5. reminders: `--reminders` appointments' reminders released at the same instant, sent by the two
   workers: each phone gets exactly one at the Twilio double;

and after each storm: overlapping active appointments (none allowed), appointments without their
audit entry or outbox event (none allowed); after each storm and at the end, every appointment's
confirmation expected at its double exactly once, waited for up to `--confirm-wait` s (the time
until all arrived, or how many are missing). About 6 minutes in all.
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

from tests.doubles.slack_api import BOT_TOKEN, SIGNING_SECRET, SlackApiDouble, SlackWorkspace  # noqa: E402
from tests.doubles.telegram_api import TelegramAPI, TelegramPerson  # noqa: E402
from tests.doubles.twilio_api import Phone, TwilioApiDouble, TwilioWebhooks  # noqa: E402
from tests.servers import PostgresServer, RedisServer, _as_postgres, free_port  # noqa: E402

TOKEN = "drills-admin-token"
TELEGRAM_SECRET = "drills-telegram-secret"
DELIVERIES = 5
CONFIRMATION = "Booked: "  # how the confirmation notice begins (core/notifications/texts.py); the answer: "Booked!"
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
    """Two web processes and two workers on one PostgreSQL and Redis, with the Twilio, Telegram and Slack doubles."""

    def __init__(self, pg: PostgresServer, rd: RedisServer, twilio: TwilioApiDouble, telegram: TelegramAPI,
                 slack: SlackApiDouble, workdir: Path):
        self.pg, self.rd, self.twilio, self.workdir = pg, rd, twilio, workdir
        self.telegram, self.slack = telegram, slack
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOTLINE_", "TELEGRAM_", "SLACK_", "TWILIO_"))}
        self.env = env | {
            "SLOTLINE_DATA_DIR": str(workdir), "SLOTLINE_DATABASE_URL": pg.url, "SLOTLINE_REDIS_URL": rd.url,
            "SLOTLINE_ADMIN_TOKEN": TOKEN, "SLOTLINE_PUBLIC_URL": PUBLIC_URL,
            "SLOTLINE_RATE_LIMIT_BOOKINGS_IP": "100000/minute", "SLOTLINE_HOLDS_PER_IP": "100000",
            "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_FROM_NUMBER": "+447700900123", "TWILIO_API_BASE_URL": twilio.base_url,
            "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.base_url,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_BASE_URL": slack.url}
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


def arrived(slotline: Slotline, wait: float) -> str:
    """Wait up to `wait` s for every appointment's confirmation SMS; what arrived, and when."""
    began = time.monotonic()
    took = wait_for("every confirmation", lambda: set(confirmations(slotline)[1]) == {1}, wait)
    total, counts = confirmations(slotline)
    missing, twice = counts.get(0, 0), sum(v for k, v in counts.items() if k > 1)
    when = f"all {total} arrived within {took:.1f} s" if took == took else \
        f"after {time.monotonic() - began:.0f} s {missing} of {total} missing"
    return f"confirmations expected: {total} (one an appointment, SMS): {when}; more than once: {twice}"


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
    report("1. Redis stopped mid-storm, started again empty", result, slotline,
           f"201s: {result['created']}, appointments: {appts}; {arrived(slotline, args.confirm_wait)}")


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
    report("2. PostgreSQL restarted mid-storm (pg_ctl restart -m fast)", result, slotline,
           f"restart took {restarted.get('took', float('nan')):.1f} s; 201s: {result['created']}, new appointments: "
           f"{appts}; a second after: {dict(after['status'])}; {arrived(slotline, args.confirm_wait)}")


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


def at_once(deliver, n: int = DELIVERIES) -> list:
    """`deliver()` from `n` threads released together, each with its own connection (either process)."""
    barrier, results = threading.Barrier(n), []

    def one() -> None:
        barrier.wait()
        results.append(deliver())
    threads = [threading.Thread(target=one) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def settle(count, period: float = 1.5, timeout: float = 30.0) -> None:
    """Until `count()` has not moved for `period` seconds (the app's work after an answer is done)."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        now = count()
        if now == last:
            return
        last = now
        time.sleep(period)


def duplicate_sms(slotline: Slotline) -> dict:
    """The name that books, as one Twilio webhook (one MessageSid) posted 5 times at once."""
    with httpx.Client(base_url=slotline.base, timeout=30) as http:
        phone = Phone(TwilioWebhooks(http, auth_token=slotline.twilio.auth_token, public_url=PUBLIC_URL),
                      "+442079469999")
        phone.text("a check with Lee in 4 days at 10am")
        phone.text("YES")
    before = slotline.scalar("SELECT count(*) FROM appointments")

    def deliver() -> list[str]:
        with httpx.Client(base_url=slotline.base, timeout=30) as own:
            return Phone(TwilioWebhooks(own, auth_token=slotline.twilio.auth_token, public_url=PUBLIC_URL),
                         "+442079469999").text("Dee Moss", sid="SM" + "d" * 32)
    answers = at_once(deliver)
    return {"made": slotline.scalar("SELECT count(*) FROM appointments") - before,
            "replies": [text for answer in answers for text in answer], "to": "+442079469999"}


def duplicate_telegram(slotline: Slotline) -> dict:
    """The tap on "Yes, book it" (one callback_query update, one update_id) posted 5 times at once."""
    api, person = slotline.telegram, TelegramPerson(user_id=5550777, first_name="Tess")
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}

    def said() -> list[str]:  # messages, and documents (the confirmation's .ics) with their caption
        return [p.get("text") or p.get("caption", "") for c in list(api.calls)
                if c.status == 200 and c.method in ("sendMessage", "sendDocument")
                and int((p := c.params)["chat_id"]) == person.user_id]
    with httpx.Client(base_url=slotline.base, timeout=30, headers=headers) as http:
        for step in (lambda: person.message("a check with Kim in 8 days after 4"),
                     lambda: person.tap(api.last_message(person.user_id), "16:00")):
            assert http.post("/webhooks/telegram", json=step()).status_code == 200
            settle(lambda: len(api.calls), period=0.5)
    booking = person.tap(api.last_message(person.user_id), "Yes")
    before, appts = len(said()), slotline.scalar("SELECT count(*) FROM appointments")

    def deliver() -> int:
        with httpx.Client(base_url=slotline.base, timeout=30, headers=headers) as own:
            return own.post("/webhooks/telegram", json=booking).status_code
    statuses = at_once(deliver)
    settle(lambda: len(said()))
    return {"made": slotline.scalar("SELECT count(*) FROM appointments") - appts, "statuses": Counter(statuses),
            "replies": said()[before:], "said": said}


def duplicate_slack(slotline: Slotline) -> dict:
    """The name that books, as one Events API event (one event_id): the delivery and four retries, at once."""
    api = slotline.slack
    with httpx.Client(base_url=slotline.base, timeout=30) as http:
        workspace = SlackWorkspace(http, SIGNING_SECRET, api)
        workspace.dm("U0DRILL", "a check with Ola in 9 days after 4")
        workspace.click("U0DRILL", api.wait_for("chat.postMessage", containing="Check with Ola"), "16:00")
        workspace.click("U0DRILL", api.wait_for("chat.postMessage", containing="Shall I book it?"), "Yes")
        api.wait_for("chat.postMessage", containing="What name")
        api.quiet(1.0)

    def said() -> list[str]:
        return [c.text for c in api.calls_to("chat.postMessage")]
    before, appts, retries = len(said()), slotline.scalar("SELECT count(*) FROM appointments"), iter(range(DELIVERIES))
    lock = threading.Lock()

    def deliver() -> int:
        with lock:
            retry = next(retries)
        with httpx.Client(base_url=slotline.base, timeout=30) as own:
            return SlackWorkspace(own, SIGNING_SECRET, api).dm(
                "U0DRILL", "Sol Reyes", msg_id="0d5c0a1e-0000-4000-8000-0000000d0111", event_id="Ev0DRILLSOL",
                retry=retry).status_code
    statuses = at_once(deliver)
    api.quiet(1.5, timeout=30)
    return {"made": slotline.scalar("SELECT count(*) FROM appointments") - appts, "statuses": Counter(statuses),
            "replies": said()[before:], "said": said}


def drill_duplicate(slotline: Slotline) -> list[dict]:
    print(f"\n## 4. The booking message delivered {DELIVERIES} times at once, across both web processes")
    runs = []
    for name, run in (("twilio", duplicate_sms), ("telegram", duplicate_telegram), ("slack", duplicate_slack)):
        result = run(slotline) | {"channel": name}
        notices = [text for text in result["replies"] if text.startswith(CONFIRMATION)]  # the worker's, if quick
        replies = [text for text in result["replies"] if not text.startswith(CONFIRMATION)]
        print(f"{name}: appointments made {result['made']}; HTTP {dict(result.get('statuses', {200: DELIVERIES}))}; "
              f"answers said {len(replies)}: {[text[:60] for text in replies]}"
              + (f" (and the confirmation already: {len(notices)})" if notices else ""))
        runs.append(result)
    return runs


def drill_reminders(slotline: Slotline, args, spare: list[dict]) -> None:
    """`--reminders` clients, one appointment each; each one's reminder released at the same instant,
    sent by the two workers: each phone gets exactly one reminder."""
    from redis import Redis
    from rq import Queue
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    n = args.reminders
    print(f"\n## 5. {n} reminders due at once, two `slotline worker`s")
    phones = [f"+4420796{i:05d}" for i in range(n)]
    with httpx.Client(base_url=f"{slotline.base}/api/v1", headers=AUTH, timeout=30) as api:
        people = [api.post("/users", json={"name": f"Reminded {i}", "role": "client", "phone": phone}).json()["id"]
                  for i, phone in enumerate(phones)]
        made = [api.post("/appointments", json={**slot, "clientId": person}).json()["id"]
                for slot, person in zip(spare, people)]
    wanted = set(phones)

    def per_phone(since: int = 0) -> Counter:
        return Counter(c.form.get("To") for c in list(slotline.twilio.calls)[since:] if c.form.get("To") in wanted)
    wait_for("their confirmations", lambda: len(per_phone()) == n, args.confirm_wait)  # so as not to count them
    ids = ",".join(map(str, made))
    planned = f"SELECT count(*) FROM notifications WHERE kind = 'reminder' AND appointment_id IN ({ids})"
    wait_for("reminders planned", lambda: slotline.scalar(planned) >= 2 * n, 60)
    engine = create_engine(slotline.pg.url)
    with engine.connect() as connection:
        rows = [r[0] for r in connection.execute(text(
            f"SELECT id FROM notifications WHERE kind = 'reminder' AND dedupe_key LIKE '%' || :tail "
            f"AND appointment_id IN ({ids}) ORDER BY id"), {"tail": ":1440m"})]
    engine.dispose()
    connection = Redis.from_url(slotline.rd.url)
    queue = Queue("slotline", connection=connection)
    registry = ScheduledJobRegistry(queue=queue)
    jobs = [job for job in Job.fetch_many([f"slotline-n{row}" for row in rows], connection=connection) if job]
    mark = len(slotline.twilio.calls)
    with connection.pipeline() as pipe:  # what RQ's scheduler does at the instant, for all of them at once
        for job in jobs:
            queue._enqueue_job(job, pipeline=pipe)
            registry.remove(job.id, pipeline=pipe)
        begun = time.monotonic()
        pipe.execute()
    connection.close()
    took = wait_for("every reminder", lambda: len(per_phone(mark)) == n, args.confirm_wait)
    took = took if took == took else time.monotonic() - begun
    time.sleep(2)  # a second copy would be on its way
    counts = Counter(per_phone(mark).get(phone, 0) for phone in phones)
    sent = slotline.scalar(f"SELECT count(*) FROM notifications WHERE id IN ({','.join(map(str, rows))}) "
                           "AND status = 'sent'")
    print(f"appointments made: {len(made)}; 24 h reminders planned and released at once: {len(rows)} "
          f"({len(jobs)} jobs in Redis); at the Twilio double after {took:.1f} s: {counts.get(1, 0)} phones got "
          f"exactly one, {counts.get(0, 0)} none, {sum(v for k, v in counts.items() if k > 1)} more than one; "
          f"rows sent: {sent}")


def check_confirmations(slotline: Slotline, chats: list[dict], wait: float) -> None:
    """Every appointment's confirmation at its double exactly once: SMS for those made over REST or SMS
    (the code in the body), one more message beside the booked reply for those made on Telegram and Slack."""
    print("\n## Confirmations")
    expected = slotline.scalar("SELECT count(*) FROM appointments")
    chat_codes = {}
    engine = create_engine(slotline.pg.url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT confirmation_code, channel FROM appointments")).all()
    engine.dispose()
    for run in chats:
        if "said" in run:
            chat_codes[run["channel"]] = run

    def tally() -> Counter:
        bodies = [call.form.get("Body", "") for call in list(slotline.twilio.calls)]
        out = Counter()
        for code, channel in rows:
            if channel in chat_codes:
                out[sum(code in said for said in chat_codes[channel]["said"]()) - 1] += 1  # less the booked reply
            else:
                out[sum(code in body for body in bodies)] += 1
        return out
    began = time.monotonic()
    took = wait_for("every confirmation", lambda: set(tally()) == {1}, wait)
    counts = tally()
    outcome = f"all arrived {took:.1f} s after the last drill" if took == took else \
        f"after {time.monotonic() - began:.0f} s {counts.get(0, 0)} missing"
    print(f"expected {expected} confirmations (one an appointment); {outcome}; "
          f"arrived once: {counts.get(1, 0)}, twice or more: {sum(v for k, v in counts.items() if k > 1)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--racers", type=int, default=32)
    parser.add_argument("--down", type=float, default=2.0, help="seconds into the storm, and of the outage")
    parser.add_argument("--drills", default="redis,postgres,hot,duplicate,reminders")
    parser.add_argument("--reminders", type=int, default=200, help="reminders due at once (drill 5)")
    parser.add_argument("--confirm-wait", type=float, default=90.0,
                        help="seconds to wait for every confirmation (or reminder) once all is back")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs ({platform.machine()}), Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    workdir = Path(tempfile.mkdtemp(prefix="slotline-drills-"))
    began = time.monotonic()
    with PostgresServer() as pg, RedisServer() as rd, TwilioApiDouble() as twilio, TelegramAPI() as telegram:
        slack = SlackApiDouble().start()
        slotline = Slotline(pg, rd, twilio, telegram, slack, workdir)
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
            chats = drill_duplicate(slotline) if "duplicate" in args.drills else []
            if "reminders" in args.drills:
                drill_reminders(slotline, args, spare[20:20 + args.reminders])
            check_confirmations(slotline, chats, args.confirm_wait)
        finally:
            slotline.stop()
            slack.stop()
        print(f"\nserver logs: {slotline.log_lines('Traceback')} tracebacks, "
              f"{slotline.log_lines(SERVER_ERROR)} HTTP 500 answers; load average {os.getloadavg()[0]:.2f}; "
              f"took {time.monotonic() - began:.0f} s in all")


if __name__ == "__main__":
    main()
