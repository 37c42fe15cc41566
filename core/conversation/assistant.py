"""The booking assistant every channel talks to: `Assistant.handle(Inbound) -> [Reply]`."""
from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from core.conversation.desk import Desk
from core.conversation.flow import respond
from core.conversation.messages import Inbound, Reply
from core.conversation.nlu import understand
from core.conversation.state import ASK_NAME, CONFIRMING, STATES, VERIFYING, Conversation
from core.conversation.store import ConversationStore
from core.conversation.turn import Turn

log = logging.getLogger(__name__)
MAX_TEXT = 1000


class Assistant:
    """Loads the conversation, runs one turn of the state machine, saves it; one turn at a time per person.

    The state the turn's handler returns is stored here, and only here."""

    def __init__(self, desk: Desk, store: ConversationStore):
        self.desk = desk
        self.store = store

    def handle(self, inbound: Inbound) -> list[Reply]:
        """The replies to one message; [] when this platform message id was answered before.

        Raises `ConversationBusy` when an earlier message from the same person is still being answered."""
        text = (inbound.text or "").strip()
        if inbound.choice is None and not text:
            return [Reply("Say what you'd like to book, for example \"a haircut tomorrow after 4\".")]
        if len(text) > MAX_TEXT:
            return [Reply("That's a long message! Please tell me in a sentence or two what you'd like to book.")]
        with self.store.locked(inbound.channel, inbound.sender):
            # Checked under the lock and marked only once answered: a retry that arrives while
            # the first delivery is still being handled waits and is then dropped, and a turn
            # that failed half-way is not lost to its retry.
            if inbound.message_id and self.store.seen(inbound.channel, inbound.message_id):
                log.info("dropping a repeated %s message %s", inbound.channel, inbound.message_id)
                return []
            convo = self.store.load(inbound.channel, inbound.sender)
            was_holding, people = _holding(convo), 1 + len(convo.party)
            turn = self._turn(inbound, convo, text)
            turn.convo.state = _checked(respond(turn))
            if was_holding and not _holding(turn.convo):
                # "no", "start over" or a correction: let the others have that time at once
                # (and the times held beside it for the others in a party).
                for person in range(people):
                    self.desk.bookings.release_hold(turn.holder_of(person))
            self.store.save(inbound.channel, inbound.sender, turn.convo, answered=inbound.message_id)
        return turn.replies

    def _turn(self, inbound: Inbound, convo, text: str) -> Turn:
        client = self.desk.client(inbound.channel, inbound.sender, inbound.display_name, inbound.phone)
        catalogue = self.desk.catalogue()
        now = self.desk.now()
        heard = None
        if inbound.choice is None:
            heard = understand(text, services=catalogue.service_names(), providers=catalogue.provider_names(),
                               resources=catalogue.resource_names(), now=now, tz=ZoneInfo(client.timezone))
        return Turn(desk=self.desk, client=client, convo=convo, inbound=inbound, now=now, catalogue=catalogue,
                    state=convo.state, heard=heard)


def _checked(state: str) -> str:
    if state not in STATES:  # a handler that forgot to say where the conversation goes next
        raise ValueError(f"the conversation cannot go to the state {state!r}")
    return state


def _holding(convo: Conversation) -> bool:
    """Whether the conversation is keeping a picked time held (for a booking or a move)."""
    return convo.state in (CONFIRMING, ASK_NAME, *VERIFYING) and convo.picked is not None
