"""The business's booking policies: their names on the wire, their bounds, and one way to change them.

The business file (`slotline load`) and `PATCH /api/v1/business` take the same camelCase keys
and refuse the same values, with the same sentences. A number may be None only where None
means "no such rule" (`maxFutureBookings`, `noShowLimit`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from core.booking import audit, errors
from core.booking.schedules import bump_catalogue, get_business
from core.clock import utcnow
from core.db.models import Business
from core.db.session import UnitOfWork


@dataclass(frozen=True)
class Policy:
    attr: str  # the Business column
    low: int
    high: int
    optional: bool = False  # None switches the rule off
    meaning: str = ""


# camelCase key -> the rule; what `GET /api/v1/business` shows and `PATCH` changes.
POLICIES: dict[str, Policy] = {
    "minNoticeMinutes": Policy("min_notice_minutes", 0, 60 * 24 * 30, meaning="minutes of notice a booking needs"),
    "horizonDays": Policy("horizon_days", 1, 730, meaning="how many days ahead bookings open"),
    "cancellationWindowHours": Policy("cancellation_window_hours", 0, 24 * 30,
                                      meaning="a cancellation later than this many hours before is late"),
    "maxFutureBookings": Policy("max_future_bookings", 1, 1000, optional=True,
                                meaning="upcoming bookings one client may hold; null: no cap"),
    "noShowLimit": Policy("no_show_limit", 1, 100, optional=True,
                          meaning="no-shows after which a client books only through the business; null: no rule"),
    "approvalExpiryHours": Policy("approval_expiry_hours", 1, 24 * 14,
                                  meaning="hours a request awaiting approval waits before it lapses"),
    "waitlistOfferMinutes": Policy("waitlist_offer_minutes", 1, 24 * 60,
                                   meaning="minutes a freed time is held for the waiting client offered it"),
}
CONTACT_MAX = 200
# Shown with the policies but set in the business file only (`slotline load`).
READ_ONLY = {"name": "name", "timezone": "timezone", "currency": "currency",
             "slotIntervalMinutes": "slot_interval_minutes", "holdMinutes": "hold_minutes",
             "confirmSmsCancel": "confirm_sms_cancel", "verifyWebContact": "verify_web_contact"}


def check(key: str, value: object) -> int | None:
    """The value for the policy `key`, or InvalidRequest saying what it takes."""
    policy = POLICIES[key]
    if value is None and policy.optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not policy.low <= value <= policy.high:
        off = " (or null for no limit)" if policy.optional else ""
        raise errors.InvalidRequest(f"{key} must be a whole number from {policy.low} to {policy.high}{off}")
    return value


def check_contact(value: object) -> str | None:
    """How clients reach the business ("020 7946 0958", "hello@salon.example"): short text, or None."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > CONTACT_MAX or "\x00" in value:
        raise errors.InvalidRequest(f"contact must be text of at most {CONTACT_MAX} characters")
    return value.strip() or None


def apply(s: Session, changes: dict[str, object]) -> Business:
    """Check every change first, then set them all on the business row (made if there is none yet)."""
    checked = {key: (check_contact(value) if key == "contact" else check(key, value)) for key, value in changes.items()}
    business = get_business(s)
    for key, value in checked.items():
        setattr(business, "contact" if key == "contact" else POLICIES[key].attr, value)
    s.add(business)
    s.flush()
    bump_catalogue(s)  # the rules are part of what every process's catalogue reads
    return business


def read(s: Session) -> dict[str, object]:
    """The business's policies and the rest of its rules, by their camelCase names."""
    business = get_business(s)
    shown = {key: _or_default(business, policy.attr) for key, policy in POLICIES.items()}
    shown |= {key: _or_default(business, attr) for key, attr in READ_ONLY.items()}
    return shown | {"contact": business.contact}


def _or_default(business: Business, attr: str) -> object:
    """The rule's value; before any business is saved, the column's default (None only where None is meant)."""
    value = getattr(business, attr, None)
    default = Business.__table__.c[attr].default
    return default.arg if value is None and default is not None and not callable(default.arg) else value


class BusinessPolicies:
    """Read and change the policies, each call in its own transaction (for an edge: the REST API)."""

    def __init__(self, session_factory: sessionmaker[Session], *, clock: Callable[[], datetime] = utcnow):
        self.session_factory, self.clock = session_factory, clock

    def read(self) -> dict[str, object]:
        with UnitOfWork(self.session_factory) as uow:
            return read(uow.session)

    def update(self, changes: dict[str, object], *, actor: str = "admin") -> dict[str, object]:
        """Apply the changes (camelCase keys of `POLICIES`, or `contact`) together, or none of them;
        recorded in the audit log as `actor`'s, with the new values (the business's, no one's private)."""
        with UnitOfWork(self.session_factory, write=True) as uow:
            business = apply(uow.session, changes)
            audit.record(uow.session, actor, "update", "business", business.id, at=self.clock(),
                         **{key: (business.contact if key == "contact" else getattr(business, POLICIES[key].attr))
                            for key in changes})
            shown = read(uow.session)
            uow.commit()
            return shown
