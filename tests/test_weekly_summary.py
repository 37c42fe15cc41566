"""The weekly summary in Slack: on Monday at each provider's agenda time, in their own zone, the week just
ended (Monday to Sunday there) with its figures, once, and the week ahead's bookings."""
from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import update

from core.booking.commands import Book, SetStatus
from core.db.models import Business, Provider, Service, WaitlistEntry
from core.db.session import UnitOfWork
from tests.factories import at
from tests.notification_helpers import doubles_fixture, make_desk  # noqa: F401  (fixtures)

NOW = datetime(2027, 3, 19, 12, 0, tzinfo=UTC)  # Friday before the week summarised (Mon 22 - Sun 28 Mar 2027)
LONDON, NEW_YORK = "Europe/London", "America/New_York"


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles):
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW, hours={"mon-sun": "09:00-21:00"})


def tick(desk, moment: datetime) -> None:
    """The periodic agenda job, run by the worker at `moment`."""
    desk.clock.now = moment
    desk.jobs.enqueue("agenda_tick", job_id=f"test-tick-{int(moment.timestamp())}")
    desk.work()


def summaries(desk) -> list:
    return [c for c in desk.slack.calls_to("chat.postMessage") if c.params.get("text", "").startswith("Your week")]


def fields(call) -> dict[str, str]:
    [section] = [b for b in call.params["blocks"] if b["type"] == "section"]
    return dict(f["text"].removeprefix("*").split("*\n", 1) for f in section["fields"])


def footer(call) -> str:
    return call.params["blocks"][-1]["elements"][0]["text"]


def book(desk, client: int, service: int, provider: int, start: datetime) -> int:
    appt, _ = desk.container.booking.book(Book(service, provider, client, start))
    return appt.id


def mark(desk, appointment_id: int, status: str, moment: datetime) -> None:
    desk.clock.now = moment
    desk.container.booking.set_status(SetStatus(appointment_id, status))


@pytest.fixture(name="history")
def history_fixture(desk) -> None:
    """Sam in London, Alex in New York (agenda at 07:30); prices £30 a haircut, £12.50 a beard trim.

    Sam's week: a haircut Mon 10:00 completed, a beard trim Tue 10:00 no-show, a haircut Wed 14:00 (over,
    not marked), a haircut Thu 10:00 cancelled 22 hours before (late), a haircut Fri 15:00 cancelled days
    before; a waiting-list entry for Wednesday morning never met; two haircuts in the week after.
    Alex's week: a beard trim Fri 10:00 completed and a haircut Sun 20:00 New York time, which is already
    Monday in London; a haircut in the week after, and one the week after that."""
    s = desk.salon
    with UnitOfWork(desk.container.session_factory, write=True) as uow:
        uow.session.execute(update(Business).values(currency="GBP"))
        uow.session.execute(update(Service).where(Service.id == s.haircut).values(price=Decimal("30.00")))
        uow.session.execute(update(Service).where(Service.id == s.beard).values(price=Decimal("12.50")))
        uow.session.get(Provider, s.alex).timezone = NEW_YORK
        uow.commit()
    desk.link_provider_slack(s.sam, "U0SAM")
    desk.link_provider_slack(s.alex, "U0ALEX", agenda_time=time(7, 30))
    ana = desk.client("Ana", "telegram", "5550001")
    completed = book(desk, ana, s.haircut, s.sam, at(LONDON, 2027, 3, 22, 10))
    no_show = book(desk, ana, s.beard, s.sam, at(LONDON, 2027, 3, 23, 10))
    book(desk, ana, s.haircut, s.sam, at(LONDON, 2027, 3, 24, 14))
    late = book(desk, ana, s.haircut, s.sam, at(LONDON, 2027, 3, 25, 10))
    early = book(desk, ana, s.haircut, s.sam, at(LONDON, 2027, 3, 26, 15))
    book(desk, ana, s.haircut, s.sam, at(LONDON, 2027, 3, 29, 10))
    book(desk, ana, s.haircut, s.sam, at(LONDON, 2027, 3, 30, 11))
    trim = book(desk, ana, s.beard, s.alex, at(NEW_YORK, 2027, 3, 26, 10))
    book(desk, ana, s.haircut, s.alex, at(NEW_YORK, 2027, 3, 28, 20))
    book(desk, ana, s.haircut, s.alex, at(NEW_YORK, 2027, 3, 31, 10))
    book(desk, ana, s.haircut, s.alex, at(NEW_YORK, 2027, 4, 6, 10))
    desk.cancel(early)
    mark(desk, completed, "completed", datetime(2027, 3, 22, 10, 50, tzinfo=UTC))
    mark(desk, no_show, "no_show", datetime(2027, 3, 23, 10, 30, tzinfo=UTC))
    desk.clock.now = datetime(2027, 3, 24, 12, 0, tzinfo=UTC)  # 22 hours before Thursday 10:00
    desk.cancel(late)
    mark(desk, trim, "completed", datetime(2027, 3, 26, 14, 30, tzinfo=UTC))
    with UnitOfWork(desk.container.session_factory, write=True) as uow:
        uow.session.add(WaitlistEntry(client_id=ana, service_id=s.haircut, provider_id=s.sam,
                                      window_start=at(LONDON, 2027, 3, 24, 9), window_end=at(LONDON, 2027, 3, 24, 12),
                                      status="waiting"))
        uow.commit()
    desk.work()


