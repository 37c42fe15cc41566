"""Sending one notification: claim it, check it still stands, send it, record what happened.

A job that fires late re-reads the appointment: another version, a cancelled appointment or
a start already past means nothing is sent. A transient failure is recorded and raised again,
for the job queue to retry with backoff; a permanent one (a blocked bot, an invalid number)
is recorded as failed and not retried; so is the last transient one. A person no channel
reaches is a permanent failure that says why ("no channel reaches this person: ..."), so it
shows in `slotline notifications --failed` rather than being dropped.
"""
from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from core.booking.schedules import get_business
from core.conversation.store import ConversationStore
from core.db.models import ACTIVE_STATUSES, Business, Notification, Provider
from core.db.session import UnitOfWork
from core.booking.offers import view_of
from core.notifications import notice, offer_texts, records, texts, weekly
from core.notifications.ports import (
    MAX_ATTEMPTS,
    AgendaPoster,
    Jobs,
    RequestPoster,
    WeeklyPoster,
    notification_job_id,
)
from core.notifications.sender import FileSender, NoChannel, NoticeSender, Outbox, Sender, SendFailed
from core.notifications.timing import QuietHours, after_quiet, is_quiet

log = logging.getLogger(__name__)
QUIET_KINDS = ("reminder", "follow_up")  # what can wait for the morning where a sender keeps quiet hours
MAX_ROUTES = 5  # channels tried for one notification when each refuses as we send


class Skip(Exception):
    """Nothing to send, and nothing to retry: the reason is recorded."""


