"""core.timeparse: booking sense, phrases inside messages, non-times, DST, `slotline when`, and
the corpus accuracy (benchmarks/when_corpus.py) kept at its goal so a regression fails CI."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.timeparse import TimeValue, find_time, parse_time

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=LONDON)   # a Wednesday, GMT


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON) if "+" not in text[10:] \
        else datetime.fromisoformat(text)


def instant(start: str, grain: str) -> TimeValue:
    return TimeValue("instant", at(start), None, grain)


def interval(start: str | None, end: str | None, grain: str) -> TimeValue:
    return TimeValue("interval", at(start) if start else None, at(end) if end else None, grain)


BOOKING_SENSE = [
    ("at 3", instant("2026-11-25T15:00", "hour")),               # a bare 1-7 is pm
    ("half 3", instant("2026-11-25T15:30", "minute")),           # British "half past"
    ("half past three", instant("2026-11-25T15:30", "minute")),
    ("at 7", instant("2026-11-25T19:00", "hour")),
    ("at 9", instant("2026-11-26T09:00", "hour")),               # 8-11 am; 09:00 has passed
    ("at 11:30", instant("2026-11-25T11:30", "minute")),
    ("at 12", instant("2026-11-25T12:00", "hour")),              # noon
    ("quarter to 5", instant("2026-11-25T16:45", "minute")),
    ("ten to four", instant("2026-11-25T15:50", "minute")),
    ("3.30pm", instant("2026-11-25T15:30", "minute")),
    ("15h30", instant("2026-11-25T15:30", "minute")),
    ("noon", instant("2026-11-25T12:00", "hour")),
    ("midnight", instant("2026-11-26T00:00", "hour")),
    ("tonight", interval("2026-11-25T18:00", "2026-11-26T00:00", "hour")),
    ("tonight at 8", instant("2026-11-25T20:00", "hour")),
    ("tomorrow morning", interval("2026-11-26T00:00", "2026-11-26T12:00", "hour")),
    ("this afternoon at 2", instant("2026-11-25T14:00", "hour")),
    ("after 5", interval("2026-11-25T17:00", None, "hour")),
    ("before 11am", interval(None, "2026-11-25T11:00", "hour")),
    ("until 2:00pm", interval(None, "2026-11-25T14:00", "minute")),
    ("by friday", interval("2026-11-25T10:00", "2026-11-28T00:00", "second")),
    ("between 2 and 4", interval("2026-11-25T14:00", "2026-11-25T16:00", "hour")),
    ("3-4pm", interval("2026-11-25T15:00", "2026-11-25T16:00", "hour")),
    ("11:30-1:30", interval("2026-11-25T11:30", "2026-11-25T13:30", "minute")),
    ("8am until 6", interval("2026-11-25T08:00", "2026-11-25T18:00", "hour")),
    ("from 9 to 5 on friday", interval("2026-11-27T09:00", "2026-11-27T17:00", "hour")),
    ("monday week", instant("2026-12-07T00:00", "day")),         # a week after next Monday
    ("friday after next", instant("2026-12-04T00:00", "day")),
    ("this friday", instant("2026-11-27T00:00", "day")),
    ("next tuesday", instant("2026-12-01T00:00", "day")),
    ("wednesday", instant("2026-12-02T00:00", "day")),           # a bare weekday is never today
    ("the day after tomorrow", instant("2026-11-27T00:00", "day")),
    ("on the 3rd", instant("2026-12-03T00:00", "day")),
    ("3rd of December at 4", instant("2026-12-03T16:00", "hour")),
    ("Dec 24", instant("2026-12-24T00:00", "day")),
    ("march 3", instant("2027-03-03T00:00", "day")),             # passed this year: next year
    ("12/25", instant("2026-12-25T00:00", "day")),
    ("25.12.2026", instant("2026-12-25T00:00", "day")),
    ("Friday the 13th", instant("2027-08-13T00:00+01:00", "day")),
    ("in 2 hours", instant("2026-11-25T12:00", "minute")),
    ("in half an hour", instant("2026-11-25T10:30", "second")),
    ("in a week", instant("2026-12-02T00:00", "day")),
    ("next 3 days", interval("2026-11-26T00:00", "2026-11-29T00:00", "day")),
    ("next week", instant("2026-11-30T00:00", "week")),
    ("this weekend", interval("2026-11-27T18:00", "2026-11-30T00:00", "hour")),
    ("monday to friday", interval("2026-11-30T00:00", "2026-12-05T00:00", "day")),
    ("4pm for 30 mins", interval("2026-11-25T16:00", "2026-11-25T16:30", "minute")),
    ("3pm CET", instant("2026-11-25T14:00", "minute")),          # CET is an hour ahead of GMT
    ("tomorrow at 10am EST", instant("2026-11-26T15:00", "minute")),
    ("now", instant("2026-11-25T10:00", "second")),
]


@pytest.mark.parametrize(("phrase", "expected"), BOOKING_SENSE, ids=[p for p, _ in BOOKING_SENSE])
def test_booking_sense(phrase, expected):
    assert parse_time(phrase, now=NOW) == expected


SPRING = datetime(2026, 3, 28, 10, 0, tzinfo=LONDON)   # clocks go forward at 01:00 on the 29th
AUTUMN = datetime(2026, 10, 24, 22, 0, tzinfo=LONDON)  # and back at 02:00 on the 25th


@pytest.mark.parametrize(("now", "phrase", "expected"), [
    (SPRING, "tomorrow", instant("2026-03-29T00:00+00:00", "day")),
    (SPRING, "tomorrow at 3", instant("2026-03-29T15:00+01:00", "hour")),
    (SPRING, "tomorrow at 1:30am", instant("2026-03-29T02:30+01:00", "minute")),  # 01:30 never happens
    (SPRING, "in 24 hours", instant("2026-03-29T11:00+01:00", "minute")),       # elapsed time
    (SPRING, "in 1 day", instant("2026-03-29T10:00+01:00", "hour")),            # same wall time
    (SPRING, "tomorrow morning", interval("2026-03-29T00:00+00:00", "2026-03-29T12:00+01:00", "hour")),
    (AUTUMN, "next 3 hours", interval("2026-10-24T23:00+01:00", "2026-10-25T01:00+00:00", "hour")),
    (AUTUMN, "tomorrow at 3", instant("2026-10-25T15:00+00:00", "hour")),
])
def test_dst_days(now, phrase, expected):
    value = parse_time(phrase, now=now)
    assert (value.kind, value.grain) == (expected.kind, expected.grain)
    for got, want in ((value.start, expected.start), (value.end, expected.end)):
        # Compared in UTC and by offset: 01:00 on the autumn day happens twice.
        assert (got is None) == (want is None)
        if got is not None:
            assert (got.astimezone(UTC), got.utcoffset()) == (want.astimezone(UTC), want.utcoffset())


@pytest.mark.parametrize(("message", "words", "expected"), [
    ("can I get a haircut with Sam tomorrow after 4?", "tomorrow after 4",
     interval("2026-11-26T16:00", None, "hour")),
    ("I'd like a trim on friday at 2 please", "on friday at 2", instant("2026-11-27T14:00", "hour")),
    ("Is Anna free between 2 and 4 tomorrow?", "between 2 and 4 tomorrow",
     interval("2026-11-26T14:00", "2026-11-26T16:00", "hour")),
    ("I can't do friday, how about monday at 3?", "monday at 3", instant("2026-11-30T15:00", "hour")),
    ("Good evening! Anything tomorrow evening?", "tomorrow evening",
     interval("2026-11-26T18:00", "2026-11-27T00:00", "hour")),
    ("a beard trim for tomorrow for 2 people", "for tomorrow", instant("2026-11-26T00:00", "day")),
])
def test_finds_the_time_inside_a_message(message, words, expected):
    value, (start, end) = find_time(message, now=NOW)
    assert value == expected
    assert message[start:end] == words


@pytest.mark.parametrize("text", [
    "hello", "I'd like a haircut", "Sam", "", "thanks!", "good morning", "1 adult", "25",
    "I need 2 haircuts", "option 2", "May I book a trim?", "sun cream", "3 30", "two three",
    "call me on 07700 900123", "at 650.650.6500", "it costs 12.50", "the second one please",
])
def test_no_time_is_none(text):
    assert parse_time(text, now=NOW) is None
    assert find_time(text, now=NOW) is None


def test_bare_numbers_are_times_only_when_the_message_answers_what_time():
    assert parse_time("7", now=NOW) is None
    assert parse_time("7", now=NOW, latent=True) == instant("2026-11-25T19:00", "hour")
    assert parse_time("ten thirty", now=NOW, latent=True) == instant("2026-11-25T10:30", "minute")
    assert parse_time("3 30", now=NOW, latent=True) == instant("2026-11-25T15:30", "minute")


def test_zone_forms_and_naive_now():
    plus = timezone(timedelta(hours=5, minutes=30))
    assert parse_time("at 3", now=datetime(2026, 11, 25, 10, 0), tz="+05:30") == \
        TimeValue("instant", datetime(2026, 11, 25, 15, 0, tzinfo=plus), None, "hour")
    # An aware `now` is read in the client's zone: 10:00 GMT is 05:00 in New York.
    value = parse_time("at 9", now=NOW, tz="America/New_York")
    assert value.start == datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    assert parse_time("at 9", now=NOW, tz=LONDON).start == at("2026-11-26T09:00")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("0123456789 :-/.apmhondyt'") + [
    "at ", "to ", "tomorrow ", "friday ", "next ", "between ", "and ", "half ", "past ", "in ",
    "hours ", "march ", "the ", "15th ", "noon ", "week", "GMT "]), max_size=30).map("".join))
def test_any_text_gives_a_value_or_none_never_an_error(text):
    found = find_time(text, now=NOW, latent=True)
    if found is not None:
        value, (start, end) = found
        assert 0 <= start < end <= len(text)
        assert value.kind in ("instant", "interval")
        assert value.start is not None or value.end is not None


def when(*options: str, stdin: str) -> subprocess.CompletedProcess:
    """`slotline when` as a user runs it: the console script next to this Python."""
    script = Path(sys.executable).with_name("slotline")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "slotline.cli"]
    return subprocess.run([*command, "when", *options], input=stdin, capture_output=True, text=True,
                          timeout=60, check=False)


def test_slotline_when_contract():
    lines = ["at 3", "hello", "after 5", "between 2 and 4", "tomorrow morning", "Thursday 8:00 GMT"]
    result = when("--now=2026-11-25T10:00:00+00:00", "--tz=Europe/London", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert answers == [
        {"phrase": "at 3", "kind": "instant", "start": "2026-11-25T15:00:00+00:00", "end": None, "grain": "hour"},
        {"phrase": "hello", "kind": None, "start": None, "end": None, "grain": None},
        {"phrase": "after 5", "kind": "interval", "start": "2026-11-25T17:00:00+00:00", "end": None,
         "grain": "hour"},
        {"phrase": "between 2 and 4", "kind": "interval", "start": "2026-11-25T14:00:00+00:00",
         "end": "2026-11-25T16:00:00+00:00", "grain": "hour"},
        {"phrase": "tomorrow morning", "kind": "interval", "start": "2026-11-26T00:00:00+00:00",
         "end": "2026-11-26T12:00:00+00:00", "grain": "hour"},
        {"phrase": "Thursday 8:00 GMT", "kind": "instant", "start": "2026-11-26T08:00:00+00:00", "end": None,
         "grain": "minute"},
    ]


def test_slotline_when_takes_an_offset_zone_and_refuses_an_unknown_one():
    now = "--now=2013-02-12T04:30:00-02:00"
    result = when(now, "--tz=-02:00", stdin="tomorrow at 5pm\n")
    assert json.loads(result.stdout)["start"] == "2013-02-13T17:00:00-02:00"
    result = when(now, "--tz=-02:00", "--latent", stdin="7\n")
    assert json.loads(result.stdout)["start"] == "2013-02-12T19:00:00-02:00"
    result = when(now, "--tz=Mars/Olympus", stdin="at 3\n")
    assert result.returncode == 2 and "Mars/Olympus" in result.stderr


def test_corpus_accuracy_stays_at_its_goal():
    """The benchmark's scorer, in-process: >= 92% overall, no category under 75%, no false positive."""
    from benchmarks.when_corpus import score

    report = score()
    assert report.accuracy >= 0.92, [case.phrase for case in report.misses]
    assert min(report.category_accuracy().values()) >= 0.75, report.category_accuracy()
    assert report.false_positives == []


