"""Time `free_slots` for one provider-month, the unit a later issue budgets against one SQL SELECT.

Weekdays 09:00-18:00 with a 12:00-13:00 lunch, a 15-minute grid, a 60-minute service with a
10-minute buffer after, and about 100 busy blocks spread over the month (Europe/London, so
the month holds a DST change). Prints the median over repeats in microseconds.

    .venv/bin/python benchmarks/availability_month.py [--repeats N]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.booking.availability import (  # noqa: E402  (path set up above so the script runs from anywhere)
    Interval, Rules, Schedule, ServiceShape, WallWindow, block_of, free_slots,
)

START, END = date(2026, 3, 2), date(2026, 3, 31)


def month_fixture(seed: int = 7) -> tuple[Schedule, ServiceShape, Rules, list[Interval]]:
    day = (WallWindow(time(9), time(18)),)
    schedule = Schedule("Europe/London", weekly={d: day for d in range(1, 6)},
                        breaks={None: (WallWindow(time(12), time(13)),)})
    service = ServiceShape(timedelta(minutes=60), buffer_after=timedelta(minutes=10))
    rng = random.Random(seed)
    busy = []
    for _ in range(100):
        day_offset = rng.randrange((END - START).days + 1)
        start = datetime.combine(START + timedelta(days=day_offset), time(8), UTC)
        busy.append(block_of(start + timedelta(minutes=15 * rng.randrange(36)), service))
    return schedule, service, Rules(interval=timedelta(minutes=15)), busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    schedule, service, rules, busy = month_fixture()
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    samples = []
    for _ in range(args.repeats):
        began = clock.perf_counter()
        slots = free_slots(schedule, service, rules, start_date=START, end_date=END, now=now, busy=busy)
        samples.append((clock.perf_counter() - began) * 1e6)
    print(f"free_slots, provider-month ({START}..{END}), {len(busy)} busy blocks, {len(slots)} slots")
    print(f"median {statistics.median(samples):.0f} us, min {min(samples):.0f} us over {args.repeats} repeats")


if __name__ == "__main__":
    main()
