"""One turn of the conversation: who is talking, what they said, and what we say back."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.conversation.desk import Catalogue, Client, Desk
from core.conversation.messages import Choice, Inbound, Reply
from core.conversation.nlu import Understanding
from core.conversation.state import Conversation

MENU = (("Book an appointment", "intent:book"), ("My appointments", "intent:list"),
        ("Move one", "intent:reschedule"), ("Cancel one", "intent:cancel"))


@dataclass
class Turn:
    desk: Desk
    client: Client
    convo: Conversation
    inbound: Inbound
    now: datetime
    catalogue: Catalogue
    heard: Understanding | None = None  # None when they picked an option
    replies: list[Reply] = field(default_factory=list)

    def say(self, text: str, choices: list[tuple[str, str]] | tuple = ()) -> None:
        """Add a reply; the choices of the last reply are what a bare "2" picks from."""
        self.replies.append(Reply(text, tuple(Choice(label, value) for label, value in choices)))
        if choices:
            self.convo.choices = [[label, value] for label, value in choices]

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
