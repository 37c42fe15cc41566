"""The email channel against a real SMTP server (aiosmtpd on 127.0.0.1): what a client receives, read back
with the `email` package and icalendar, and the unsubscribe that stops it."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from bots.email.smtp import Smtp, SmtpServer
from core.booking import setup_writes
from core.db.session import UnitOfWork
from core.notifications.sender import SendFailed
from tests.doubles.smtp_server import SmtpDouble
from tests.factories import at
from tests.notification_helpers import PUBLIC_URL, doubles_fixture, make_desk  # noqa: F401  (fixtures)
from webhooks.app import create_app

NOW = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)
MONDAY_TEN = at("Europe/London", 2027, 3, 29, 10)
ANA = "ana@example.com"
FROM = "Bookings <bookings@salon.test>"


@pytest.fixture(name="smtp")
def smtp_fixture():
    with SmtpDouble() as smtp:
        yield smtp


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles, smtp):
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW, SLOTLINE_SMTP_URL=smtp.url,
                         SLOTLINE_EMAIL_FROM=FROM)


def emailed_client(desk, email: str = ANA, name: str = "Ana Souza") -> int:
    """A client loaded with only an email address: they never chatted with us."""
    with UnitOfWork(desk.container.session_factory, write=True) as uow:
        user = setup_writes.create_user(uow.session, name=name, email=email, timezone="Europe/London")
        uow.commit()
        return user.id


def invitation(message) -> Calendar:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_content())
    assert part.get_param("method") == str(calendar["method"])  # the MIME parameter says the same as the file
    return calendar


def test_a_confirmation_is_text_and_html_in_the_business_name_with_an_invitation(desk, smtp):
    appt = desk.book(emailed_client(desk), MONDAY_TEN)
    desk.work()
    [got] = smtp.received
    message = got.message
    assert got.rcpt_tos == (ANA,) and got.mail_from == "bookings@salon.test"
    assert message["From"].addresses[0].display_name == "Test salon"
    assert message["Subject"] == "Booked: Haircut with Sam, Mon 29 Mar at 10:00 London time"
    kinds = [part.get_content_type() for part in message.walk()]
    assert kinds == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar",
                     "application/ics"]
    plain, html = message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
    assert appt.confirmation_code in plain and appt.confirmation_code in html
    assert f"{PUBLIC_URL}/m/{appt.id}." in html and f"{PUBLIC_URL}/m/{appt.id}." in plain  # the manage link
    calendar = invitation(message)
    assert calendar["method"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == f"appointment-{appt.id}@slotline" and event.decoded("sequence") == 1
    assert event.decoded("dtstart") == datetime(2027, 3, 29, 9, 0, tzinfo=UTC)
    assert str(event["organizer"]) == "mailto:bookings@salon.test" and str(event["attendee"]) == f"mailto:{ANA}"
    assert message["List-Unsubscribe"].startswith(f"<{PUBLIC_URL}/email/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [row] = desk.notifications(kind="confirmation")
    assert (row.status, row.channel, row.external_id) == ("sent", "email", message["Message-ID"])


def test_a_move_updates_the_same_event_and_a_cancellation_removes_it(desk, smtp):
    appt = desk.book(emailed_client(desk), MONDAY_TEN)
    desk.work()
    desk.move(appt.id, at("Europe/London", 2027, 3, 29, 14))
    desk.work()
    desk.cancel(appt.id)
    desk.work()
    booked, moved, cancelled = (r.message for r in smtp.wait_for(3))
    assert moved["Subject"].startswith("Moved: Haircut with Sam, now Mon 29 Mar at 14:00")
    assert cancelled["Subject"].startswith("Cancelled: Haircut with Sam")
    events = [invitation(m).walk("VEVENT")[0] for m in (booked, moved, cancelled)]
    assert len({str(e["uid"]) for e in events}) == 1
    assert [e.decoded("sequence") for e in events] == [1, 2, 3]
    assert events[1].decoded("dtstart") == datetime(2027, 3, 29, 13, 0, tzinfo=UTC)
    assert [str(invitation(m)["method"]) for m in (booked, moved, cancelled)] == ["REQUEST", "REQUEST", "CANCEL"]
    assert str(events[2]["status"]) == "CANCELLED"


def test_a_reminder_email_has_buttons_to_the_manage_page(desk, smtp):
    appt = desk.book(emailed_client(desk), MONDAY_TEN)
    desk.work()
    desk.at(datetime(2027, 3, 28, 9, 0, tzinfo=UTC))  # 24 h before
    reminder = smtp.received[-1].message
    # (Python's folding may start a long Subject on its own line: a leading space that mail apps trim.)
    assert reminder["Subject"].strip() == "Reminder: Haircut with Sam, tomorrow (Mon 29 Mar) at 10:00 London time"
    html = reminder.get_body(("html",)).get_content()
    for action in ("confirm", "cancel", "move"):
        assert f"/m/{appt.id}." in html and f"?do={action}" in html
    assert not [p for p in reminder.walk() if p.get_content_type() == "text/calendar"]


def test_the_unsubscribe_page_asks_and_its_post_stops_later_emails(desk, smtp):
    ana = emailed_client(desk)
    desk.book(ana, MONDAY_TEN)
    desk.work()
    link = smtp.received[0].message["List-Unsubscribe"].strip("<>").removeprefix(PUBLIC_URL)
    web = TestClient(create_app(desk.container))
    page = web.get(link)
    assert page.status_code == 200 and 'method="post"' in page.text
    assert "script" not in page.headers["content-security-policy"].replace("default-src 'none'", "")
    desk.book(ana, at("Europe/London", 2027, 3, 30, 10))
    desk.work()
    assert len(smtp.received) == 2  # opening the page unsubscribed nobody
    assert web.post(link.replace(link[-4:], "AAAA")).status_code == 403  # tampered
    done = web.post(link, content=b"List-Unsubscribe=One-Click",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and "email ana@example.com any more" in done.text
    third = desk.book(ana, at("Europe/London", 2027, 3, 31, 10))
    desk.work()
    assert len(smtp.received) == 2
    [row] = desk.notifications(kind="confirmation", appointment_id=third.id)
    assert row.status == "failed" and row.error.startswith("no channel reaches this person")
    assert "opted out of email" in row.error


def test_a_mailbox_the_server_refuses_is_a_permanent_failure(desk, smtp):
    smtp.refuse("nobody@example.com")
    desk.book(emailed_client(desk, "nobody@example.com"), MONDAY_TEN)
    desk.work()
    [row] = desk.notifications(kind="confirmation")
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in row.error


def test_smtp_logs_in_and_never_sends_a_password_in_the_clear_to_another_host():
    with SmtpDouble(credentials=("mailer", "p@ss word")) as smtp:
        url = smtp.url.replace("mailer:p@ss word@", "mailer:p%40ss%20word@")
        server = SmtpServer.parse(url)
        assert (server.username, server.password, server.port) == ("mailer", "p@ss word", int(url.rsplit(":", 1)[1]))
        assert "p@ss" not in repr(server)
        from email.message import EmailMessage

        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@salon.test", ANA, "Hi"
        message.set_content("Hello")
        Smtp(server).send(message)
        assert smtp.logins == ["mailer"] and len(smtp.received) == 1
        remote = SmtpServer("mail.example.com", server.port, False, "mailer", "secret")
        assert not remote.local
    with pytest.raises(SendFailed) as refused:
        Smtp(SmtpServer("127.0.0.1", server.port, False), timeout=0.5).send(message)  # the server is gone
    assert refused.value.permanent is False
    assert SmtpServer.parse("smtps://mail.example.com").port == 465
    assert SmtpServer.parse("smtp://mail.example.com").port == 587
