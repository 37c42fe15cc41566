"""The conversation's state machine in the open: states returned by handlers and stored in one place,
choices written by one module, a conversation from the last release still understood, and "busy"
told apart from any other timeout."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from core.conversation import choices, store
from core.conversation.bookings import CoreBookings
from core.conversation.errors import ConversationBusy
from core.conversation.state import IDLE, SHOWING_TIMES, STATES, Conversation
from tests.chat_helpers import Chat, clock_fixture, container_fixture, salon_fixture, web_fixture  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
CONVERSATION = sorted((ROOT / "core" / "conversation").glob("*.py"))
CHOICE_WRITERS = [*CONVERSATION, ROOT / "core" / "notifications" / "texts.py"]
PREFIXES = tuple(f"{kind}:" for kind in (choices.INTENT, choices.SERVICE, choices.WHEN, choices.SLOT,
                                         choices.APPOINTMENT, choices.REMIND, choices.REBOOK))


def _state_writes(path: Path) -> list[int]:
    """Lines assigning `<something>.convo.state` or `convo.state`."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Attribute) and part.attr == "state" and (
                        (isinstance(part.value, ast.Name) and part.value.id == "convo")
                        or (isinstance(part.value, ast.Attribute) and part.value.attr == "convo")):
                    lines.append(node.lineno)
    return lines


def test_only_the_assistant_stores_the_next_state():
    writes = {path.name: _state_writes(path) for path in CONVERSATION}
    assert {name for name, lines in writes.items() if lines} == {"assistant.py"}
    assert len(writes["assistant.py"]) == 1


@pytest.mark.parametrize("path", CHOICE_WRITERS, ids=lambda p: p.name)
def test_choice_values_are_written_by_the_choices_module_only(path):
    if path.name == "choices.py":
        return
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not node.value.startswith(PREFIXES), f"{path.name}:{node.lineno} writes {node.value!r}"
        if isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[1], ast.Constant):
            assert node.elts[1].value not in choices.WORDS, f"{path.name}:{node.lineno}: use the choices constant"


def test_every_value_written_decodes_to_what_was_meant():
    assert choices.decode(choices.slot(3)) == choices.Picked(choices.SLOT, number=3)
    assert choices.decode(choices.remind("move", 42)) == choices.Picked(choices.REMIND, word="move", number=42)
    assert choices.decode(choices.intent("book")) == choices.Picked(choices.INTENT, word="book")
    assert choices.decode(choices.when("nextweek")) == choices.Picked(choices.WHEN, word="nextweek")
    for word in choices.WORDS:
        assert choices.decode(word) == choices.Picked(word)
    for write in (choices.service, choices.appointment, choices.rebook):
        assert choices.decode(write(7)).number == 7


def test_an_encoder_refuses_what_decode_would_refuse():
    for bad in (lambda: choices.intent("shout"), lambda: choices.when("someday"), lambda: choices.remind("x", 1)):
        with pytest.raises(ValueError):
            bad()


def test_a_conversation_saved_by_the_last_release_goes_on():
    old = json.dumps({"state": "offering", "offer_key": "k1", "service_id": 3, "offered": [], "reminded": 9})
    convo = Conversation.from_json(old)
    assert (convo.state, convo.booking_key, convo.service_id, convo.reminded) == (SHOWING_TIMES, "k1", 3, 9)
    assert "offer_key" not in json.loads(convo.to_json())
    assert Conversation.from_json(json.dumps({"state": "from_the_future"})).state == IDLE
    assert SHOWING_TIMES in STATES and "offering" not in STATES


def test_busy_is_its_own_error_not_a_timeout():
    assert not issubclass(ConversationBusy, OSError)  # TimeoutError is an OSError


def test_a_message_while_the_last_is_answered_is_busy(web, container, monkeypatch):
    monkeypatch.setattr(store, "LOCK_WAIT", 0.2)
    with container.assistant.store.locked("web", "web-busy"):
        response = web.post("/api/v1/chat", json={"session": "web-busy", "text": "hello"})
    assert response.status_code == 409 and "busy" in response.json()["detail"]
    assert web.post("/api/v1/chat", json={"session": "web-busy", "text": "hello"}).status_code == 200


class SilentCore(CoreBookings):
    """A booking core whose socket times out: an error like any other, never "busy"."""

    def find_slots(self, **_ignored):
        raise TimeoutError("timed out")


def test_a_timeout_inside_a_turn_is_not_read_as_busy(web, container):
    desk = container.assistant.desk
    desk.bookings = SilentCore(None, None)
    with pytest.raises(TimeoutError):
        Chat(web).say("a haircut tomorrow")
