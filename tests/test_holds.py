"""Holds as a stranger could use them: one per holder, a few per origin, buffers included."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.booking import errors
from core.booking.commands import Book, FindSlots, HoldSlot
from tests.booking_fixtures import booking_fixture, clock_fixture, salon_fixture  # noqa: F401  (fixtures)
from tests.factories import at

LDN = "Europe/London"
TUE = (2026, 12, 1)


def free(booking, salon, provider, holder="someone-else"):
    return {s.start for s in booking.find_slots(FindSlots(salon.haircut, date(*TUE), date(*TUE), provider,
                                                          holder=holder))}


def test_a_holder_keeps_one_hold_across_providers(booking, salon):
    booking.hold(HoldSlot(salon.haircut, salon.sam, "chat-a", at(LDN, *TUE, 10)))
    assert at(LDN, *TUE, 10) not in free(booking, salon, salon.sam)
    booking.hold(HoldSlot(salon.haircut, salon.alex, "chat-a", at(LDN, *TUE, 11)))  # picks another
    assert at(LDN, *TUE, 10) in free(booking, salon, salon.sam)
    assert at(LDN, *TUE, 11) not in free(booking, salon, salon.alex)


def test_one_origin_holds_at_most_three_slots_at_once(booking, salon, clock):
    for i in range(3):
        booking.hold(HoldSlot(salon.haircut, salon.sam, f"chat-{i}", at(LDN, *TUE, 9 + 2 * i), origin="203.0.113.9"))
    with pytest.raises(errors.TooManyHolds):
        booking.hold(HoldSlot(salon.haircut, salon.sam, "chat-3", at(LDN, *TUE, 16), origin="203.0.113.9"))
    # A holder already counted may move its hold; another address is not affected.
    booking.hold(HoldSlot(salon.haircut, salon.sam, "chat-0", at(LDN, *TUE, 16), origin="203.0.113.9"))
    booking.hold(HoldSlot(salon.haircut, salon.alex, "chat-x", at(LDN, *TUE, 10), origin="198.51.100.7"))
    # Once a hold is booked or has expired, its place is free again.
    booking.release_hold("chat-1")
    booking.hold(HoldSlot(salon.haircut, salon.sam, "chat-3", at(LDN, *TUE, 14), origin="203.0.113.9"))
    clock.now += timedelta(minutes=6)
    for i in range(4, 7):
        booking.hold(HoldSlot(salon.haircut, salon.alex, f"chat-{i}", at(LDN, *TUE, 9 + i), origin="203.0.113.9"))


def test_booking_with_the_hold_frees_its_place_for_the_origin(booking, salon):
    for i in range(3):
        booking.hold(HoldSlot(salon.haircut, salon.sam, f"chat-{i}", at(LDN, *TUE, 9 + 2 * i), origin="203.0.113.9"))
    booking.book(Book(salon.haircut, salon.sam, salon.clients[0], at(LDN, *TUE, 9), holder="chat-0"))
    booking.hold(HoldSlot(salon.haircut, salon.alex, "chat-3", at(LDN, *TUE, 16), origin="203.0.113.9"))


def test_a_hold_covers_the_buffer_as_a_booking_would(booking, salon):
    # A haircut is 45 min with 15 min clean-up after: held at 10:00, its block runs to 11:00.
    booking.hold(HoldSlot(salon.haircut, salon.sam, "chat-a", at(LDN, *TUE, 10)))
    starts = free(booking, salon, salon.sam)
    assert at(LDN, *TUE, 10, 45) not in starts and at(LDN, *TUE, 11) in starts
    with pytest.raises(errors.SlotHeld):
        booking.book(Book(salon.haircut, salon.sam, salon.clients[1], at(LDN, *TUE, 10, 45)))
    appt, _ = booking.book(Book(salon.haircut, salon.sam, salon.clients[0], at(LDN, *TUE, 10), holder="chat-a"))
    assert appt.start_at == at(LDN, *TUE, 10)