class Delivery:
    def __init__(self, session_factory: sessionmaker[Session], outbox: Outbox, jobs: Jobs, *,
                 clock: Callable[[], datetime], conversations: ConversationStore | None = None,
                 agendas: AgendaPoster | None = None):
        self.session_factory, self.outbox, self.jobs, self.clock = session_factory, outbox, jobs, clock
        self.conversations, self.agendas = conversations, agendas

    def deliver(self, notification_id: int) -> str:
        """Send one notification if it is still to be sent; returns what happened ("sent", "skipped"...)."""
        now = self.clock()
        row = records.claim(self.session_factory, notification_id, now)
        if row is None:
            log.info("notification %s is not waiting to be sent (sent, taken or cancelled)", notification_id)
            return "not claimed"
        try:
            outcome = self._send(row, now)
        except Skip as skip:
            records.record(self.session_factory, row.id, "skipped", str(skip), now)
            return "skipped"
        except SendFailed as exc:
            if not exc.permanent and row.attempts < MAX_ATTEMPTS:
                records.record(self.session_factory, row.id, "retrying", f"will retry: {exc}", now, error=str(exc))
                raise
            gave_up = "permanent failure" if exc.permanent else f"gave up after {row.attempts} attempts"
            records.record(self.session_factory, row.id, "failed", f"{gave_up}: {exc}", now, error=str(exc))
            if exc.permanent:
                return "failed"
            raise  # the job fails for good too, and shows in the queue's failed jobs
        return outcome

    def _send(self, row: Notification, now: datetime) -> str:
        if row.kind in ("agenda", weekly.KIND):
            return self._agenda(row, now)
        if row.kind == offer_texts.KIND:
            return self._offer(row, now)
        with UnitOfWork(self.session_factory) as uow:
            facts = records.facts(uow.session, row.appointment_id)
            business = get_business(uow.session)
        _still_stands(row, facts, now)
        if row.kind.startswith("provider_"):
            return self._to_provider(row, facts, now)
        return self._to_client(row, facts, business, now)

    def _to_client(self, row: Notification, facts: texts.AppointmentFacts, business: Business,
                   now: datetime) -> str:
        return self._routed(row, lambda sender, recipient, refused: self._send_on(
            sender, recipient, row, facts, business, now, refused))

    def _routed(self, row: Notification, send: Callable[[Sender, str, list[str]], str]) -> str:
        """Over the person's best channel. One found closed to us as we send (a blocked bot, STOP) is
        recorded as opted out and the next is tried at once; reachable nowhere is a failure that says why."""
        refused: list[str] = []
        for _ in range(MAX_ROUTES):
            try:
                sender, recipient = self.outbox.route(row.user_id)
            except NoChannel as exc:
                raise SendFailed("; ".join([str(exc), *refused]), permanent=True) from exc
            try:
                return send(sender, recipient, refused)
            except SendFailed as exc:
                if not exc.opted_out:
                    raise
                self.outbox.opt_out(sender.channel, recipient)
                refused.append(f"{sender.channel} refused it: {exc}")
        raise SendFailed("; ".join(refused), permanent=True)

    def _send_on(self, sender: Sender, recipient: str, row: Notification, facts: texts.AppointmentFacts,
                 business: Business, now: datetime, refused: list[str]) -> str:
        if sender.quiet_hours and row.kind in QUIET_KINDS:
            quiet = QuietHours(business.sms_quiet_start, business.sms_quiet_end)
            if is_quiet(now, facts.client_zone, quiet):
                return self._defer(row, after_quiet(now, facts.client_zone, quiet), facts, now)
        reply, attachment = texts.compose(row.kind, facts, now, row.payload or {}, buttons=sender.buttons,
                                          letters=sender.letters)
        if isinstance(sender, NoticeSender):
            external_id = sender.send_notice(recipient, notice.build(row.kind, facts, reply, now, self.outbox.links))
        elif attachment is not None and isinstance(sender, FileSender):
            external_id = sender.send_file(recipient, reply, attachment)
        else:
            external_id = sender.send(recipient, reply)
        outcome = f"sent by {sender.channel}" + (f" ({'; '.join(refused)})" if refused else "")
        records.record(self.session_factory, row.id, "sent", outcome, now, channel=sender.channel,
                       external_id=external_id)
        if row.kind == "reminder":
            self._remember(sender.channel, recipient, reminded=facts.id)
        return "sent"

    def _offer(self, row: Notification, now: datetime) -> str:
        """A waiting-list offer, while it is still open; "Y" or "N" from the client then answers it."""
        with UnitOfWork(self.session_factory) as uow:
            offer = view_of(uow.session, (row.payload or {}).get("offer_id"))
        if offer is None or offer.status != "open" or offer.expires_at <= now:
            raise Skip("the offer was answered, or has lapsed")

        def send(sender: Sender, recipient: str, refused: list[str]) -> str:
            external_id = offer_texts.send_offer(sender, recipient, offer, now, self.outbox.links)
            outcome = f"sent by {sender.channel}" + (f" ({'; '.join(refused)})" if refused else "")
            records.record(self.session_factory, row.id, "sent", outcome, now, channel=sender.channel,
                           external_id=external_id)
            self._remember(sender.channel, recipient, offer=offer.id)
            return "sent"
        return self._routed(row, send)

    def _to_provider(self, row: Notification, facts: texts.AppointmentFacts, now: datetime) -> str:
        """Where the provider works (`Outbox.route_provider`: a sender with `agendas`, Slack)."""
        try:
            sender, recipient = self.outbox.route_provider(facts.provider_id)
        except NoChannel as exc:
            raise Skip(f"the provider has nowhere to be told: {exc}") from exc
        if row.kind == "provider_request" and isinstance(self.agendas, RequestPoster) \
                and sender.channel == self.agendas.channel:  # with Approve and Decline buttons
            external_id = self.agendas.post_request(facts.provider_id, recipient, facts.id)
        else:
            reply = texts.provider_note(facts, row.kind.removeprefix("provider_"), row.payload or {}, now)
            external_id = sender.send(recipient, reply)
        records.record(self.session_factory, row.id, "sent", f"sent by {sender.channel}", now,
                       channel=sender.channel, external_id=external_id)
        return "sent"

    def _agenda(self, row: Notification, now: datetime) -> str:
        payload = row.payload or {}
        with UnitOfWork(self.session_factory) as uow:
            provider = uow.session.get(Provider, payload.get("provider_id"))
        if self.agendas is None or provider is None or not provider.active:
            raise Skip("no agenda poster, or no such active provider")
        try:
            sender, recipient = self.outbox.route_provider(provider.id)
        except NoChannel as exc:
            raise Skip(f"nowhere to post the agenda: {exc}") from exc
        if sender.channel != self.agendas.channel:
            raise Skip(f"agendas are posted on {self.agendas.channel}; the provider is reached on {sender.channel}")
        if row.kind == weekly.KIND:
            external_id = self._weekly(provider.id, recipient, date.fromisoformat(payload["first"]))
        else:
            external_id = self.agendas.post_agenda(provider.id, recipient, date.fromisoformat(payload["day"]))
        records.record(self.session_factory, row.id, "sent", f"{row.kind} posted on {sender.channel}", now,
                       channel=sender.channel, external_id=external_id)
        return "sent"

    def _weekly(self, provider_id: int, recipient: str, first: date) -> str | None:
        """The week from Monday `first`, with its figures as they stand now."""
        if not isinstance(self.agendas, WeeklyPoster):
            raise Skip(f"no weekly summaries on {self.agendas.channel}")
        summaries = weekly.WeeklySummaries(self.session_factory, self.jobs, clock=self.clock)
        return self.agendas.post_weekly(provider_id, recipient, summaries.summary(provider_id, first))

    def _defer(self, row: Notification, until: datetime, facts: texts.AppointmentFacts, now: datetime) -> str:
        """Quiet hours (a sender that keeps them: SMS): send when they end, unless a reminder would then
        come after the start."""
        if row.kind == "reminder" and until >= facts.start:
            raise Skip("SMS quiet hours last until the appointment starts")
        round_ = (row.payload or {}).get("round", 0) + 1
        records.record(self.session_factory, row.id, "scheduled", f"SMS quiet hours: moved to {until.isoformat()}",
                       now, due_at=until, attempts=row.attempts - 1, payload={**(row.payload or {}), "round": round_})
        self.jobs.enqueue_at(until, "deliver", row.id, job_id=notification_job_id(row.id, round_), retry=True)
        return "deferred"

    def _remember(self, channel: str, recipient: str, **latest: int) -> None:
        """So that "C", "X" or "R" from the client answers this reminder (`reminded`), "Y" or "N" this
        waiting-list offer (`offer`)."""
        if self.conversations is None:
            return
        with self.conversations.locked(channel, recipient):
            convo = self.conversations.load(channel, recipient)
            for name, value in latest.items():
                setattr(convo, name, value)
            self.conversations.save(channel, recipient, convo)


def _still_stands(row: Notification, facts: texts.AppointmentFacts | None, now: datetime) -> None:
    if facts is None:
        raise Skip("the appointment no longer exists")
    if row.version is not None and facts.version != row.version:
        raise Skip(f"stale: the appointment is at version {facts.version}, this was for version {row.version}")
    if row.kind == "reminder" and (facts.status not in ACTIVE_STATUSES or facts.start <= now):
        raise Skip(f"the appointment is {facts.status} or has started")