@pytest.mark.parametrize(("phrase", "expected"), [
    ("10 till 2", interval("2026-11-25T10:00", "2026-11-25T14:00", "hour")),
    ("a week from tomorrow", instant("2026-12-03T00:00", "day")),
    ("1st at 9", instant("2026-12-01T09:00", "hour")),
    ("Tue 2nd Dec at 10am", instant("2026-12-02T10:00", "hour")),   # no Tuesday the 2nd soon: the date wins
    ("the week after next", instant("2026-12-07T00:00", "week")),
    ("as soon as possible", interval("2026-11-25T10:00", None, "second")),
])
def test_more_booking_phrases(phrase, expected):
    assert parse_time(phrase, now=NOW) == expected


@pytest.mark.parametrize("text", ["2-4", "1 to 2 people", "my 2nd haircut"])
def test_numbers_that_only_might_be_times(text):
    assert parse_time(text, now=NOW) is None


# Phrases clients wrote to the salon (issue 11), read on Monday 30 November 2026 at 08:00.
MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=LONDON)


@pytest.mark.parametrize(("message", "expected"), [
    ("thurs around half 5 pm", instant("2026-12-03T17:30", "minute")),
    ("wed around half 6 for a blow dry with jordan", instant("2026-12-02T18:30", "minute")),
    ("haircut with sam on 19 January at 11am", instant("2027-01-19T11:00", "hour")),
    ("on 19 January", instant("2027-01-19T00:00", "day")),         # "on 19" is not the 19th of this month
    ("beard trim with sam on 15 february", instant("2027-02-15T00:00", "day")),
    ("a check with P1 tomorrow at 3pm", instant("2026-12-01T15:00", "hour")),  # "P1" is a name, not 1 o'clock
    ("is jordan in on christmas eve?", instant("2026-12-24T00:00", "day")),
    ("is alex working on new year's eve?", instant("2026-12-31T00:00", "day")),
    ("boxing day at 10", instant("2026-12-26T10:00", "hour")),
    ("I've been coming for years now, can I book a beard trim on friday at 10", instant("2026-12-04T10:00", "hour")),
])
def test_phrases_clients_wrote(message, expected):
    assert parse_time(message, now=MONDAY) == expected


@pytest.mark.parametrize(("message", "said"), [
    ("a haircut at 26:00 on 30 february", "there is no 30 February"),
    ("a beard trim with jordan on 31 november", "there is no 31 November"),
    ("february the 30th", "there is no 30 February"),
    ("29 feb please", "there is no 29 February in 2027"),
    ("tomorrow at 26:00", "there is no 26:00 on the clock"),
])
def test_dates_and_times_that_do_not_exist_are_named_not_replaced(message, said):
    from core.timeparse import impossible

    assert impossible(message, today=MONDAY.date()) == said
    assert parse_time("a beard trim with jordan on 31 november", now=MONDAY) is None


@pytest.mark.parametrize("message", ["31 december", "tomorrow at 12:30", "room 12 on friday", "call 650.650.6500"])
def test_dates_and_times_that_exist_are_not_called_impossible(message):
    from core.timeparse import impossible

    assert impossible(message, today=MONDAY.date()) is None