def test_each_provider_gets_last_weeks_summary_on_their_monday_morning_once(desk, history):
    tick(desk, datetime(2027, 3, 29, 6, 55, tzinfo=UTC))  # 07:55 in London (summer time since Sunday)
    assert summaries(desk) == []
    tick(desk, datetime(2027, 3, 29, 7, 0, tzinfo=UTC))   # 08:00 in London: Sam's
    [sam] = summaries(desk)
    assert sam.params["channel"] == "D0SAM"
    assert sam.params["blocks"][0]["text"]["text"] == "Your week · Mon 22 – Sun 28 Mar"
    assert fields(sam) == {"Bookings": "3", "Booked hours": "1 h 50 min (2% of open hours)",
                           "Cancellations": "2 (1 late)", "No-shows": "1", "Revenue": "£60",
                           "Waiting list left unmet": "1"}
    assert footer(sam) == "This week: 2 bookings so far · London time"
    tick(desk, datetime(2027, 3, 29, 7, 5, tzinfo=UTC))   # the next tick: nothing twice
    tick(desk, datetime(2027, 3, 29, 11, 25, tzinfo=UTC))  # 07:25 in New York: not yet Alex's
    assert len(summaries(desk)) == 1
    # The worker was down at 07:30 in New York; back at 09:00 there, the tick finds Alex's still due.
    tick(desk, datetime(2027, 3, 29, 13, 0, tzinfo=UTC))
    assert [c.params["channel"] for c in summaries(desk)] == ["D0SAM", "D0ALEX"]
    alex = summaries(desk)[1]
    assert alex.params["blocks"][0]["text"]["text"] == "Your week · Mon 22 – Sun 28 Mar"
    assert fields(alex) == {"Bookings": "2", "Booked hours": "1 h 5 min (1% of open hours)",
                            "Cancellations": "0 (0 late)", "No-shows": "0", "Revenue": "£42.50",
                            "Waiting list left unmet": "0"}
    assert footer(alex) == "This week: 1 booking so far · New York time"
    assert alex.params["text"] == "Your week, Mon 22 – Sun 28 Mar: 2 bookings, £42.50 revenue"
    for moment in (datetime(2027, 3, 30, 7, 0, tzinfo=UTC), datetime(2027, 3, 30, 11, 30, tzinfo=UTC)):
        tick(desk, moment)  # Tuesday: nothing
    assert len(summaries(desk)) == 2
    sent = desk.notifications(kind="weekly", status="sent")
    assert [n.dedupe_key for n in sent] == [f"weekly:{desk.salon.sam}:2027-W12", f"weekly:{desk.salon.alex}:2027-W12"]


def test_only_providers_in_slack_get_one_and_every_monday_brings_the_next(desk, history):
    with UnitOfWork(desk.container.session_factory, write=True) as uow:
        uow.session.get(Provider, desk.salon.alex).slack_user_id = None
        uow.commit()
    tick(desk, datetime(2027, 3, 29, 13, 0, tzinfo=UTC))
    tick(desk, datetime(2027, 4, 5, 7, 0, tzinfo=UTC))  # the next Monday, 08:00 in London
    assert [c.params["blocks"][0]["text"]["text"] for c in summaries(desk)] == [
        "Your week · Mon 22 – Sun 28 Mar", "Your week · Mon 29 Mar – Sun 4 Apr"]
    assert fields(summaries(desk)[1])["Bookings"] == "2"
    assert footer(summaries(desk)[1]) == "This week: 0 bookings so far · London time"
    assert {n.payload["provider_id"] for n in desk.notifications(kind="weekly")} == {desk.salon.sam}
