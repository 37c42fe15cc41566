"""The HTTP edge under load, against a static file served by the same `slotline web` in the same run.

Starts its own PostgreSQL and Redis (tests/servers.py), loads a business of `--providers` providers
(default 200) offering a 15-minute "Check", the first 20 of them also a 15-minute "Trim", all open
00:00-23:45 every day (the shape of the issue's own edge measurement), starts `slotline web [--workers N]` on
them and drives it with wrk (`apt-get install wrk`), 16 connections, one wrk thread:

- static: GET /chat/chat.css, the file the chat page loads (the ceiling of the same server);
- bookings: POST /api/v1/appointments (admin token), each request a free slot of its own;
- availability: GET /api/v1/providers/{id}/availability for a provider-month (30 days, 100 booked);
- chat200 / chat20 (and chat20 alone, on one connection): "any provider" first chat turns,
  "a check|trim tomorrow at <time>" over 200 and 20 providers: every request a new session from an
  address of its own (X-Forwarded-For through SLOTLINE_TRUSTED_PROXIES), the time cycling through 48 quarter hours; the holds these turns place
  are cleared between rounds, so each round starts from the same free calendar;
- hot slot: 64 racers POST at once for 10 slots (one provider, 10 times, racer i takes time i % 10):
  exactly 10 must get 201 and 54 409; the time until all 64 have an answer.

Rounds of `--seconds` run the scenarios in turn (static, bookings, availability, chat200, chat20),
`--rounds` times, and the medians over rounds are printed (rate, p50, p99 and the ratio to the static
file's rate), with the machine: CPUs, load average, Python, PostgreSQL, wrk.

    .venv/bin/python benchmarks/edge.py                       # about 2 minutes
    .venv/bin/python benchmarks/edge.py --workers 2 --rounds 5 --seconds 5
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402  (path set up above so the script runs from the repo root or anywhere)
import redis  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from benchmarks.booking_fixture import servers  # noqa: E402
from tests.servers import free_port  # noqa: E402

TOKEN = "edge-bench-token-0123456789abcdef"
TIMES = [f"{h % 12 or 12}{'' if m == 0 else f':{m:02d}'}{'am' if h < 12 else 'pm'}"
         for h in range(9, 21) for m in (0, 15, 30, 45)]  # 48 quarter hours, 9am-8:45pm
SCENARIOS = ("static", "bookings", "availability", "chat200", "chat20", "chat20 alone")
GOALS = {"bookings": 0.35, "chat200": 0.03}

BOOK_LUA = """
local pids = {%(pids)s}
local n, tid, counter = 0, 0, 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["Content-Type"] = "application/json"
function request()
  n = n + 1
  local p = pids[(n %% #pids) + 1]
  local slot = math.floor(n / #pids) * 8 + tid + %(offset)d   -- each thread and round its own slots
  local ts = %(base)d + slot * 900
  local body = string.format(
    '{"serviceId": %(service)d, "providerId": %%d, "clientId": %(client)d, "startTime": "%%s"}', p,
    os.date("!%%Y-%%m-%%dT%%H:%%M:%%S+00:00", ts))
  return wrk.format(nil, "/api/v1/appointments", nil, body)
end
"""

CHAT_LUA = """
local times = {%(times)s}
local n, tid, counter = 0, 0, 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  n = n + 1
  local body = string.format('{"session": "edge-%(round)s-%%d-%%d", "text": "a %(service)s tomorrow at %%s"}',
                             tid, n, times[(n %% #times) + 1])
  wrk.headers["X-Forwarded-For"] = string.format("10.%%d.%%d.%%d", tid, math.floor(n / 250) %% 250, n %% 250 + 1)
  return wrk.format(nil, "/api/v1/chat", nil, body)
end
"""


def business(providers: int, small: int) -> str:
    syl = ["ka", "lo", "mi", "ru", "te", "va", "no", "si", "da", "fe", "go", "hu", "ji", "be", "po"]
    names = [(a + b + c).capitalize() for a in syl for b in syl for c in syl if len({a, b, c}) == 3][:providers]
    lines = ["business:\n  name: Edge\n  timezone: UTC\n  minNoticeMinutes: 0\n  horizonDays: 400\n"
             "  slotIntervalMinutes: 15",
             "services:\n  - name: Check\n    duration: 15\n  - name: Trim\n    duration: 15", "providers:"]
    for i, name in enumerate(names):
        offered = "[Check, Trim]" if i < small else "[Check]"
        lines.append(f"  - name: {name}\n    services: {offered}\n    hours:\n      mon-sun: \"00:00-23:45\"")
    return "\n".join(lines) + "\n"


def wrk(url: str, *, seconds: float, connections: int, script: Path | None = None,
        headers: dict[str, str] | None = None) -> dict:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "10s", "--latency"]
    for key, value in (headers or {}).items():
        argv += ["-H", f"{key}: {value}"]
    if script is not None:
        argv += ["-s", str(script)]
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    return dict(rate=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
                p50=_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
                p99=_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
                non2xx=int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0,
                errors=re.search(r"Socket errors:.*", out).group(0) if "Socket errors" in out else "")


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


class Edge:
    """A `slotline web` on the benchmark's servers, and what the scenarios need to know of it."""

    def __init__(self, args: argparse.Namespace, database_url: str, redis_url: str, workdir: Path):
        self.args, self.database_url, self.redis_url, self.workdir = args, database_url, redis_url, workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SLOTLINE_DATABASE_URL": database_url, "SLOTLINE_REDIS_URL": redis_url,
                    "SLOTLINE_ADMIN_TOKEN": TOKEN, "SLOTLINE_DATA_DIR": str(workdir / "data"),
                    "SLOTLINE_TRUSTED_PROXIES": "127.0.0.1", "SLOTLINE_HOLDS_PER_IP": "3",
                    **{f"SLOTLINE_RATE_LIMIT_{k}": "" for k in ("CHAT", "CHAT_IP", "INBOX", "INBOX_IP", "SENDER",
                                                                 "WEBHOOK_IP", "CALENDAR_IP", "BOOKINGS_IP")}}
        self.bin = Path(sys.executable).parent
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Edge:
        (self.workdir / "biz.yaml").write_text(business(self.args.providers, 20))
        slotline = str(self.bin / "slotline")
        subprocess.run([slotline, "migrate"], env=self.env, check=True, capture_output=True, cwd=self.workdir)
        subprocess.run([slotline, "load", str(self.workdir / "biz.yaml")], env=self.env, check=True,
                       capture_output=True, cwd=self.workdir)
        self.log = open(self.workdir / "web.log", "w")
        self.proc = subprocess.Popen([slotline, "web", "--port", str(self.port), "--workers", str(self.args.workers)],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.workdir)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise SystemExit(f"slotline web did not answer /healthz:\n{(self.workdir / 'web.log').read_text()[-2000:]}")
        self.api = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        self.client = self.api.post("/api/v1/users", json={"name": "Edge Client", "role": "client"}).json()["id"]
        services = {s["name"]: s["id"] for s in self.api.get("/api/v1/services").json()}
        self.check, self.trim = services["Check"], services["Trim"]
        self.providers = [p["id"] for p in self.api.get("/api/v1/providers").json()]
        return self

    def __exit__(self, *exc) -> None:
        self.api.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def fill_month(engine, edge: Edge, first: date) -> int:
    """100 booked 15-minute appointments in the first provider's month from `first`; that provider's id."""
    provider = edge.providers[0]
    with engine.begin() as c:
        for i in range(100):
            start = datetime.combine(first, datetime.min.time(), UTC) + timedelta(days=i % 30, hours=8 + (i // 30) * 2)
            c.execute(text(
                "INSERT INTO appointments (service_id, provider_id, client_id, start_at, end_at, block_start, "
                "block_end, status, version, confirmation_code, late_cancellation, channel, created_at, updated_at) "
                "VALUES (:s, :p, :c, :a, :b, :a, :b, 'confirmed', 1, :code, false, 'web', now(), now())"),
                dict(s=edge.check, p=provider, c=edge.client, a=start, b=start + timedelta(minutes=15),
                     code=f"M{i:09d}"))
        c.execute(text("ANALYZE appointments"))
    return provider


def clear_holds(client: redis.Redis) -> None:
    for pattern in ("slotline:holds:*", "slotline:holder:*", "slotline:origin:*"):
        keys = list(client.scan_iter(pattern, count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i:i + 500])


def hot_slot(edge: Edge, start: datetime, racers: int = 64, slots: int = 10) -> tuple[dict[int, int], float]:
    """`racers` POSTs at once for `slots` times of one provider; (status counts, seconds until all answered)."""
    provider = edge.providers[-1]
    codes: list[int] = []
    barrier = threading.Barrier(racers + 1)
    bodies = [json.dumps({"serviceId": edge.check, "providerId": provider, "clientId": edge.client,
                          "startTime": (start + timedelta(minutes=15 * (i % slots))).isoformat()})
              for i in range(racers)]
    clients = [httpx.Client(base_url=edge.url, timeout=60, headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}) for _ in range(racers)]
    for c in clients:
        c.get("/healthz")  # connect first: the race is over bookings, not TCP handshakes

    def race(i: int) -> None:
        barrier.wait()
        try:
            codes.append(clients[i].post("/api/v1/appointments", content=bodies[i]).status_code)
        except httpx.HTTPError:
            codes.append(0)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    barrier.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    took = time.perf_counter() - began
    for c in clients:
        c.close()
    return {code: codes.count(code) for code in sorted(set(codes))}, took


def machine(database_url: str) -> str:
    engine = create_engine(database_url)
    with engine.connect() as c:
        pg = c.scalar(text("SHOW server_version"))
    engine.dispose()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return (f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, Python {platform.python_version()}, "
            f"PostgreSQL {pg}, {wrk_version.split(' [')[0]}")


def run(args: argparse.Namespace, database_url: str, redis_url: str) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="slotline-edge-"))
    engine = create_engine(database_url)
    r = redis.Redis.from_url(redis_url)
    try:
        with Edge(args, database_url, redis_url, workdir) as edge:
            print(f"machine: {machine(database_url)}", flush=True)
            print(f"slotline web --workers {args.workers}, {len(edge.providers)} providers (Check: all, Trim: 20), "
                  f"wrk -t1 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds", flush=True)
            tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
            month = tomorrow + timedelta(days=40)
            provider = fill_month(engine, edge, month)
            booking_base = int(datetime.combine(tomorrow + timedelta(days=80), datetime.min.time(), UTC).timestamp())
            scripts = {}
            results: dict[str, list[dict]] = {name: [] for name in SCENARIOS}
            loads = []
            for n in range(args.rounds):
                scripts["bookings"] = workdir / "book.lua"
                scripts["bookings"].write_text(BOOK_LUA % dict(
                    pids=",".join(map(str, edge.providers)), token=TOKEN, offset=n * 40_000 // len(edge.providers),
                    base=booking_base, service=edge.check, client=edge.client))
                for name, service in (("chat200", "check"), ("chat20", "trim"), ("chat20 alone", "trim")):
                    scripts[name] = workdir / f"{name}.lua"
                    scripts[name].write_text(CHAT_LUA % dict(times=",".join(f'"{t}"' for t in TIMES), round=n,
                                                             service=service))
                for name in SCENARIOS:
                    clear_holds(r)
                    if name == "static":
                        res = wrk(edge.url + "/chat/chat.css", seconds=args.seconds, connections=args.connections)
                    elif name == "availability":
                        res = wrk(f"{edge.url}/api/v1/providers/{provider}/availability?serviceId={edge.check}"
                                  f"&startDate={month}&endDate={month + timedelta(days=29)}",
                                  seconds=args.seconds, connections=args.connections,
                                  headers={"Authorization": f"Bearer {TOKEN}"})
                    else:  # "alone": one connection, so latency is a turn's own, not a queue's
                        res = wrk(edge.url, seconds=args.seconds, script=scripts[name],
                                  connections=1 if name.endswith("alone") else args.connections)
                    results[name].append(res)
                    loads.append(os.getloadavg()[0])
                    print(f"  round {n + 1} {name:12} {res['rate']:8.1f}/s  p50 {res['p50']:8.2f} ms  "
                          f"p99 {res['p99']:8.2f} ms  non-2xx {res['non2xx']} {res['errors']}", flush=True)
            clear_holds(r)
            races = []
            for n in range(args.rounds):
                day = tomorrow + timedelta(days=200 + n)
                start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
                races.append(hot_slot(edge, start))
                print(f"  round {n + 1} hot slot     statuses {races[-1][0]}, all 64 answered in "
                      f"{races[-1][1] * 1e3:.0f} ms", flush=True)
            report(results, races, loads, edge)
            errors = sum(1 for line in (workdir / "web.log").read_text().splitlines()
                         if " 500 " in line or "Traceback" in line)
            print(f"server log: {errors} lines with a 500 or a traceback; load average now "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        r.close()
        engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


def report(results: dict[str, list[dict]], races: list, loads: list[float], edge: Edge) -> None:
    static = statistics.median(r["rate"] for r in results["static"])
    print(f"\nmedians over {len(results['static'])} rounds (load average during the rounds: median "
          f"{statistics.median(loads):.2f}, max {max(loads):.2f}):")
    for name in SCENARIOS:
        rate = statistics.median(r["rate"] for r in results[name])
        p50 = statistics.median(r["p50"] for r in results[name])
        p99 = statistics.median(r["p99"] for r in results[name])
        goal = GOALS.get(name)
        verdict = "" if goal is None else f"  goal >= {goal}: {'met' if rate / static >= goal else 'NOT met'}"
        if name == "chat20 alone":
            verdict = f"  goal p50 < 50 ms: {'met' if p50 < 50 else 'NOT met'}"
        print(f"  {name:12} {rate:8.1f}/s  p50 {p50:8.2f} ms  p99 {p99:8.2f} ms  / static {rate / static:.3f}{verdict}")
    exact = all(c == {201: 10, 409: 54} for c, _ in races)
    print(f"  hot slot     64 racers for 10 slots: {'exactly 10 bookings every round' if exact else 'WRONG: '}"
          f"{'' if exact else [c for c, _ in races]}; all answered in median "
          f"{statistics.median(t for _, t in races) * 1e3:.0f} ms (max {max(t for _, t in races) * 1e3:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="slotline web --workers N")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=5, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="an empty, disposable PostgreSQL database (default: start one)")
    parser.add_argument("--redis-url", help="a disposable Redis (default: start one)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    with servers(args.database_url, args.redis_url, durable=False) as (database_url, redis_url):
        run(args, database_url, redis_url)


if __name__ == "__main__":
    main()
