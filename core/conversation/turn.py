"""One turn of the conversation: who is talking, what they said, the state it found, and what we say back."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from core.conversation import choices
from core.conversation.desk import Catalogue, Client, Desk
from core.conversation.messages import Choice, Inbound, Reply
from core.conversation.nlu import Understanding
from core.conversation.ports import Bookings
from core.conversation.state import Conversation, State

MENU = (("Book an appointment", choices.intent("book")), ("My appointments", choices.intent("list")),
        ("Move one", choices.intent("reschedule")), ("Cancel one", choices.intent("cancel")))


@dataclass
class Turn:
    """What a handler is given. Handlers read `state` (the state this turn answers) and return the
    next one; `convo.state` is written once, by the assistant, with what `flow.respond` returned."""

    desk: Desk
    client: Client
    convo: Conversation
    inbound: Inbound
    now: datetime
    catalogue: Catalogue
    state: State
    heard: Understanding | None = None  # None when they picked an option
    replies: list[Reply] = field(default_factory=list)

    @property
    def bookings(self) -> Bookings:
        """The booking core, through its port: find, hold, book, move, cancel, confirm..."""
        return self.desk.bookings

    def say(self, text: str, choices: list[tuple[str, str]] | tuple = ()) -> None:
        """Add a reply; the choices of the last reply are what a bare "2" picks from."""
        self.replies.append(Reply(text, tuple(Choice(label, value) for label, value in choices)))
        if choices:
            self.convo.choices = [[label, value] for label, value in choices]

    def enrolled(self) -> Client:
        """The client, made a user now if they were not one yet (they are booking or joining a list)."""
        if self.client.id is None:
            inbound = self.inbound
            self.client = self.desk.enroll(inbound.channel, inbound.sender, self.client.name or inbound.display_name,
                                           inbound.phone)
        return self.client

    @property
    def holder(self) -> str:
        """Who holds a picked slot: this conversation (it may have no client yet). No ':' (see coordination)."""
        digest = hashlib.blake2b(f"{self.inbound.channel}\0{self.inbound.sender}".encode(), digest_size=10)
        return "c" + digest.hexdigest()

    def holder_of(self, person: int) -> str:
        """Who holds the slot picked for the `person`-th of a party (0: the client's own, `holder`):
        each its own holder, since a holder keeps one hold at a time."""
        return self.holder if person == 0 else f"{self.holder}p{person}"

    def menu(self, text: str) -> None:
        self.say(text, MENU)

    @property
    def zone(self) -> str:
        return self.client.timezone

    def service_name(self, service_id: int | None) -> str:
        service = self.catalogue.services.get(service_id)
        return service.name if service else "appointment"

    def provider_name(self, provider_id: int | None) -> str | None:
        provider = self.catalogue.providers.get(provider_id)
        return provider.name if provider else None
