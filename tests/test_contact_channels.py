"""Contact details on file are channels: who hears on what (preferred, else last talked on, else SMS, else
email), set over REST or in the chat, opt-outs per channel, and nobody dropped without a reason on record."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from core.booking import clients
from core.conversation.messages import Inbound
from core.db.models import ChannelIdentity, User
from core.db.session import UnitOfWork
from tests.doubles.smtp_server import SmtpDouble
from tests.factories import at
from tests.notification_helpers import doubles_fixture, make_desk  # noqa: F401  (fixtures)
from tests.test_notifications_delivery import cli
from webhooks.app import create_app

NOW = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)
MONDAY_TEN = at("Europe/London", 2027, 3, 29, 10)
DAY_BEFORE = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)  # the 24 h reminder
PHONE, EMAIL = "+442079460958", "ana@example.com"


@pytest.fixture(name="smtp")
def smtp_fixture():
    with SmtpDouble() as smtp:
        yield smtp


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles, smtp):
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW, SLOTLINE_SMTP_URL=smtp.url,
                         SLOTLINE_EMAIL_FROM="bookings@salon.test")


@pytest.fixture(name="api")
def api_fixture(desk):
    return TestClient(create_app(desk.container), headers={"Authorization": "Bearer test-token"})


def rest_client(api, **fields) -> int:
    made = api.post("/api/v1/users", json={"name": "Ana Souza", "timezone": "Europe/London", **fields})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def rest_book(api, desk, client_id: int, start: datetime = MONDAY_TEN) -> int:
    booked = api.post("/api/v1/appointments", json={"serviceId": desk.salon.haircut, "providerId": desk.salon.sam,
                                                    "clientId": client_id, "startTime": start.isoformat()})
    assert booked.status_code == 201, booked.text
    return booked.json()["id"]


def say(desk, sender: str, text: str, channel: str = "telegram") -> str:
    replies = desk.container.assistant.handle(Inbound(channel=channel, sender=sender, text=text))
    return "\n".join(reply.text for reply in replies)


def test_a_client_with_only_a_phone_gets_an_sms_confirmation(desk, api, smtp):
    ana = rest_client(api, phone="+44 20 7946 0958")
    rest_book(api, desk, ana)
    desk.work()
    [sms] = desk.twilio.calls
    assert sms.form["To"] == PHONE and sms.form["Body"].startswith("Booked: Haircut with Sam, Mon 29 Mar at 10:00")
    assert smtp.received == [] and desk.notifications(kind="confirmation")[0].channel == "sms"


def test_a_client_with_only_an_email_gets_an_email(desk, api, smtp):
    rest_book(api, desk, rest_client(api, email=EMAIL))
    desk.work()
    [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == (EMAIL,) and mail.message["Subject"].startswith("Booked: Haircut with Sam")
    assert desk.twilio.calls == []


def test_preferred_channel_over_rest_is_validated_kept_and_used(desk, api, smtp):
    ana = rest_client(api, phone=PHONE, email=EMAIL, preferredChannel="email")
    assert api.get(f"/api/v1/users/{ana}").json()["preferredChannel"] == "email"
    rest_book(api, desk, ana)
    desk.work()
    assert len(smtp.received) == 1 and desk.twilio.calls == []  # email wins over SMS: they asked for it
    bad = api.post("/api/v1/users", json={"name": "Bo", "preferredChannel": "fax"})
    assert bad.status_code == 422 and "preferredChannel" in bad.text
    assert api.patch(f"/api/v1/users/{ana}", json={"preferredChannel": "pigeon"}).status_code == 422
    changed = api.patch(f"/api/v1/users/{ana}", json={"preferredChannel": "sms"})
    assert changed.status_code == 200 and changed.json()["preferredChannel"] == "sms"
    assert changed.json()["email"] == EMAIL  # what was not sent stays
    desk.at(DAY_BEFORE)
    assert desk.twilio.calls[-1].form["Body"].startswith("Reminder: your Haircut with Sam")
    assert api.patch(f"/api/v1/users/{ana}", json={"name": None}).status_code == 422


def test_a_preferred_channel_set_in_the_chat_is_used_for_the_next_reminder(desk, smtp):
    ana = desk.client("Ana", "telegram", "5550001")
    with UnitOfWork(desk.container.session_factory, write=True) as uow:
        uow.session.get(User, ana).phone, uow.session.get(User, ana).preferred_channel = PHONE, None
        uow.commit()
    say(desk, "5550001", "hi")
    desk.book(ana, MONDAY_TEN)
    desk.work()
    assert desk.notifications(kind="confirmation")[0].channel == "telegram"  # where they last talked
    assert "I'll text you at +442079460958 from now on" in say(desk, "5550001", "Can you text me instead?")
    desk.at(DAY_BEFORE)
    [reminder] = desk.notifications(kind="reminder", status="sent")
    assert reminder.channel == "sms" and desk.twilio.calls[-1].form["To"] == PHONE


def test_email_me_asks_for_the_address_when_none_is_on_file(desk, smtp):
    ana = desk.client("Ana", "telegram", "5550001")
    desk.book(ana, MONDAY_TEN)
    desk.work()
    assert "What's your email address?" in say(desk, "5550001", "email me please")
    assert "doesn't look like an email address" in say(desk, "5550001", "it's ana at example")
    assert "I'll email you at ana@example.com" in say(desk, "5550001", "Ana@Example.com")
    desk.at(DAY_BEFORE)
    [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == (EMAIL,) and mail.message["Subject"].strip().startswith("Reminder:")


def test_no_more_texts_moves_them_to_email_and_is_honoured(desk, api, smtp):
    ana = rest_client(api, phone=PHONE, email=EMAIL)
    rest_book(api, desk, ana)
    desk.work()
    assert len(desk.twilio.calls) == 1  # SMS comes before email
    assert "no more texts" in say(desk, PHONE, "No more texts please", channel="sms")
    desk.at(DAY_BEFORE)
    assert len(desk.twilio.calls) == 1 and len(smtp.received) == 1
    assert clients.is_opted_out(desk.container.session_factory, "sms", PHONE)


def test_someone_reachable_nowhere_is_listed_as_failed_with_the_reason(desk, api, engine, redis_url, tmp_path):
    nobody = rest_client(api)  # no phone, no email, never chatted
    appointment = rest_book(api, desk, nobody)
    desk.work()
    [row] = desk.notifications(kind="confirmation")
    assert (row.status, row.error) == ("failed", "no channel reaches this person: no chat, phone or email on file")
    listed = cli(engine, redis_url, tmp_path, "notifications", "--failed")
    assert f"{row.id:>6}  confirmation" in listed and f"{appointment:>6}" in listed
    assert "no channel reaches this person: no chat, phone or email on file" in listed


def test_a_blocked_bot_is_an_opt_out_and_the_phone_on_file_is_used_at_once(desk, api):
    desk.telegram.block(5550001)
    ana = desk.client("Ana", "telegram", "5550001")
    api.patch(f"/api/v1/users/{ana}", json={"phone": PHONE})
    desk.book(ana, MONDAY_TEN)
    desk.work()
    [row] = desk.notifications(kind="confirmation")
    assert (row.status, row.channel) == ("sent", "sms")
    assert row.log[-1]["outcome"].startswith("sent by sms (telegram refused it: ")
    assert "bot was blocked" in row.log[-1]["outcome"] and desk.twilio.calls[0].form["To"] == PHONE
    with UnitOfWork(desk.container.session_factory) as uow:
        [identity] = uow.session.query(ChannelIdentity).filter_by(channel="telegram").all()
        assert identity.opted_out
    desk.telegram._blocked.clear()
    clients.reachable_again(desk.container.session_factory, "telegram", "5550001")  # they wrote to the bot again
    desk.at(DAY_BEFORE)
    assert desk.notifications(kind="reminder", status="sent")[0].channel == "telegram"


def test_a_request_about_something_else_is_not_taken_for_a_channel(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    desk.book(ana, MONDAY_TEN)
    said = say(desk, "5550001", "can you email me my appointments?")
    assert "email you" not in said and "Haircut with Sam" in said
    with UnitOfWork(desk.container.session_factory) as uow:
        assert uow.session.get(User, ana).preferred_channel == "telegram"  # as the test desk set it


def test_a_web_visitor_joining_the_waiting_list_hears_how_to_be_told_with_the_page_closed(desk, smtp):
    joined = say(desk, "web-visitor-1", "put me on the waiting list for a haircut with Sam on Monday", channel="web")
    assert "You're on the waiting list for a Haircut with Sam on Mon 29 Mar" in joined
    assert ("I'll message you in this chat; to hear even when it's closed, say \"email me at\" and your address "
            "or \"text me at\" and your number.") in joined
    assert "I'll email you at ana@example.com" in say(desk, "web-visitor-1", "email me at ana@example.com", channel="web")
    again = say(desk, "web-visitor-1", "put me on the waiting list for a beard trim with Sam on Tuesday", channel="web")
    assert "You're on the waiting list for a Beard trim" in again and "closed" not in again  # reachable now
    on_telegram = say(desk, "5550002", "put me on the waiting list for a haircut with Sam on Monday")
    assert "You're on the waiting list" in on_telegram and "closed" not in on_telegram  # Telegram reaches them
