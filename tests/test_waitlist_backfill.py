"""The waiting list keeps its promise: a freed time is offered to waiting clients one at a time, in the
order they joined, over their own channel, held for each in turn; taking it books it in one tap or one
"Y". Driven as a user would: clients join over REST, an appointment is cancelled, the real RQ worker
runs the outbox's events on a clock the test moves, and what reaches the web chat inbox, the Twilio
double and the appointments table is what is checked."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from rq import Queue
from sqlalchemy import select

import worker
from core.booking import setup_writes
from core.booking.commands import Reschedule
from core.db.models import Appointment, WaitlistOffer
from core.db.session import UnitOfWork
from tests.doubles.smtp_server import SmtpDouble
from tests.doubles.twilio_api import Phone, TwilioWebhooks
from tests.factories import at
from tests.notification_helpers import PUBLIC_URL, doubles_fixture, make_desk  # noqa: F401  (fixtures)
from webhooks.app import create_app

NOW = datetime(2027, 5, 3, 8, 0, tzinfo=UTC)  # Monday 3 May 2027, 09:00 in London
TUESDAY_TWO = at("Europe/London", 2027, 5, 4, 14)
TUESDAY = (at("Europe/London", 2027, 5, 4, 0), at("Europe/London", 2027, 5, 5, 0))
AUTH = {"Authorization": "Bearer test-token"}
OFFER = ("Good news, {name}: a Haircut with Sam has opened up, tomorrow (Tue 4 May) at 14:00 London time. "
         "It's held for you for 15 minutes.")
BO_PHONE = "+442079460958"


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles):
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW)


@pytest.fixture(name="web")
def web_fixture(desk) -> Iterator[TestClient]:
    with TestClient(create_app(desk.container), headers=AUTH) as client:
        yield client


def join(desk, web, client_id: int) -> dict:
    response = web.post("/api/v1/waitlist", json={
        "clientId": client_id, "serviceId": desk.salon.haircut,
        "windowStart": TUESDAY[0].isoformat(), "windowEnd": TUESDAY[1].isoformat()})
    assert response.status_code == 201, response.text
    return response.json()


def inbox(desk, session: str) -> list[dict]:
    return desk.container.senders["web"].inbox.read(session)[0]


def tap(web, session: str, message: dict, label: str) -> str:
    value = next(c["value"] for c in message["choices"] if c["label"] == label)
    response = web.post("/api/v1/chat", json={"session": session, "choice": value})
    assert response.status_code == 200, response.text
    return "\n".join(r["text"] for r in response.json()["replies"])


def booked_at(desk, start: datetime) -> list[Appointment]:
    with UnitOfWork(desk.container.session_factory) as uow:
        return list(uow.session.scalars(select(Appointment).where(
            Appointment.start_at == start, Appointment.status == "confirmed")))


def offer_expiry(desk) -> datetime:
    with UnitOfWork(desk.container.session_factory) as uow:
        return uow.session.scalar(select(WaitlistOffer.expires_at).where(WaitlistOffer.status == "open"))


@pytest.fixture(name="story")
def story_fixture(desk, web):
    """Ana has Tuesday 14:00; Bo, Cy and Di (each on the web chat) join Tuesday's waiting list in that order."""
    people = {name: desk.client(name, "web", f"web-{name.lower()}") for name in ("Ana", "Bo", "Cy", "Di")}
    appt = desk.book(people["Ana"], TUESDAY_TWO)
    desk.work()
    for name in ("Bo", "Cy", "Di"):
        join(desk, web, people[name])
    return people, appt


