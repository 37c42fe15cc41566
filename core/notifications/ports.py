"""What notifications need from outside the core: a job queue with a clock, and a way to post an agenda.

The queue is RQ in production (`slotline.jobs.RqJobs`); the core names jobs by a short name
("event", "deliver", "agenda_tick") and never imports RQ.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Protocol, runtime_checkable

# Transient failures are retried after these many seconds (RQ `Retry`): 30 s, 2 min, 8 min, 32 min.
RETRY_BACKOFF = (30, 120, 480, 1920)
MAX_ATTEMPTS = 1 + len(RETRY_BACKOFF)


class Jobs(Protocol):
    """Runs named jobs now or at an instant; a job id names one job, so enqueueing it again replaces it."""

    def enqueue(self, name: str, *args, job_id: str, retry: bool = False) -> None:
        """Run `name(*args)` as soon as a worker is free; `retry` retries transient failures with backoff."""

    def enqueue_many(self, jobs: list[tuple[str, tuple, str]]) -> None:
        """Run each `(name, args, job_id)` as soon as a worker is free: queued together (all, or none and raises)."""

    def enqueue_at(self, when: datetime, name: str, *args, job_id: str, retry: bool = False) -> None:
        """Run `name(*args)` at `when` (aware, any zone)."""

    def cancel(self, job_id: str) -> None:
        """Forget a job that has not run yet; nothing happens if there is none."""

    def known(self) -> set[str]:
        """The ids of the jobs that will still run: waiting to run now, waiting for their instant, or running."""


class AgendaPoster(Protocol):
    """Posts a provider's agenda for one day where they work (on Slack: a DM with the agenda's buttons).

    The recipient is the provider's address on `channel`, found by `Outbox.route_provider`."""

    channel: str

    def post_agenda(self, provider_id: int, recipient: str, day: date) -> str | None:
        """Post it; return the platform's message id. Raises `SendFailed`."""


@runtime_checkable
class RequestPoster(Protocol):
    """An `AgendaPoster` that can also ask a provider to approve or decline a request, with buttons (Slack)."""

    channel: str

    def post_request(self, provider_id: int, recipient: str, appointment_id: int) -> str | None:
        """Post the request with its Approve and Decline buttons; return the platform's message id."""


@runtime_checkable
class WeeklyPoster(Protocol):
    """An `AgendaPoster` that can also post a provider's weekly summary (`core.notifications.weekly`)."""

    channel: str

    def post_weekly(self, provider_id: int, recipient: str, summary) -> str | None:
        """Post the `WeeklySummary`; return the platform's message id. Raises `SendFailed`."""


def notification_job_id(notification_id: int, round_: int = 0) -> str:
    """The RQ job id that delivers one notification (a later round after a deferral or a requeue)."""
    return f"slotline-n{notification_id}" + (f"-r{round_}" if round_ else "")


def deliver_now(jobs: Jobs, notification_ids: list[int], round_: int = 0) -> None:
    """Queue the delivery of each notification at once, retried on transient failures."""
    for notification_id in notification_ids:
        jobs.enqueue("deliver", notification_id, job_id=notification_job_id(notification_id, round_), retry=True)
