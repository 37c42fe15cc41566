"""SMS rendering without a server: segment counting, numbered lines, fitting two segments, keywords."""
from __future__ import annotations

import pytest

from bots.sms.keywords import HELP_TEXT, keyword
from bots.sms.render import render
from bots.sms.segments import encoding, gsm_friendly, segments
from core.conversation.messages import Choice, Reply


@pytest.mark.parametrize(("text", "count"), [
    ("", 1), ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3), ("a" * 459, 3),
])
def test_gsm7_basic_counts_160_alone_and_153_a_part(text, count):
    assert encoding(text) == "GSM-7" and segments(text) == count


def test_gsm7_extension_characters_count_double_and_are_never_split():
    assert encoding("[x] {y} ~ | \\ ^ €") == "GSM-7"
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # 160 and 162 septets
    assert segments("a" * 150 + "^" * 5) == 1  # 160 septets, though only 155 characters
    # 306 septets would be two parts of 153, but the escape pair cannot straddle them.
    assert segments("a" * 152 + "€" + "a" * 152) == 3
    assert segments("a" * 151 + "€" + "a" * 153) == 2


def test_gsm7_basic_table_includes_its_accented_and_greek_letters():
    assert encoding("Grüße à Ñaña, Øre ù £5 ¥ §1 ¿¡ ΔΦΓΛΩΠΨΣΘΞ @_") == "GSM-7"
    assert encoding("Zoë") == encoding("ú") == encoding("’") == "UCS-2"


@pytest.mark.parametrize(("text", "count"), [
    ("ë" * 70, 1), ("ë" * 71, 2), ("ë" * 134, 2), ("ë" * 135, 3),
    ("😀" * 35, 1), ("a" + "😀" * 35, 2),  # an emoji is two UTF-16 units
    ("ë" * 66 + "😀" + "ë" * 66, 3),  # 134 units, but the surrogate pair cannot be split
])
def test_ucs2_counts_utf16_units_70_alone_and_67_a_part(text, count):
    assert encoding(text) == "UCS-2" and segments(text) == count


def test_typography_becomes_gsm7():
    assert gsm_friendly("It’s “fine” – • ok… ‘yes’ — no") == "It's \"fine\" - * ok... 'yes' - no"
    reply = render(Reply("We’re open – see you “soon”…"))
    assert reply == "We're open - see you \"soon\"..." and encoding(reply) == "GSM-7"


def test_choices_become_numbered_lines_and_a_prompt():
    reply = Reply("Which day would suit you better?", (Choice("Tomorrow", "when:tomorrow"), Choice("This week", "w")))
    assert render(reply) == "Which day would suit you better?\n1) Tomorrow\n2) This week\nReply with a number."


def offer(label: str, count: int) -> Reply:
    slots = tuple(Choice(f"Mon {7 + i % 5} Dec {9 + i // 4}:{i % 4 * 15:02d} with {label}", f"slot:{i}")
                  for i in range(count))
    return Reply("Free times for a Haircut (London time):",
                 (*slots, Choice("Later", "later"), Choice("Another day", "otherday")))


@pytest.mark.parametrize(("provider", "kind"), [("Alexandra", "GSM-7"), ("Zoë", "UCS-2")])
def test_a_long_offer_keeps_its_numbers_and_the_way_on_but_drops_middle_lines(provider, kind):
    body = render(offer(provider, 12))
    assert encoding(body) == kind and segments(body) <= 2
    lines = body.splitlines()
    assert lines[1].startswith("1) Mon 7 Dec 9:00") and lines[-3:] == ["13) Later", "14) Another day",
                                                                     "Reply with a number"]
    numbers = [int(line.split(")")[0]) for line in lines[1:-1]]
    assert numbers == sorted(numbers) and 2 <= len(numbers) < 14


def test_abbreviations_only_when_it_would_not_fit():
    short = Reply("Your appointment is 45 minutes.", (Choice("OK", "ok"),))
    assert render(short).startswith("Your appointment is 45 minutes.")
    long = Reply("Your appointment is 45 minutes. " + "x" * 200, tuple(Choice(f"Option {i}", str(i)) for i in range(6)))
    assert render(long).startswith("Your appt is 45 min.") and segments(render(long)) <= 2


def test_text_that_cannot_fit_is_sent_whole_rather_than_cut():
    text = "word " * 90
    assert render(Reply(text)) == text.strip()


@pytest.mark.parametrize(("text", "expected"), [
    ("Reply CANCEL to cancel it.", 'Reply "cancel my appointment" to cancel it.'),
    ('Or text "cancel".', 'Or text "cancel my appointment".'),
    ("Send cancel or move", 'Send "cancel my appointment" or move'),
    ('Say "cancel my haircut" to cancel.', 'Say "cancel my haircut" to cancel.'),
    ("Cancel your Haircut with Sam?", "Cancel your Haircut with Sam?"),
])
def test_no_reply_tells_a_client_to_send_the_bare_word_cancel(text, expected):
    assert render(Reply(text)) == expected


def test_help_fits_and_never_says_reply_cancel():
    assert segments(HELP_TEXT) <= 2 and encoding(HELP_TEXT) == "GSM-7"
    assert render(Reply(HELP_TEXT)) == HELP_TEXT


@pytest.mark.parametrize(("body", "kind"), [
    ("STOP", "opt_out"), (" stop\n", "opt_out"), ("Cancel", "opt_out"), ("stopall", "opt_out"),
    ("REVOKE", "opt_out"), ("OptOut", "opt_out"), ("START", "opt_in"), ("yes", "opt_in"), ("unstop", "opt_in"),
    ("HELP", "help"), ("info", "help"),
    ("stop please", None), ("cancel my haircut", None), ("please cancel", None), ("", None), (None, None),
])
def test_keywords_are_whole_single_word_messages_in_any_case(body, kind):
    assert keyword(body) == kind
