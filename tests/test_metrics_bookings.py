"""`/metrics` counts bookings from every channel, labelled by channel, read from the database: a
booking made in the web chat shows as well as one made over REST, and so would one made by
another web process or the worker."""
from __future__ import annotations

import re

from tests.api_helpers import AUTH
from tests.chat_helpers import (  # noqa: F401  (fixtures)
    Chat, appointments, clock_fixture, container_fixture, salon_fixture, web_fixture,
)


def bookings_on(web, channel: str) -> float | None:
    found = re.search(rf'^slotline_bookings_total\{{channel="{channel}"\}} (\S+)$', web.get("/metrics").text, re.M)
    return None if found is None else float(found[1])


def test_a_web_chat_booking_and_a_rest_booking_each_count_under_their_channel(web, session_factory, salon):
    assert bookings_on(web, "web") is None and "# TYPE slotline_bookings_total counter" in web.get("/metrics").text
    chat = Chat(web)
    chat.say("a haircut with Sam tomorrow after 4")
    chat.pick("16:00")
    chat.pick("Yes")
    chat.say("Ana Souza")
    [row] = appointments(session_factory)
    assert row.channel == "web"
    assert bookings_on(web, "web") == 1.0 and bookings_on(web, "api") is None

    rest = web.post("/api/v1/appointments", headers=AUTH, json={
        "serviceId": salon.beard, "providerId": salon.alex, "clientId": salon.clients[0],
        "startTime": "2026-12-02T10:00:00Z"})
    assert rest.status_code == 201, rest.text
    assert web.delete(f"/api/v1/appointments/{rest.json()['id']}", headers=AUTH).status_code == 200
    assert (bookings_on(web, "web"), bookings_on(web, "api")) == (1.0, 1.0)  # a cancelled one was still booked