def test_a_cancellation_is_offered_to_the_first_in_line_then_passes_on_and_the_second_takes_it(desk, web, story):
    people, appt = story
    desk.cancel(appt.id)
    desk.work()

    [offer] = inbox(desk, "web-bo")
    assert offer["text"] == OFFER.format(name="Bo")
    assert [c["label"] for c in offer["choices"]] == ["Book it", "No thanks"]
    assert inbox(desk, "web-cy") == [] and inbox(desk, "web-di") == []
    # Held for Bo: a chatter asking for that time is not shown it.
    asked = web.post("/api/v1/chat", json={"session": "web-eve", "text": "a haircut with Sam tomorrow at 2pm"})
    replies = asked.json()["replies"]
    assert "14:00 isn't free" in replies[0]["text"]
    assert not any(c["label"].startswith("14:00") for r in replies for c in r["choices"])

    desk.at(offer_expiry(desk) + timedelta(seconds=1))  # Bo lets it lapse: it passes to Cy, the next in line
    [offer_to_cy] = inbox(desk, "web-cy")
    assert offer_to_cy["text"] == OFFER.format(name="Cy")
    assert inbox(desk, "web-di") == []  # the third is never offered it while it is held for the second
    assert len(inbox(desk, "web-bo")) == 1

    said = tap(web, "web-cy", offer_to_cy, "Book it")
    assert said.startswith("Booked! Haircut with Sam, tomorrow (Tue 4 May) at 14:00 London time. "
                           "Your confirmation code is ")
    [booked] = booked_at(desk, TUESDAY_TWO)
    assert booked.client_id == people["Cy"]
    desk.work()
    assert inbox(desk, "web-cy")[-1]["text"].startswith("Booked: Haircut with Sam, tomorrow (Tue 4 May) at 14:00")

    # Bo taps his lapsed offer: told kindly that it has gone, and that he is still waiting.
    assert tap(web, "web-bo", offer, "Book it") == (
        "Sorry, that 14:00 slot has just gone. You're still on the waiting list for tomorrow (Tue 4 May); "
        "I'll message you if another time opens up.")
    assert len(booked_at(desk, TUESDAY_TWO)) == 1
    assert inbox(desk, "web-di") == []
    listed = {e["clientId"]: e["status"] for e in web.get("/api/v1/waitlist").json()}
    assert listed == {people["Bo"]: "waiting", people["Cy"]: "booked", people["Di"]: "waiting"}


def test_no_thanks_passes_the_time_to_the_next_at_once(desk, web, story):
    people, appt = story
    desk.cancel(appt.id)
    desk.work()
    [offer] = inbox(desk, "web-bo")
    assert tap(web, "web-bo", offer, "No thanks") == (
        "No problem, I've passed that time on. You're still on the waiting list for tomorrow (Tue 4 May); "
        "I'll message you if another time opens up.")
    desk.work()
    assert [m["text"] for m in inbox(desk, "web-cy")] == [OFFER.format(name="Cy")]
    assert inbox(desk, "web-di") == []


def test_tapping_book_it_twice_books_once(desk, web, story):
    people, appt = story
    desk.cancel(appt.id)
    desk.work()
    [offer] = inbox(desk, "web-bo")
    assert tap(web, "web-bo", offer, "Book it").startswith("Booked! Haircut with Sam")
    assert tap(web, "web-bo", offer, "Book it").startswith("Booked! Haircut with Sam")
    assert [a.client_id for a in booked_at(desk, TUESDAY_TWO)] == [people["Bo"]]


def test_an_sms_y_takes_the_offer(desk, web):
    ana = desk.client("Ana", "web", "web-ana")
    bo = desk.client("Bo", "sms", BO_PHONE)
    appt = desk.book(ana, TUESDAY_TWO)
    join(desk, web, bo)
    desk.cancel(appt.id)
    desk.work()
    text = desk.twilio.calls[-1].form
    assert text["To"] == BO_PHONE
    assert text["Body"] == OFFER.format(name="Bo") + " Reply Y to book it, or N to let it go."

    phone = Phone(TwilioWebhooks(web, auth_token=desk.twilio.auth_token, public_url=PUBLIC_URL), BO_PHONE)
    assert phone.text("Y")[0].startswith("Booked! Haircut with Sam, tomorrow (Tue 4 May) at 14:00 London time.")
    assert [a.client_id for a in booked_at(desk, TUESDAY_TWO)] == [bo]
    assert not phone.text("Y")[0].startswith("Booked")  # answered: a second Y books nothing more
    assert [a.client_id for a in booked_at(desk, TUESDAY_TWO)] == [bo]


