"""The booking core against a real database (SQLite and PostgreSQL) and a real Redis."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.booking import errors
from core.booking.commands import Book, Cancel, FindSlots, HoldSlot, Reschedule, SetStatus
from core.booking.coordination import Coordination
from core.booking.service import BookingService
from core.db.models import Appointment, AppointmentResource, AuditEntry
from tests.booking_fixtures import booking_fixture, clock_fixture, salon_fixture  # noqa: F401  (fixtures)
from tests.factories import at, make_salon

LDN = "Europe/London"
TUE = (2026, 12, 1)


def book(booking, salon, start, *, service=None, provider=None, client=0, key=None):
    appt, _ = booking.book(Book(service_id=service or salon.haircut, provider_id=provider or salon.sam,
                                client_id=salon.clients[client], start=start, idempotency_key=key))
    return appt


def rows(session_factory):
    with session_factory() as s:
        return list(s.scalars(select(Appointment).order_by(Appointment.id)))


def test_booking_stores_the_appointment_with_its_buffers_and_a_code(booking, salon, session_factory):
    appt = book(booking, salon, at(LDN, *TUE, 10))
    [row] = rows(session_factory)
    assert (row.id, row.status, row.version) == (appt.id, "confirmed", 1)
    assert len(row.confirmation_code) == 6 and row.confirmation_code.isalnum()
    assert row.start_at == at(LDN, *TUE, 10) and row.end_at == at(LDN, *TUE, 10, 45)
    assert row.block_start == row.start_at and row.block_end == at(LDN, *TUE, 11)  # 15 min clean-up after
    with session_factory() as s:
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.entity_id == appt.id)) == "book"


def test_the_booked_slot_and_its_buffer_are_no_longer_offered(booking, salon):
    book(booking, salon, at(LDN, *TUE, 10))
    starts = [s.start for s in booking.find_slots(FindSlots(salon.haircut, date(*TUE), date(*TUE), salon.sam))]
    assert at(LDN, *TUE, 9) in starts  # ends 09:45 + 15 buffer = 10:00: fits exactly
    assert at(LDN, *TUE, 9, 15) not in starts
    assert at(LDN, *TUE, 10, 45) not in starts  # inside the clean-up buffer
    assert at(LDN, *TUE, 11) in starts


@pytest.mark.parametrize("service,start,ok", [
    ("beard", (10, 30), False),   # starts inside the haircut
    ("beard", (10, 45), False),   # starts inside the haircut's buffer after
    ("beard", (11, 0), True),
    ("colour", (8, 45), False),   # before opening
    ("colour", (9, 15), False),   # colour 09:15-10:45 + 15 buffer overlaps the 10:00 haircut
    ("haircut", (9, 15), False),  # 09:15-10:00, but its 15-minute buffer runs into the 10:00 haircut
    ("haircut", (9, 0), True),    # 09:00-09:45 + 15 buffer ends exactly at 10:00
])
def test_overlaps_with_other_durations_and_buffers(booking, salon, service, start, ok):
    book(booking, salon, at(LDN, *TUE, 10))
    attempt = dict(service=getattr(salon, service), client=1)
    if ok:
        assert book(booking, salon, at(LDN, *TUE, *start), **attempt).status == "confirmed"
    else:
        with pytest.raises(errors.BookingError):
            book(booking, salon, at(LDN, *TUE, *start), **attempt)


@pytest.mark.parametrize("start,error", [
    ((8, 0), errors.OutsideHours),
    ((12, 15), errors.OutsideHours),    # lunch break
    ((16, 30), errors.OutsideHours),    # would end after closing
    ((10, 10), errors.OutsideHours),    # not on the 15-minute grid
])
def test_refusals_name_the_reason(booking, salon, start, error):
    with pytest.raises(error):
        book(booking, salon, at(LDN, *TUE, *start))


def test_notice_horizon_and_weekend(booking, salon, clock):
    with pytest.raises(errors.TooSoon):
        book(booking, salon, clock.now + timedelta(minutes=30))
    with pytest.raises(errors.TooSoon, match="passed"):
        book(booking, salon, clock.now - timedelta(days=1))
    with pytest.raises(errors.TooFarAhead):
        book(booking, salon, at(LDN, 2027, 1, 5, 10))
    with pytest.raises(errors.OutsideHours):
        book(booking, salon, at(LDN, 2026, 12, 5, 10))  # Saturday


def test_a_room_cannot_be_used_by_two_providers_at_once(booking, salon, session_factory):
    book(booking, salon, at(LDN, *TUE, 10), service=salon.colour)
    with pytest.raises(errors.ResourceBusy):
        book(booking, salon, at(LDN, *TUE, 10, 30), service=salon.colour, provider=salon.alex, client=1)
    alex = booking.find_slots(FindSlots(salon.colour, date(*TUE), date(*TUE), salon.alex))
    assert at(LDN, *TUE, 10, 30) not in [s.start for s in alex]
    assert book(booking, salon, at(LDN, *TUE, 10, 30), provider=salon.alex, client=1)  # haircut needs no room


def test_daily_limit(session_factory, redis_client, clock):
    salon = make_salon(session_factory)
    with session_factory() as s:
        from core.db.models import Provider
        s.get(Provider, salon.sam).daily_limit = 2
        s.commit()
    booking = BookingService(session_factory, Coordination(redis_client), clock=clock)
    book(booking, salon, at(LDN, *TUE, 9))
    book(booking, salon, at(LDN, *TUE, 10), client=1)
    assert booking.find_slots(FindSlots(salon.haircut, date(*TUE), date(*TUE), salon.sam)) == []
    with pytest.raises(errors.DailyLimitReached):
        book(booking, salon, at(LDN, *TUE, 14), client=2)
    assert book(booking, salon, at(LDN, 2026, 12, 2, 14), client=2)  # the next day is open


def test_idempotency_key_returns_the_first_booking(booking, salon, session_factory):
    first, replayed = booking.book(Book(salon.haircut, salon.sam, salon.clients[0], at(LDN, *TUE, 10),
                                        idempotency_key="tap-1"))
    again, replayed_again = booking.book(Book(salon.haircut, salon.sam, salon.clients[0], at(LDN, *TUE, 10),
                                              idempotency_key="tap-1"))
    assert (replayed, replayed_again, again.id, again.confirmation_code) == (False, True, first.id,
                                                                              first.confirmation_code)
    assert len(rows(session_factory)) == 1
    with pytest.raises(errors.InvalidRequest, match="Idempotency-Key"):
        booking.book(Book(salon.haircut, salon.sam, salon.clients[1], at(LDN, *TUE, 11), idempotency_key="tap-1"))


def test_reschedule_frees_the_old_slot_only_when_the_new_one_is_won(booking, salon, session_factory):
    mine = book(booking, salon, at(LDN, *TUE, 10))
    book(booking, salon, at(LDN, *TUE, 14), client=1)
    with pytest.raises(errors.SlotTaken):
        booking.reschedule(Reschedule(mine.id, at(LDN, *TUE, 14)))
    [kept, _] = rows(session_factory)
    assert (kept.start_at, kept.version, kept.status) == (at(LDN, *TUE, 10), 1, "confirmed")

    moved = booking.reschedule(Reschedule(mine.id, at(LDN, *TUE, 11)))
    assert (moved.start_at, moved.version) == (at(LDN, *TUE, 11), 2)
    assert book(booking, salon, at(LDN, *TUE, 9, 15), client=2)  # the old time is free again
    # Moving onto a time overlapping only its own old block is fine.
    assert booking.reschedule(Reschedule(mine.id, at(LDN, *TUE, 11, 15))).version == 3


def test_reschedule_checks_the_expected_version_and_moves_resources(booking, salon, session_factory):
    colour = book(booking, salon, at(LDN, *TUE, 10), service=salon.colour)
    with pytest.raises(errors.VersionConflict):
        booking.reschedule(Reschedule(colour.id, at(LDN, *TUE, 14), expected_version=7))
    booking.reschedule(Reschedule(colour.id, at(LDN, *TUE, 14), expected_version=1))
    with session_factory() as s:
        used = s.scalars(select(AppointmentResource)).one()
        assert used.block_start == at(LDN, *TUE, 13, 45) and used.active
    assert book(booking, salon, at(LDN, *TUE, 10), service=salon.colour, provider=salon.alex, client=1)


def test_cancel_frees_the_slot_marks_late_and_is_idempotent(booking, salon, clock, session_factory):
    soon = book(booking, salon, at(LDN, 2026, 11, 30, 14))  # today: inside the 24 h window
    later = book(booking, salon, at(LDN, *TUE, 14, 0), client=1)
    cancelled = booking.cancel(Cancel(soon.id, reason="ill"))
    assert (cancelled.status, cancelled.late_cancellation, cancelled.version) == ("cancelled", True, 2)
    assert booking.cancel(Cancel(later.id)).late_cancellation is False
    assert booking.cancel(Cancel(soon.id)).version == 2  # twice: unchanged
    assert book(booking, salon, at(LDN, 2026, 11, 30, 14), client=2).status == "confirmed"
    with pytest.raises(errors.NotActive):
        booking.reschedule(Reschedule(soon.id, at(LDN, *TUE, 9)))


def test_cancel_after_the_end_and_marking(booking, salon, clock):
    appt = book(booking, salon, at(LDN, *TUE, 10))
    with pytest.raises(errors.InvalidRequest):
        booking.set_status(SetStatus(appt.id, "completed"))
    clock.now = at(LDN, *TUE, 11)
    with pytest.raises(errors.NotActive, match="over"):
        booking.cancel(Cancel(appt.id))
    assert booking.set_status(SetStatus(appt.id, "no_show")).status == "no_show"
    assert booking.set_status(SetStatus(appt.id, "completed")).version == 3
    with pytest.raises(errors.InvalidRequest):
        booking.set_status(SetStatus(appt.id, "cancelled"))


def test_unknown_ids_are_not_found(booking, salon):
    for cmd in (Book(999, salon.sam, salon.clients[0], at(LDN, *TUE, 10)),
                Book(salon.haircut, 999, salon.clients[0], at(LDN, *TUE, 10)),
                Book(salon.haircut, salon.sam, 999, at(LDN, *TUE, 10))):
        with pytest.raises(errors.NotFound):
            booking.book(cmd)
    with pytest.raises(errors.NotFound):
        booking.cancel(Cancel(12345))


def test_a_hold_keeps_the_slot_for_one_client_until_it_expires(booking, salon, clock):
    start = at(LDN, *TUE, 10)
    hold = booking.hold(HoldSlot(salon.haircut, salon.sam, salon.clients[0], start))
    assert hold is not None and hold.expires_at == clock.now + timedelta(minutes=5)
    others = booking.find_slots(FindSlots(salon.haircut, date(*TUE), date(*TUE), salon.sam, holder=salon.clients[1]))
    assert start not in [s.start for s in others]
    mine = booking.find_slots(FindSlots(salon.haircut, date(*TUE), date(*TUE), salon.sam, holder=salon.clients[0]))
    assert start in [s.start for s in mine]
    with pytest.raises(errors.SlotHeld):
        book(booking, salon, start, client=1)
    with pytest.raises(errors.SlotHeld):
        booking.hold(HoldSlot(salon.haircut, salon.sam, salon.clients[1], start + timedelta(minutes=30)))
    clock.now += timedelta(minutes=6)
    assert book(booking, salon, start, client=1).client_id == salon.clients[1]


def test_the_holder_books_and_the_hold_is_released(booking, salon):
    start = at(LDN, *TUE, 10)
    booking.hold(HoldSlot(salon.haircut, salon.sam, salon.clients[0], start))
    book(booking, salon, start)
    assert booking.coordination.held_by_others(salon.sam, str(salon.clients[1]), booking.clock()) == []


def test_without_redis_holds_step_aside_and_the_database_guards(session_factory, clock):
    salon = make_salon(session_factory)
    booking = BookingService(session_factory, Coordination(None), clock=clock)
    assert booking.hold(HoldSlot(salon.haircut, salon.sam, salon.clients[0], at(LDN, *TUE, 10))) is None
    book(booking, salon, at(LDN, *TUE, 10))
    with pytest.raises(errors.SlotTaken):
        book(booking, salon, at(LDN, *TUE, 10), client=1)


def test_any_provider_lists_each_providers_slots(booking, salon):
    slots = booking.find_slots(FindSlots(salon.haircut, date(*TUE), date(*TUE)))
    at_ten = [s.provider_id for s in slots if s.start == at(LDN, *TUE, 10)]
    assert at_ten == [salon.sam, salon.alex]
    book(booking, salon, at(LDN, *TUE, 10))
    slots = booking.find_slots(FindSlots(salon.haircut, date(*TUE), date(*TUE)))
    assert [s.provider_id for s in slots if s.start == at(LDN, *TUE, 10)] == [salon.alex]


def test_list_filters_by_client_provider_and_time(booking, salon):
    a = book(booking, salon, at(LDN, *TUE, 10))
    b = book(booking, salon, at(LDN, 2026, 12, 2, 10), provider=salon.alex)
    book(booking, salon, at(LDN, *TUE, 11), client=1)
    assert [x.id for x in booking.list(client_id=salon.clients[0])] == [a.id, b.id]
    assert [x.id for x in booking.list(client_id=salon.clients[0], provider_id=salon.alex)] == [b.id]
    assert [x.id for x in booking.list(client_id=salon.clients[0], start=at(LDN, 2026, 12, 2, 0))] == [b.id]
