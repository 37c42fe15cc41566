"""The business's set-up as the core offers it to the edges: each call its own unit of work, answered
with views an edge can read after the transaction is over; the database's own refusals are typed."""
from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import create_engine

from core import health
from core.booking import errors
from core.booking.setup_writes import Window
from core.booking.setup import BusinessSetup
from core.booking.stats import StatsUnavailable, bookings_by_channel
from core.db.session import make_session_factory

DOWN = "postgresql+psycopg://slotline@127.0.0.1:1/slotline"  # nothing listens on port 1: refused at once


@pytest.fixture
def setup(session_factory) -> BusinessSetup:
    return BusinessSetup(session_factory)


def test_a_provider_is_read_back_with_services_hours_and_breaks(setup):
    cut = setup.create_service(name="Haircut", duration_minutes=30)
    ana = setup.create_provider(name="Ana", timezone="Europe/London", service_ids=[cut.id])
    assert ana.service_ids == (cut.id,) and ana.weekly.hours == () and ana.weekly.breaks == ()
    saved = setup.set_weekly_hours(provider_id=ana.id,
                                   windows=[Window(2, time(9), time(17)), Window(1, time(13), time(17)),
                                            Window(1, time(9), time(12))],
                                   breaks=[Window(None, time(12, 30), time(13))])
    assert [(w.day_of_week, w.start) for w in saved.hours] == [(1, time(9)), (1, time(13)), (2, time(9))]
    [shown] = setup.providers()
    assert shown == setup.provider(ana.id) and shown.weekly == saved
    assert setup.provider_zones([ana.id, 999]) == {ana.id: "Europe/London"}


def test_omitted_breaks_are_kept_and_an_empty_list_clears_them(setup):
    ana = setup.create_provider(name="Ana", timezone="UTC")
    setup.set_weekly_hours(provider_id=ana.id, windows=[Window(1, time(9), time(17))],
                           breaks=[Window(1, time(12), time(13))])
    assert len(setup.set_weekly_hours(provider_id=ana.id, windows=[Window(2, time(9), time(17))]).breaks) == 1
    assert setup.set_weekly_hours(provider_id=ana.id, windows=[], breaks=[]).breaks == ()


def test_views_need_no_session(setup):
    room = setup.create_resource(name="Room 1")
    dye = setup.create_service(name="Colour", duration_minutes=90, resource_ids=[room.id], synonyms=["dye"])
    assert setup.service(dye.id).resource_ids == (room.id,) and setup.services()[0].synonyms == ("dye",)
    assert setup.resources() == [room]
    bea = setup.create_user(name=" Bea ", email="BEA@example.com", preferred_channel="email")
    assert (bea.name, bea.email, bea.preferred_channel) == ("Bea", "bea@example.com", "email")
    assert setup.update_user(bea.id, {"phone": "+442079460958"}).phone == "+442079460958"
    assert setup.user(bea.id).created_at == bea.created_at


def test_unknown_ids_are_not_found(setup):
    for read in (setup.user, setup.service, setup.provider):
        with pytest.raises(errors.NotFound):
            read(12345)
    with pytest.raises(errors.NotFound):
        setup.update_user(12345, {"name": "Nobody"})
    with pytest.raises(errors.NotFound):
        setup.set_weekly_hours(provider_id=12345, windows=[])


def test_a_clash_only_the_database_sees_is_already_exists_and_keeps_nothing(setup):
    # The rules check a Slack id only when one is given; the unique column still refuses a second "".
    setup.create_provider(name="Ana", timezone="UTC", slack_user_id="")
    with pytest.raises(errors.AlreadyExists):
        setup.create_provider(name="Bo", timezone="UTC", slack_user_id="")
    assert [p.name for p in setup.providers()] == ["Ana"]


def test_the_business_is_named_before_one_is_loaded(setup):
    assert setup.business_name() == "Slotline"


def test_a_database_that_is_away_is_reported_not_raised(redis_client):
    engine = create_engine(DOWN)
    try:
        assert health.check(engine, redis_client) == health.HealthReport(database=False, redis=True)
        assert not health.check(engine, None).ok
        with pytest.raises(StatsUnavailable):
            bookings_by_channel(make_session_factory(engine))
    finally:
        engine.dispose()