def test_the_sweep_closes_a_lapsed_offer_whose_job_was_lost(desk, web, story):
    people, appt = story
    desk.cancel(appt.id)
    desk.work()
    lapse = offer_expiry(desk)
    desk.container.redis.flushdb()  # Redis lost its data: the expiry job, and the hold, are gone
    desk.clock.now = lapse + timedelta(minutes=1)
    desk.container.notifications.sweep()
    desk.work()
    assert [m["text"] for m in inbox(desk, "web-cy")] == [OFFER.format(name="Cy")]
    assert inbox(desk, "web-di") == []


def test_an_entry_whose_window_has_passed_expires(desk, web, story):
    people, _appt = story
    desk.clock.now = TUESDAY[1] + timedelta(minutes=1)
    desk.container.notifications.sweep()
    assert {e["status"] for e in web.get("/api/v1/waitlist").json()} == {"expired"}


@pytest.fixture(name="smtp")
def smtp_fixture() -> Iterator[SmtpDouble]:
    with SmtpDouble() as smtp:
        yield smtp


@pytest.fixture(name="emailed")
def emailed_fixture(engine, redis_client, tmp_path, doubles, smtp):
    """Eve, known only by email, is offered Ana's cancelled 14:00: the desk, the API, her id and the email."""
    for desk in make_desk(engine, redis_client, tmp_path, doubles, NOW, SLOTLINE_SMTP_URL=smtp.url,
                          SLOTLINE_EMAIL_FROM="bookings@salon.test"):
        with TestClient(create_app(desk.container), headers=AUTH) as web:
            appt = desk.book(desk.client("Ana", "web", "web-ana"), TUESDAY_TWO)
            with UnitOfWork(desk.container.session_factory, write=True) as uow:
                eve = setup_writes.create_user(uow.session, name="Eve", email="eve@example.com",
                                               timezone="Europe/London").id
                uow.commit()
            join(desk, web, eve)
            desk.cancel(appt.id)
            desk.work()
            [message] = smtp.messages_to("eve@example.com")
            yield desk, web, eve, message


def book_it_path(message) -> str:
    plain = message.get_body(("plain",)).get_content()
    link = next(line for line in plain.splitlines() if line.startswith("Book it: "))
    return link.removeprefix(f"Book it: {PUBLIC_URL}")


def test_by_email_the_offer_links_to_a_page_whose_button_books_it(emailed):
    desk, web, eve, message = emailed
    assert message["Subject"] == "A time has opened up: Haircut, tomorrow (Tue 4 May) at 14:00"
    assert message.get_body(("plain",)).get_content().startswith(OFFER.format(name="Eve"))
    path = book_it_path(message)
    assert path.startswith("/o/")
    page = web.get(path)  # a GET (a mail scanner's) only shows it
    assert page.status_code == 200 and "Book it" in page.text and booked_at(desk, TUESDAY_TWO) == []
    assert web.post(path[:-2] + "xx", data={"action": "take"}).status_code == 403  # tampered
    done = web.post(path, data={"action": "take"})
    assert done.status_code == 200 and "Your confirmation code is" in done.text
    assert "had run out" not in done.text
    assert [a.client_id for a in booked_at(desk, TUESDAY_TWO)] == [eve]


def test_the_email_pages_button_after_the_offer_lapsed_books_the_time_while_it_is_still_free(emailed):
    desk, web, eve, message = emailed
    desk.at(offer_expiry(desk) + timedelta(minutes=1))
    done = web.post(book_it_path(message), data={"action": "take"})
    assert done.status_code == 200, done.text
    assert "That offer had run out, but the time was still free, so it's yours." in unescape(done.text)
    assert "Your confirmation code is" in done.text
    assert [a.client_id for a in booked_at(desk, TUESDAY_TWO)] == [eve]


