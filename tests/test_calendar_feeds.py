"""Calendar feeds: a provider's secret iCalendar URL (REST) and a client's (chat), read as a calendar app would."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from bots.webchat import CHANNEL as WEB
from config.settings import Settings
from core.booking import clients
from slotline.bootstrap import build
from tests.chat_helpers import Chat
from tests.factories import MONDAY_MORNING, FixedClock, make_salon
from webhooks.app import create_app

PUBLIC = "https://book.example.com"
AUTH = {"Authorization": "Bearer test-token"}


@pytest.fixture(name="salon")
def salon_fixture(session_factory):
    return make_salon(session_factory)


@pytest.fixture(name="web")
def web_fixture(engine, redis_client, salon, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path),
                        SLOTLINE_PUBLIC_URL=PUBLIC)
    container = build(settings, redis=redis_client, engine=engine, clock=FixedClock(MONDAY_MORNING))
    with TestClient(create_app(container)) as client:
        yield client


def book(web: TestClient, salon, provider: int, client: int, start: str, service: int | None = None) -> dict:
    response = web.post("/api/v1/appointments", headers=AUTH, json={
        "serviceId": service or salon.haircut, "providerId": provider, "clientId": client, "startTime": start})
    assert response.status_code == 201, response.text
    return response.json()


def feed_url(web: TestClient, provider: int) -> str:
    response = web.get(f"/api/v1/providers/{provider}/calendar", headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()["url"]


def fetch(web: TestClient, url: str):
    """GET the feed as a calendar app does (no token), by the path of its public URL."""
    return web.get(url.removeprefix(PUBLIC))


def events(web: TestClient, url: str) -> dict[str, dict]:
    response = fetch(web, url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]): {"summary": str(e["SUMMARY"]), "start": e.decoded("DTSTART"), "end": e.decoded("DTEND"),
                            "sequence": int(e["SEQUENCE"]), "status": str(e["STATUS"])}
            for e in calendar.walk("VEVENT")}


def test_a_providers_feed_lists_their_appointments_with_their_clients_names(web, salon):
    first = book(web, salon, salon.sam, salon.clients[0], "2026-12-01T10:00:00+00:00")
    second = book(web, salon, salon.sam, salon.clients[1], "2026-12-02T14:00:00+00:00", salon.beard)
    book(web, salon, salon.alex, salon.clients[2], "2026-12-01T10:00:00+00:00")  # Alex's: not in Sam's feed

    url = feed_url(web, salon.sam)
    assert url.startswith(f"{PUBLIC}/calendar/") and url.endswith(".ics")
    assert feed_url(web, salon.sam) == url  # the same URL while it stands

    got = events(web, url)
    assert set(got) == {f"appointment-{first['id']}@slotline", f"appointment-{second['id']}@slotline"}
    one = got[f"appointment-{first['id']}@slotline"]
    assert one["summary"] == "Haircut: Client 0"
    assert one["start"] == datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    assert one["end"] == datetime(2026, 12, 1, 10, 45, tzinfo=timezone.utc)
    assert one["status"] == "CONFIRMED"
    assert got[f"appointment-{second['id']}@slotline"]["summary"] == "Beard trim: Client 1"


def test_the_feed_follows_a_move_and_drops_a_cancellation(web, salon):
    moved = book(web, salon, salon.sam, salon.clients[0], "2026-12-01T10:00:00+00:00")
    cancelled = book(web, salon, salon.sam, salon.clients[1], "2026-12-03T10:00:00+00:00")
    url = feed_url(web, salon.sam)
    uid = f"appointment-{moved['id']}@slotline"
    before = events(web, url)[uid]

    response = web.put(f"/api/v1/appointments/{moved['id']}", headers=AUTH,
                       json={"startTime": "2026-12-01T15:00:00+00:00"})
    assert response.status_code == 200, response.text
    assert web.delete(f"/api/v1/appointments/{cancelled['id']}", headers=AUTH).status_code == 200

    after = events(web, url)
    assert set(after) == {uid}
    assert after[uid]["start"] == datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)
    assert after[uid]["sequence"] > before["sequence"]


def test_a_wrong_or_revoked_secret_is_404_and_the_next_get_makes_a_new_url(web, salon):
    book(web, salon, salon.sam, salon.clients[0], "2026-12-01T10:00:00+00:00")
    url = feed_url(web, salon.sam)
    assert fetch(web, url).status_code == 200
    assert web.get("/calendar/not-a-secret.ics").status_code == 404
    assert fetch(web, url[:-8] + "AAAA.ics").status_code == 404

    revoked = web.delete(f"/api/v1/providers/{salon.sam}/calendar", headers=AUTH)
    assert revoked.status_code == 200 and revoked.json() == {"revoked": True}
    gone = fetch(web, url)
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"

    renewed = feed_url(web, salon.sam)
    assert renewed != url
    assert len(events(web, renewed)) == 1
    assert fetch(web, url).status_code == 404  # the old one stays dead


def test_feed_urls_need_the_admin_token_and_a_real_provider(web, salon):
    assert web.get(f"/api/v1/providers/{salon.sam}/calendar").status_code == 401
    missing = web.get("/api/v1/providers/999/calendar", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_the_feed_is_rate_limited_per_address(engine, redis_client, salon, tmp_path):
    settings = Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path),
                        SLOTLINE_PUBLIC_URL=PUBLIC, SLOTLINE_RATE_LIMIT_CALENDAR_IP="3/minute")
    container = build(settings, redis=redis_client, engine=engine, clock=FixedClock(MONDAY_MORNING))
    with TestClient(create_app(container)) as web:
        url = feed_url(web, salon.sam)
        assert [fetch(web, url).status_code for _ in range(3)] == [200, 200, 200]
        refused = web.get("/calendar/guess.ics")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_a_client_asks_for_their_calendar_in_the_chat(web, salon, session_factory):
    chat = Chat(web)
    client = clients.enroll(session_factory, WEB, chat.session, display_name="Dana")
    mine = book(web, salon, salon.sam, client.id, "2026-12-01T10:00:00+00:00")
    book(web, salon, salon.alex, salon.clients[0], "2026-12-01T11:00:00+00:00")  # someone else's

    chat.say("Can you add my appointments to my calendar?")
    assert "Here is your calendar link:" in chat.text
    url = next(word for word in chat.text.split() if word.startswith(PUBLIC))
    got = events(web, url)
    assert list(got) == [f"appointment-{mine['id']}@slotline"]
    assert got[f"appointment-{mine['id']}@slotline"]["summary"] == "Haircut with Sam"  # no client's name
    assert "Client 0" not in fetch(web, url).text

    chat.say("calendar feed")  # asked again: the same link
    assert url in chat.text

    chat.say("I'd like a new calendar link please")
    assert "the old one no longer works" in chat.text
    assert url not in chat.text
    assert fetch(web, url).status_code == 404


def test_a_stranger_in_the_chat_gets_no_feed(web, salon):
    chat = Chat(web)
    chat.say("calendar feed")
    assert "no appointments with us yet" in chat.text
    assert PUBLIC not in chat.text
