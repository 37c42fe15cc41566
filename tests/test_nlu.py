"""Understanding one message (core/conversation/nlu.py): names first and whole words, careful typos,
yes and no in more words, "now" only when it is asked for, dates that cannot be, and questions."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.conversation.matching import distance
from core.conversation.nlu import Named, understand

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday morning in London
LONDON = ZoneInfo("Europe/London")
HAIRCUT, COLOUR, BEARD, BLOW_DRY, CHECK = 1, 2, 3, 4, 5
SAM, ALEX, JORDAN, P1 = 11, 12, 13, 14
SERVICES = [Named(HAIRCUT, ("Haircut", "hair cut", "cut", "trim", "haircut and style")),
            Named(COLOUR, ("Colour", "color", "dye", "highlights", "colouring")),
            Named(BEARD, ("Beard trim", "beard", "shave", "beard tidy")),
            Named(BLOW_DRY, ("Blow-dry", "blow dry", "blowdry", "blow out", "styling")),
            Named(CHECK, ("Check",))]
PROVIDERS = [Named(SAM, ("Sam",)), Named(ALEX, ("Alex",)), Named(JORDAN, ("Jordan",)), Named(P1, ("P1",))]
RESOURCES = [Named(21, ("Room 12",)), Named(22, ("Colour room",))]


def heard(text: str):
    return understand(text, services=SERVICES, providers=PROVIDERS, resources=RESOURCES, now=NOW, tz=LONDON)


def local(value) -> str:
    return f"{value.start.astimezone(LONDON):%a %d %b %H:%M}"


@pytest.mark.parametrize("text", ["which bookings do I have?", "have you got anything friday?", "save me a spot",
                                  "a cutting remark", "I'd like to share something", "a trip to town"])
def test_everyday_words_are_not_services(text):
    assert heard(text).service_id is None


def test_have_is_not_shave_and_asks_what_it_asks():
    assert heard("which bookings do I have?").intent == "list"
    found = heard("have you got anything friday for a haircut?")
    assert (found.intent, found.service_id, local(found.time)[:10]) == ("browse", HAIRCUT, "Fri 04 Dec")


@pytest.mark.parametrize("text, service", [("hiarcut tomorrow", HAIRCUT), ("a colur with alex", COLOUR),
                                           ("beard trimm friday", BEARD), ("blow dyr please", BLOW_DRY),
                                           ("two haircuts", HAIRCUT), ("coloring on monday", COLOUR),
                                           ("a shave", BEARD), ("blow-dry", BLOW_DRY), ("a blowdry", BLOW_DRY)])
def test_real_typos_and_synonyms_still_match(text, service):
    assert heard(text).service_id == service


def test_the_longer_name_wins_and_typos_of_providers_match():
    assert heard("beard trim with jordon").service_id == BEARD
    assert heard("beard trim with jordon").provider_id == JORDAN
    assert heard("a trim with sam").service_id == HAIRCUT


def test_names_are_read_before_times():
    check = heard("a check with P1 tomorrow at 3pm")
    assert (check.service_id, check.provider_id, local(check.time)) == (CHECK, P1, "Tue 01 Dec 15:00")
    assert local(heard("room 12 on friday at 10am").time) == "Fri 04 Dec 10:00"


def test_now_in_passing_is_not_a_time_but_asking_for_now_is():
    assert heard("I've been coming for years now, can I book a beard trim").time is None
    passing = heard("I've been coming for years now, can I book a beard trim with sam on friday at 10")
    assert local(passing.time) == "Fri 04 Dec 10:00"
    assert heard("I've been coming here for years now").time is None
    for asked in ("can I come in now?", "now", "right now please", "are you free now", "can I come now"):
        assert local(heard(asked).time) == "Mon 30 Nov 08:00", asked


@pytest.mark.parametrize("text", ["yes", "👍", "👍🏽", "👌", "✅", "🙂", "go ahead", "sounds good", "perfect",
                                  "lovely", "yes please", "that works", "ok", "sure thing", "great, thanks"])
def test_ways_to_say_yes(text):
    assert heard(text).yes and not heard(text).no


@pytest.mark.parametrize("text", ["no", "nope", "nah", "no thanks", "not really", "👎", "❌"])
def test_ways_to_say_no(text):
    assert heard(text).no and not heard(text).yes


@pytest.mark.parametrize("text", ["yesterday", "nothing yet", "perfectly fine time?", "good morning"])
def test_words_that_only_start_like_yes_or_no(text):
    assert not heard(text).yes and not heard(text).no


def test_dates_and_times_that_cannot_be_are_named_not_replaced():
    found = heard("a haircut at 26:00 on 30 february")
    assert (found.impossible, found.time, found.service_id) == ("there is no 30 February", None, HAIRCUT)
    assert heard("a beard trim with jordan on 31 november").impossible == "there is no 31 November"
    assert heard("haircut at 25:00").impossible == "there is no 25:00 on the clock"
    assert heard("haircut on 28 february").impossible is None


@pytest.mark.parametrize("text, kind", [
    ("what does a blow-dry cost?", "price"), ("how much is a colour", "price"), ("prices?", "price"),
    ("how long does a haircut take?", "duration"), ("what services do you have?", "services"),
    ("what do you do?", "services"), ("do you open on sundays?", "hours"), ("when do you shut on saturday?", "hours"),
    ("what are your opening hours?", "hours"), ("is Alex working on monday?", "working"),
    ("is jordan in on christmas eve?", "working"), ("when does sam work?", "working"),
    ("what's free on saturday?", "free"), ("hello there! lovely weather today", "small_talk"),
    ("how are you?", "small_talk"), ("thanks!", "small_talk"), ("hi", "small_talk"),
    ("a haircut with sam tomorrow at 10", None), ("hi, a haircut tomorrow please", None),
    ("hi, tomorrow at 3?", None), ("what's free for a haircut on saturday?", None), ("cancel my haircut", None),
    ("which bookings do I have?", None), ("with sam in the afternoon?", None), ("book a colour for when you open on saturday", None), ("2", None),
])
def test_question_kinds(text, kind):
    assert heard(text).question == kind


def test_a_weekday_said_as_every_such_day():
    assert heard("do you open on sundays?").weekday == 7
    assert heard("is Alex working on monday?").weekday == 1
    assert heard("is sam in next monday?").weekday is None
    assert heard("is jordan in on christmas eve?").weekday is None


def test_edit_distance_counts_a_swap_as_one():
    assert distance("hiarcut", "haircut", limit=1)
    assert not distance("have", "shave", limit=0)
    assert distance("colur", "color", limit=1) and not distance("beard", "bread", limit=1)
