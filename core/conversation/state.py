"""What the assistant remembers between messages of one conversation.

Kept as JSON in Redis (see `store`), so every field is plain data. States are named
constants, as in python-telegram-bot's conversationbot: every handler returns the next one,
and the assistant stores it (`Assistant.handle`), nowhere else. `flow.md` draws them.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

State = str  # one of the constants below

IDLE = "idle"
ASK_SERVICE = "ask_service"            # booking, but which service?
ASK_WHEN = "ask_when"                  # booking (or moving), but when?
SHOWING_TIMES = "showing_times"        # free times shown, waiting for a pick
CONFIRMING = "confirming"              # a time picked (and held), waiting for yes/no
ASK_NAME = "ask_name"                  # about to book, but we don't know their name
ASK_CONTACT = "ask_contact"            # about to book, waiting for a number or address to send a code to
ASK_CODE = "ask_code"                  # a code is on its way: waiting for it
PICK_APPOINTMENT = "pick_appointment"  # which of their appointments to move or cancel
CONFIRM_CANCEL = "confirm_cancel"      # are you sure you want to cancel?
OFFER_WAITLIST = "offer_waitlist"      # nothing fits: join the waiting list?
PICK_WAITING = "pick_waiting"          # which of their waiting-list entries to leave
ASK_EMAIL = "ask_email"                # "email me", and we have no address: waiting for one
SERIES_ASK = "series_ask"              # a recurring series, but which service, how many weeks, or their name?
CONFIRM_SERIES = "confirm_series"      # a series summarised ("5 free, 8 Dec is taken"), waiting for yes/no
SERIES_ONE_OR_ALL = "series_one_or_all"  # "cancel all my Tuesday sessions": just one, or all of them?
SERIES_STATES = (SERIES_ASK, CONFIRM_SERIES, SERIES_ONE_OR_ALL)  # `series_flow`
STATES = frozenset({IDLE, ASK_SERVICE, ASK_WHEN, SHOWING_TIMES, CONFIRMING, ASK_NAME, ASK_CONTACT, ASK_CODE,
                    PICK_APPOINTMENT, CONFIRM_CANCEL, OFFER_WAITLIST, ASK_EMAIL, PICK_WAITING, *SERIES_STATES})
VERIFYING = (ASK_CONTACT, ASK_CODE)    # proving a contact before a booking (`verify_flow`)

# Written by the release before this one; read for one release so live conversations survive a deploy.
_OLD_STATES = {"offering": SHOWING_TIMES}
_OLD_FIELDS = {"offer_key": "booking_key"}


@dataclass
class Conversation:
    state: State = IDLE
    intent: str | None = None           # book | reschedule | cancel
    service_id: int | None = None
    provider_id: int | None = None      # None: anyone who offers the service
    window_start: str | None = None     # ISO UTC: where to look for slots
    window_end: str | None = None
    around: str | None = None           # ISO UTC: the time they asked for, if they named one
    wait_window: list[str] | None = None  # ISO UTC [start, end): the day (or part of it) they asked for, as
                                        # they said it: what "put me on the waiting list" joins for
    offered: list[dict] = field(default_factory=list)  # the times on show: [{"start": iso, "provider": id}]
    picked: dict | None = None         # the time being confirmed: {"start", "provider"}, and "who"/"name" when
                                        # it is for someone else ("your daughter", "Sofia Lopez")
    booking_key: str | None = None      # idempotency key of the booking being confirmed
    appointment_id: int | None = None   # the appointment being moved or cancelled
    choices: list[list[str]] = field(default_factory=list)  # last [label, value] pairs shown
    reminded: int | None = None         # the appointment the latest reminder was about ("C", "X", "R" answer it)
    offer: int | None = None            # the latest waiting-list offer sent here ("Y", "N" answer it)
    verifying: dict | None = None       # a one-time code on its way: {kind, address, digest, expires, tries}
    asked_clock: str | None = None      # "15:00": the clock time they asked for, kept while the day changes
    alternatives: list[str] = field(default_factory=list)  # ISO UTC: other times they named ("5pm or 6pm")
    people: list[str | None] = field(default_factory=list)  # whom each appointment asked for is for, in order:
                                        # None is the client ("for me and my son": [None, "your son"])
    party: list[dict] = field(default_factory=list)  # the times picked for people[1:]:
                                        # {start, provider, who, name, key}
    booked: int | None = None           # the appointment last booked or moved here ("one more for my daughter")
    name: str | None = None             # the name a newcomer gave before they are a client ("..., it's Maria")
    series: dict | None = None          # a recurring series being planned (`series_flow.Plan`), or the
                                        # appointments "cancel all my Tuesday sessions" is about: {"cancel": [ids]}

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes | None) -> Conversation:
        if not raw:
            return cls()
        data = json.loads(raw)
        for old, new in _OLD_FIELDS.items():
            if old in data:
                data.setdefault(new, data[old])
        data["state"] = _OLD_STATES.get(data.get("state"), data.get("state"))
        if data["state"] not in STATES:  # a state this release does not know: start afresh
            data["state"] = IDLE
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def reset(self) -> None:
        """Forget the task at hand (not who they are, nor the latest reminder they may still answer,
        nor what they last booked here).

        The state is left alone: the handler that forgets returns the next state, usually IDLE."""
        fresh = Conversation(state=self.state, reminded=self.reminded, booked=self.booked, name=self.name,
                             offer=self.offer)
        self.__dict__.update(fresh.__dict__)
