"""What the assistant remembers between messages of one conversation.

Kept as JSON in Redis (see `store`), so every field is plain data. States are named
constants, as in python-telegram-bot's conversationbot; `flow.md` draws them.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

IDLE = "idle"
ASK_SERVICE = "ask_service"            # booking, but which service?
ASK_WHEN = "ask_when"                  # booking, but when?
OFFERING = "offering"                  # slots shown, waiting for a pick
CONFIRMING = "confirming"              # a slot picked and held, waiting for yes/no
ASK_NAME = "ask_name"                  # about to book, but we don't know their name
PICK_APPOINTMENT = "pick_appointment"  # which of their appointments to move or cancel
CONFIRM_CANCEL = "confirm_cancel"      # are you sure you want to cancel?
OFFER_WAITLIST = "offer_waitlist"      # nothing fits: join the waiting list?


@dataclass
class Conversation:
    state: str = IDLE
    intent: str | None = None           # book | reschedule | cancel
    service_id: int | None = None
    provider_id: int | None = None      # None: anyone who offers the service
    window_start: str | None = None     # ISO UTC: where to look for slots
    window_end: str | None = None
    around: str | None = None           # ISO UTC: the time they asked for, if they named one
    offered: list[dict] = field(default_factory=list)  # [{"start": iso, "provider": id}]
    picked: dict | None = None
    offer_key: str | None = None        # idempotency key of the booking being confirmed
    appointment_id: int | None = None   # the appointment being moved or cancelled
    choices: list[list[str]] = field(default_factory=list)  # last [label, value] pairs shown
    reminded: int | None = None         # the appointment the latest reminder was about ("C", "X", "R" answer it)
    verifying: dict | None = None       # a one-time code on its way: {kind, address, digest, expires, tries}

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes | None) -> Conversation:
        if not raw:
            return cls()
        data = json.loads(raw)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def reset(self) -> None:
        """Forget the task at hand (not who they are, nor the latest reminder they may still answer)."""
        fresh = Conversation(reminded=self.reminded)
        self.__dict__.update(fresh.__dict__)
