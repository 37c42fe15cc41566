"""Fixtures for the booking core's tests: a fixed Monday-morning clock, the test salon, the core on Redis."""
from __future__ import annotations

import pytest

from core.booking.coordination import Coordination
from core.booking.service import BookingService
from tests.factories import MONDAY_MORNING, FixedClock, make_salon


@pytest.fixture(name="clock")
def clock_fixture():
    return FixedClock(MONDAY_MORNING)


@pytest.fixture(name="salon")
def salon_fixture(session_factory):
    return make_salon(session_factory)


@pytest.fixture(name="booking")
def booking_fixture(session_factory, redis_client, clock):
    return BookingService(session_factory, Coordination(redis_client), clock=clock)
