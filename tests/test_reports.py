"""Reports: a small known set of appointments, read back as the summary, the heatmap and `slotline report`."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from config.settings import Settings
from core.db.models import Service, WaitlistEntry
from slotline.bootstrap import build
from tests.factories import MONDAY_MORNING, FixedClock, make_salon
from webhooks.app import create_app

AUTH = {"Authorization": "Bearer test-token"}
REPORT_TIME = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)  # Thursday noon (London is on UTC)
WEEK = {"from": "2026-11-30", "to": "2026-12-04"}


def utc(d: int, hh: int, mm: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, d, hh, mm, tzinfo=timezone.utc)


@pytest.fixture(name="clock")
def clock_fixture() -> FixedClock:
    return FixedClock(MONDAY_MORNING)


@pytest.fixture(name="salon")
def salon_fixture(session_factory):
    """Sam and Alex, 09:00-17:00 Mon-Fri less lunch 12:00-13:00 (7 open hours a day), in London; priced services."""
    salon = make_salon(session_factory)
    with session_factory() as s:
        for service_id, price in ((salon.haircut, "30.00"), (salon.beard, "12.50"), (salon.colour, "80.00")):
            s.execute(update(Service).where(Service.id == service_id).values(price=Decimal(price)))
        s.commit()
    return salon


@pytest.fixture(name="api")
def api_fixture(engine, redis_client, clock, salon, tmp_path: Path) -> Iterator[TestClient]:
    container = build(Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path)),
                      redis=redis_client, engine=engine, clock=clock)
    with TestClient(create_app(container), headers=AUTH) as client:
        yield client


def book(api: TestClient, service: int, provider: int, client: int, start: datetime) -> int:
    response = api.post("/api/v1/appointments", json={"serviceId": service, "providerId": provider,
                                                      "clientId": client, "startTime": start.isoformat()})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def mark(api: TestClient, appointment_id: int, status: str) -> None:
    response = api.put(f"/api/v1/appointments/{appointment_id}", json={"status": status})
    assert response.status_code == 200, response.text


@pytest.fixture(name="week")
def week_fixture(api, salon, clock, session_factory) -> None:
    """The week of Mon 30 Nov 2026, seen on Thursday noon:

    Sam: a haircut Mon 10:00 (completed), a beard trim Mon 14:00 (no-show), a haircut Tue 10:00 (confirmed, over).
    Alex: a colour Tue 09:00 cancelled late, a haircut Wed 15:00 cancelled early, a haircut Fri 11:00 to come,
    and Friday afternoon off (13:00-17:00). The waiting list: two entries whose window passed unbooked
    (one with Sam, one with anyone), one booked, one whose window is still open."""
    a, b, c = salon.clients
    response = api.post(f"/api/v1/providers/{salon.alex}/time-off",
                        json={"startTime": utc(4, 13).isoformat(), "endTime": utc(4, 17).isoformat()})
    assert response.status_code == 201, response.text
    completed = book(api, salon.haircut, salon.sam, a, utc(30, 10, month=11))
    no_show = book(api, salon.beard, salon.sam, b, utc(30, 14, month=11))
    book(api, salon.haircut, salon.sam, c, utc(1, 10))
    late = book(api, salon.colour, salon.alex, a, utc(1, 9))
    early = book(api, salon.haircut, salon.alex, b, utc(2, 15))
    book(api, salon.haircut, salon.alex, c, utc(4, 11))
    clock.now = utc(30, 10, month=11)  # Monday 10:00: 23 hours before Tuesday 09:00, inside the 24-hour window
    assert api.delete(f"/api/v1/appointments/{late}").json()["lateCancellation"] is True
    assert api.delete(f"/api/v1/appointments/{early}").json()["lateCancellation"] is False
    clock.now = REPORT_TIME
    mark(api, completed, "completed")
    mark(api, no_show, "no_show")
    with session_factory() as s:
        s.add_all([
            WaitlistEntry(client_id=a, service_id=salon.haircut, provider_id=salon.sam, window_start=utc(1, 9),
                          window_end=utc(1, 12), status="waiting"),
            WaitlistEntry(client_id=b, service_id=salon.beard, provider_id=None, window_start=utc(2, 9),
                          window_end=utc(2, 17), status="expired"),
            WaitlistEntry(client_id=c, service_id=salon.haircut, provider_id=salon.alex, window_start=utc(1, 9),
                          window_end=utc(1, 17), status="booked"),
            WaitlistEntry(client_id=a, service_id=salon.haircut, provider_id=None, window_start=utc(4, 9),
                          window_end=utc(4, 17), status="waiting"),
        ])
        s.commit()


def test_the_summary_per_provider_and_per_service(api, salon, week):
    response = api.get("/api/v1/reports/summary", params=WEEK)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["from"], report["to"], report["timezone"]) == ("2026-11-30", "2026-12-04", "Europe/London")
    providers = {p["name"]: p for p in report["providers"]}
    assert providers["Sam"] == {
        "providerId": salon.sam, "name": "Sam", "bookings": 3, "bookedHours": 1.83, "openHours": 35.0,
        "occupancy": round(110 / 2100, 4), "cancellations": 0, "lateCancellations": 0, "noShows": 1,
        "revenue": 60.0, "unmetWaitlist": 1}
    assert providers["Alex"] == {
        "providerId": salon.alex, "name": "Alex", "bookings": 1, "bookedHours": 0.75, "openHours": 31.0,
        "occupancy": round(45 / 1860, 4), "cancellations": 2, "lateCancellations": 1, "noShows": 0,
        "revenue": 0.0, "unmetWaitlist": 0}
    services = {sv["name"]: sv for sv in report["services"]}
    assert {name: (sv["bookings"], sv["bookedHours"], sv["cancellations"], sv["lateCancellations"], sv["noShows"],
                   sv["revenue"], sv["unmetWaitlist"]) for name, sv in services.items()} == {
        "Haircut": (3, 2.25, 1, 0, 0, 60.0, 1),
        "Colour": (0, 0.0, 1, 1, 0, 0.0, 0),
        "Beard trim": (1, 0.33, 0, 0, 1, 0.0, 1),
    }
    total = report["total"]
    assert (total["bookings"], total["openHours"], total["cancellations"], total["noShows"], total["revenue"],
            total["unmetWaitlist"]) == (4, 66.0, 2, 1, 60.0, 2)
    assert report["unmetWaitlistAnyProvider"] == 1
    assert "completed" in report["revenueCounts"]


def test_a_day_outside_the_period_is_not_counted_and_the_default_is_the_last_30_days(api, salon, week):
    monday = api.get("/api/v1/reports/summary", params={"from": "2026-11-30", "to": "2026-11-30"}).json()
    sam = next(p for p in monday["providers"] if p["name"] == "Sam")
    assert (sam["bookings"], sam["bookedHours"], sam["openHours"], sam["revenue"]) == (2, 1.08, 7.0, 30.0)

    default = api.get("/api/v1/reports/summary").json()
    assert (default["from"], default["to"]) == ("2026-11-04", "2026-12-03")
    assert default["total"]["bookings"] == 3  # Friday's is after today


@pytest.mark.parametrize("params, message", [
    ({"from": "2026-12-04", "to": "2026-11-30"}, "`from` must not be after `to`"),
    ({"from": "2025-01-01", "to": "2026-12-31"}, "at most 366 days"),
])
def test_a_bad_period_is_422_with_a_reason(api, salon, params, message):
    response = api.get("/api/v1/reports/summary", params=params)
    assert response.status_code == 422 and message in response.json()["detail"]
    assert api.get("/api/v1/reports/heatmap", params={"from": "someday"}).status_code == 422


def test_reports_need_the_admin_token(api, salon):
    assert TestClient(api.app).get("/api/v1/reports/summary").status_code == 401


def test_the_heatmap_counts_bookings_by_weekday_and_local_hour(api, salon, week):
    response = api.get("/api/v1/reports/heatmap", params=WEEK)
    assert response.status_code == 200, response.text
    heat = response.json()
    assert heat["total"] == 4
    filled = {(day["name"], hour): n for day in heat["days"] for hour, n in enumerate(day["hours"]) if n}
    assert filled == {("Mon", 10): 1, ("Mon", 14): 1, ("Tue", 10): 1, ("Fri", 11): 1}


def test_the_heatmap_reads_local_hours_across_a_dst_change(api, salon, clock):
    clock.now = datetime(2026, 3, 23, 8, 0, tzinfo=timezone.utc)
    a = salon.clients[0]
    book(api, salon.haircut, salon.sam, a, datetime(2026, 3, 27, 10, 0, tzinfo=timezone.utc))  # Fri 10:00 GMT
    book(api, salon.haircut, salon.sam, a, datetime(2026, 3, 30, 9, 0, tzinfo=timezone.utc))  # Mon 10:00 BST
    heat = api.get("/api/v1/reports/heatmap", params={"from": "2026-03-23", "to": "2026-04-03"}).json()
    filled = {(day["name"], hour): n for day in heat["days"] for hour, n in enumerate(day["hours"]) if n}
    assert filled == {("Fri", 10): 1, ("Mon", 10): 1}
    summary = api.get("/api/v1/reports/summary", params={"from": "2026-03-23", "to": "2026-04-03"}).json()
    sam = next(p for p in summary["providers"] if p["name"] == "Sam")
    assert sam["openHours"] == 70.0  # ten working days of 7 hours, whichever side of the change


def test_slotline_report_prints_the_tables(api, salon, week, engine, tmp_path):
    url = engine.url.render_as_string(hide_password=False)
    env = {"PATH": "/usr/bin:/bin", "SLOTLINE_DATA_DIR": str(tmp_path), "SLOTLINE_DATABASE_URL": url,
           "COLUMNS": "160"}
    done = subprocess.run([sys.executable, "-m", "slotline.cli", "report", "--from", "2026-11-30",
                           "--to", "2026-12-04"], env=env, capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "By provider" in out and "By service" in out and "Bookings by weekday and hour" in out
    sam = next(line for line in out.splitlines() if "Sam" in line)
    assert [cell.strip() for cell in sam.strip("│ ").split("│")][:3] == ["Sam", "3", "1.8"]
    assert "Mon 30 Nov 2026 – Fri 4 Dec 2026" in out
    monday = next(line for line in out.splitlines() if line.startswith("│ Mon"))
    assert monday.rstrip(" │").endswith("│     2")  # two bookings on Monday

    bad = subprocess.run([sys.executable, "-m", "slotline.cli", "report", "--from", "tomorrow"],
                         env=env, capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1])
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
