"""A script that tries to empty the calendar through the public web chat, and what it leaves.

Run against a running Slotline (`./scripts/run.sh` with the demo salon), from the same folder:

    .venv/bin/python benchmarks/chat_flood.py --seconds 30

Several threads, each starting a fresh chat session per attempt, ask for "a colour with Sam as
soon as possible", take the first time offered, say yes and give the name "Mickey Mouse", as
fast as the server answers. Before and after, the free slots of every provider and service are
read over the REST API (admin token from var/admin-token or --token): the figures printed are
what a real client can still book on the day the script went for, and over the next 14 days.
"""
from __future__ import annotations

import argparse
import collections
import statistics
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx


def free_slots(api: httpx.Client, days: int) -> dict[tuple[str, str], collections.Counter]:
    """(provider, service) -> free slot starts per date, for `days` days from today."""
    start = date.today()
    end = start + timedelta(days=days - 1)
    services = {s["id"]: s["name"] for s in api.get("/api/v1/services").json()}
    counts = {}
    for provider in api.get("/api/v1/providers").json():
        for service_id in provider["serviceIds"]:
            slots = api.get(f"/api/v1/providers/{provider['id']}/availability",
                            params={"serviceId": service_id, "startDate": str(start), "endDate": str(end)}).json()
            counts[(provider["name"], services[service_id])] = collections.Counter(
                s["startTime"][:10] for s in slots["slots"])
    return counts


class Flood:
    def __init__(self, url: str, text: str, name: str):
        self.url, self.text, self.name = url, text, name
        self.stats = collections.Counter()
        self.days = collections.Counter()
        self.latencies: list[float] = []
        self.lock = threading.Lock()

    def post(self, http: httpx.Client, body: dict) -> dict:
        started = time.perf_counter()
        response = http.post("/api/v1/chat", json=body)
        with self.lock:
            self.latencies.append(time.perf_counter() - started)
            self.stats[f"http {response.status_code}"] += 1
        return response.json() if response.headers.get("content-type", "").startswith("application/json") else {}

    def attempt(self, http: httpx.Client) -> None:
        session = uuid.uuid4().hex
        replies = self.post(http, {"session": session, "text": self.text}).get("replies", [])
        slots = [c["value"] for r in replies for c in r["choices"] if c["value"].startswith("slot:")]
        if not slots:
            return
        text = " ".join(r["text"] for r in self.post(http, {"session": session, "choice": slots[0]}).get("replies", []))
        if "Shall I book it?" not in text:
            self.count("hold refused" if "held from your connection" in text else "pick refused")
            return
        self.count("held")
        text = " ".join(r["text"] for r in self.post(http, {"session": session, "choice": "yes"}).get("replies", []))
        if "What name" in text:
            text = " ".join(r["text"] for r in self.post(http, {"session": session, "text": self.name})
                            .get("replies", []))
        self.count("booked" if "Booked!" in text else "booking refused")

    def count(self, what: str) -> None:
        with self.lock:
            self.stats[what] += 1

    def run(self, seconds: float, threads: int) -> None:
        deadline = time.monotonic() + seconds

        def loop() -> None:
            with httpx.Client(base_url=self.url, timeout=30) as http:
                while time.monotonic() < deadline:
                    self.attempt(http)

        workers = [threading.Thread(target=loop) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


def report(before: dict, after: dict) -> None:
    lost = {day for key in before for day in before[key] if before[key][day] != after[key].get(day, 0)}
    hit = min(lost) if lost else min(d for c in before.values() for d in c)
    print(f"\nfree slot starts a real client can still book (the day the script went for: {hit})")
    print(f"{'provider / service':28} {'day before':>10} {'after':>6} {'kept':>6}   {'14 d before':>11} {'after':>6}")
    totals = collections.Counter()
    for key in sorted(before):
        day_b, day_a = before[key][hit], after[key].get(hit, 0)
        all_b, all_a = sum(before[key].values()), sum(after[key].values())
        totals.update({"day_b": day_b, "day_a": day_a, "all_b": all_b, "all_a": all_a})
        kept = f"{day_a / day_b:.0%}" if day_b else "-"
        print(f"{' / '.join(key):28} {day_b:>10} {day_a:>6} {kept:>6}   {all_b:>11} {all_a:>6}")
    print(f"{'all':28} {totals['day_b']:>10} {totals['day_a']:>6} "
          f"{totals['day_a'] / max(totals['day_b'], 1):>6.0%}   {totals['all_b']:>11} {totals['all_a']:>6}"
          f"  ({totals['all_a'] / max(totals['all_b'], 1):.1%} over 14 days)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", default=None, help="admin token (default: var/admin-token)")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--text", default="a colour with Sam as soon as possible")
    parser.add_argument("--name", default="Mickey Mouse")
    args = parser.parse_args()
    token = args.token or Path("var/admin-token").read_text().strip()
    with httpx.Client(base_url=args.url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as api:
        before = free_slots(api, 14)
        flood = Flood(args.url, args.text, args.name)
        flood.run(args.seconds, args.threads)
        after = free_slots(api, 14)
    print(f"{args.seconds:.0f} s, {args.threads} threads, one address: {dict(sorted(flood.stats.items()))}")
    if flood.latencies:
        print(f"chat answer p50 {statistics.median(flood.latencies) * 1000:.0f} ms over {len(flood.latencies)} requests")
    report(before, after)


if __name__ == "__main__":
    main()