def test_a_move_to_another_provider_offers_the_time_left_to_the_old_providers_waiting_clients(desk, web):
    ana, bo = desk.client("Ana", "web", "web-ana"), desk.client("Bo", "web", "web-bo")
    appt = desk.book(ana, TUESDAY_TWO)
    web.post("/api/v1/waitlist", json={
        "clientId": bo, "serviceId": desk.salon.haircut, "providerId": desk.salon.sam,
        "windowStart": TUESDAY[0].isoformat(), "windowEnd": TUESDAY[1].isoformat()}).raise_for_status()
    desk.container.booking.reschedule(Reschedule(appt.id, TUESDAY_TWO, provider_id=desk.salon.alex, actor="api"))
    desk.work()
    [offer] = inbox(desk, "web-bo")  # Ana's 14:00 with Sam is free now: Bo, waiting for Sam, is offered it
    assert offer["text"] == OFFER.format(name="Bo")
    assert tap(web, "web-bo", offer, "Book it").startswith("Booked! Haircut with Sam, tomorrow (Tue 4 May) at 14:00")
    assert sorted((a.provider_id, a.client_id) for a in booked_at(desk, TUESDAY_TWO)) == sorted(
        [(desk.salon.alex, ana), (desk.salon.sam, bo)])


def test_a_move_event_written_before_it_said_the_provider_still_offers_the_time_left(desk, web, story):
    people, appt = story
    desk.move(appt.id, TUESDAY_TWO + timedelta(hours=1))
    Queue(worker.QUEUE, connection=desk.container.redis).empty()  # its event as an older Slotline queued it:
    desk.jobs.enqueue("event", "moved", appt.id, appt.version + 1, {"previous_start": TUESDAY_TWO.isoformat()},
                      job_id="old-move")  # the time it left, no provider or end
    desk.work()
    assert [m["text"] for m in inbox(desk, "web-bo")] == [OFFER.format(name="Bo")]
    assert inbox(desk, "web-cy") == []


def texts_to(desk, phone: str) -> list[str]:
    return [call.form["Body"] for call in desk.twilio.calls if call.form.get("To") == phone]


def test_a_client_told_by_sms_in_their_quiet_hours_is_passed_over_and_offered_a_later_time(desk, web):
    """09:00 in London is 04:00 in New York, inside the SMS quiet hours (21:00-08:00): an offer held 15
    minutes would lapse before Bo could be texted, so Cy, next in line on the web chat, has it."""
    ana, eve = desk.client("Ana", "web", "web-ana"), desk.client("Eve", "web", "web-eve")
    bo = desk.client("Bo", "sms", BO_PHONE, zone="America/New_York")
    cy = desk.client("Cy", "web", "web-cy")
    two, three = desk.book(ana, TUESDAY_TWO), desk.book(eve, TUESDAY_TWO + timedelta(hours=1))
    join(desk, web, bo)
    join(desk, web, cy)
    desk.cancel(two.id)
    desk.work()
    assert texts_to(desk, BO_PHONE) == []
    [offer] = inbox(desk, "web-cy")
    assert offer["text"] == OFFER.format(name="Cy")
    assert tap(web, "web-cy", offer, "Book it").startswith("Booked! Haircut with Sam")
    listed = {e["clientId"]: e["status"] for e in web.get("/api/v1/waitlist").json()}
    assert listed == {bo: "waiting", cy: "booked"}  # Bo still waits

    desk.at(NOW + timedelta(hours=5, minutes=30))  # 09:30 in New York: Bo can be texted now
    desk.cancel(three.id)
    desk.work()
    [text] = texts_to(desk, BO_PHONE)
    assert text == ("Good news, Bo: a Haircut with Sam has opened up, tomorrow (Tue 4 May) at 10:00 New York time. "
                    "It's held for you for 15 minutes. Reply Y to book it, or N to let it go.")


def test_a_client_no_channel_reaches_is_passed_over_rather_than_holding_the_time_for_nobody(desk, web):
    ana, cy = desk.client("Ana", "web", "web-ana"), desk.client("Cy", "web", "web-cy")
    made = web.post("/api/v1/users", json={"name": "Dan Nobody"})  # no phone, no email, no chat
    assert made.status_code == 201, made.text
    dan = made.json()["id"]
    two = desk.book(ana, TUESDAY_TWO)
    join(desk, web, dan)
    join(desk, web, cy)
    desk.cancel(two.id)
    desk.work()
    [offer] = inbox(desk, "web-cy")  # Cy, second in line, has it at once
    assert offer["text"] == OFFER.format(name="Cy")
    listed = {e["clientId"]: e["status"] for e in web.get("/api/v1/waitlist").json()}
    assert listed == {dan: "waiting", cy: "offered"}


LATE = "That offer had run out, but the time was still free, so it's yours: "


def test_book_it_after_the_offer_lapsed_books_the_time_while_it_is_still_free(desk, web):
    ana, bo = desk.client("Ana", "web", "web-ana"), desk.client("Bo", "web", "web-bo")
    appt = desk.book(ana, TUESDAY_TWO)
    join(desk, web, bo)
    desk.cancel(appt.id)
    desk.work()
    [offer] = inbox(desk, "web-bo")
    desk.at(offer_expiry(desk) + timedelta(minutes=5))  # lapsed, and nobody else is waiting
    said = tap(web, "web-bo", offer, "Book it")
    assert said.startswith(LATE + "Booked! Haircut with Sam, tomorrow (Tue 4 May) at 14:00 London time. "
                           "Your confirmation code is ")
    assert [a.client_id for a in booked_at(desk, TUESDAY_TWO)] == [bo]
    assert {e["clientId"]: e["status"] for e in web.get("/api/v1/waitlist").json()} == {bo: "booked"}
    assert tap(web, "web-bo", offer, "Book it").startswith("Booked! Haircut with Sam")  # again: the same booking
    assert [a.client_id for a in booked_at(desk, TUESDAY_TWO)] == [bo]


def test_book_it_after_the_offer_lapsed_and_passed_on_says_it_expired(desk, web, story):
    people, appt = story
    desk.cancel(appt.id)
    desk.work()
    [offer] = inbox(desk, "web-bo")
    desk.at(offer_expiry(desk) + timedelta(seconds=1))  # passed to Cy, held for her
    assert tap(web, "web-bo", offer, "Book it") == (
        "Sorry, that offer of 14:00 has expired. You're still on the waiting list for tomorrow (Tue 4 May); "
        "I'll message you if another time opens up.")
    assert booked_at(desk, TUESDAY_TWO) == []
    [offer_to_cy] = inbox(desk, "web-cy")
    assert tap(web, "web-cy", offer_to_cy, "Book it").startswith("Booked! Haircut with Sam")


def test_an_sms_y_after_the_offer_lapsed_books_the_time_while_it_is_still_free(desk, web):
    ana, bo = desk.client("Ana", "web", "web-ana"), desk.client("Bo", "sms", BO_PHONE)
    appt = desk.book(ana, TUESDAY_TWO)
    join(desk, web, bo)
    desk.cancel(appt.id)
    desk.work()
    desk.at(offer_expiry(desk) + timedelta(minutes=2))
    phone = Phone(TwilioWebhooks(web, auth_token=desk.twilio.auth_token, public_url=PUBLIC_URL), BO_PHONE)
    assert phone.text("Y")[0].startswith(LATE + "Booked! Haircut with Sam, tomorrow (Tue 4 May) at 14:00")
    assert [a.client_id for a in booked_at(desk, TUESDAY_TWO)] == [bo]
