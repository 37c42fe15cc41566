"""Setting up the business, as the REST API asks for it: each call one unit of work, answered with views.

`core.booking.setup_writes` holds the rules of each write over a session; this service opens the
transaction around it, commits, and hands back a `core.booking.views` snapshot, so an edge
never holds a session. A clash the database finds (a unique column the rules do not check, or
a concurrent insert) becomes `AlreadyExists`, a conflict the caller can fix. Each write records
who made it (`actor`, as `core.booking.access` describes actors) in the audit log, in its own
transaction: what changed by field name, with the new values that are not a person's contacts.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.booking import audit, clients, errors, schedules, setup_writes, views
from core.booking.setup_writes import Window
from core.booking.views import ProviderView, ResourceView, ServiceView, UserView, WeeklyHoursView
from core.clock import utcnow
from core.db.models import Service, User
from core.db.session import UnitOfWork

ADMIN = "admin"  # the actor of a change when the caller names none (the admin token's)
CLASH = ("that clashes with an existing record: a name, email, phone or Slack user id that must be "
         "unique is already in use")


class BusinessSetup:
    """Reads and writes of the business's users, resources, services, providers and hours."""

    def __init__(self, session_factory: sessionmaker[Session], *, clock: Callable[[], datetime] = utcnow):
        self.session_factory, self.clock = session_factory, clock

    # -- reading ---------------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Session]:
        with UnitOfWork(self.session_factory) as uow:
            yield uow.session

    def business_name(self) -> str:
        """The business's name (the default one until a business is loaded)."""
        return schedules.business_name(self.session_factory)

    def user(self, user_id: int) -> UserView:
        """One user, or NotFound."""
        with self._read() as s:
            return views.user(s, user_id)

    def resources(self) -> list[ResourceView]:
        """Every resource, by id."""
        with self._read() as s:
            return views.resources(s)

    def services(self) -> list[ServiceView]:
        """The services that can be booked, by id."""
        with self._read() as s:
            return views.active_services(s)

    def service(self, service_id: int) -> ServiceView:
        """One service, active or not, or NotFound."""
        with self._read() as s:
            return views.service(s, service_id)

    def providers(self) -> list[ProviderView]:
        """The active providers, by id, each with their weekly hours and breaks."""
        with self._read() as s:
            return views.active_providers(s)

    def provider(self, provider_id: int) -> ProviderView:
        """One active provider with their hours, or NotFound."""
        with self._read() as s:
            return views.active_provider(s, provider_id)

    def provider_zones(self, provider_ids: Iterable[int]) -> dict[int, str]:
        """The IANA zone of each of these providers (those that exist)."""
        with self._read() as s:
            return views.provider_zones(s, provider_ids)

    # -- writing ---------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One write transaction, committed when the block ends cleanly; a unique clash is AlreadyExists."""
        with UnitOfWork(self.session_factory, write=True) as uow:
            try:
                yield uow.session
                uow.commit()
            except IntegrityError as exc:
                raise errors.AlreadyExists(CLASH) from exc

    def _audit(self, s: Session, actor: str, action: str, entity: str, entity_id: int, **details) -> None:
        audit.record(s, actor, action, entity, entity_id, at=self.clock(), **details)

    def create_user(self, *, name: str, email: str | None = None, phone: str | None = None, role: str = "client",
                    timezone: str | None = None, preferred_channel: str | None = None,
                    actor: str = ADMIN) -> UserView:
        """A new client, provider or admin; email and phone must be free."""
        with self._write() as s:
            user = setup_writes.create_user(s, name=name, email=email, phone=phone, role=role, timezone=timezone)
            user.preferred_channel = preferred_channel
            s.flush()
            given = [field for field, value in (("email", email), ("phone", phone)) if value]
            self._audit(s, actor, "create", "user", user.id, role=role, timezone=user.timezone,
                        preferredChannel=preferred_channel, contacts=given)
            return UserView.of(user)

    def update_user(self, user_id: int, changes: dict, *, actor: str = ADMIN) -> UserView:
        """Change the fields named in `changes` (name, email, phone, timezone, preferred_channel).
        The audit entry names the fields changed, with the new zone and channel but not the new contacts."""
        with self._write() as s:
            user = s.get(User, user_id)
            if user is None:
                raise errors.NotFound(f"user {user_id} not found")
            clients.update_details(s, user, changes)
            shown = {key: changes[key] for key in ("timezone", "preferred_channel") if key in changes}
            self._audit(s, actor, "update", "user", user.id, fields=sorted(changes),
                        **{_CAMEL.get(k, k): v for k, v in shown.items()})
            return views.user(s, user.id)  # with their record (no-shows, late cancellations)

    def create_resource(self, *, name: str, kind: str = "room", actor: str = ADMIN) -> ResourceView:
        """A new room or piece of equipment; names are unique."""
        with self._write() as s:
            resource = setup_writes.create_resource(s, name=name, kind=kind)
            self._audit(s, actor, "create", "resource", resource.id, name=name, kind=kind)
            return ResourceView.of(resource)

    def create_service(self, *, name: str, duration_minutes: int, description: str | None = None,
                       price: Decimal | None = None, buffer_before_minutes: int = 0, buffer_after_minutes: int = 0,
                       resource_ids: list[int] = (), synonyms: list[str] = (),
                       needs_approval: bool = False, actor: str = ADMIN) -> ServiceView:
        """A new service, needing the resources named; names are unique."""
        with self._write() as s:
            service = setup_writes.create_service(
                s, name=name, duration_minutes=duration_minutes, description=description, price=price,
                buffer_before_minutes=buffer_before_minutes, buffer_after_minutes=buffer_after_minutes,
                resource_ids=resource_ids, synonyms=synonyms, needs_approval=needs_approval)
            self._audit(s, actor, "create", "service", service.id, name=name, duration=duration_minutes,
                        price=None if price is None else str(price), bufferBefore=buffer_before_minutes,
                        bufferAfter=buffer_after_minutes, resourceIds=[r.id for r in service.resources],
                        needsApproval=needs_approval)
            return ServiceView.of(service)

    def set_needs_approval(self, service_id: int, needs_approval: bool, *, actor: str = ADMIN) -> ServiceView:
        """Whether a booking of the service is a request the provider approves (bookings made already stay)."""
        with self._write() as s:
            service = s.get(Service, service_id)
            if service is None:
                raise errors.NotFound(f"service {service_id} not found")
            service.needs_approval = needs_approval
            schedules.bump_catalogue(s)
            self._audit(s, actor, "update", "service", service.id, needsApproval=needs_approval)
            return ServiceView.of(service)

    def create_provider(self, *, name: str, timezone: str, service_ids: list[int] = (), user_id: int | None = None,
                        email: str | None = None, slack_user_id: str | None = None,
                        daily_limit: int | None = None, actor: str = ADMIN) -> ProviderView:
        """A new provider offering the services named, with no hours yet."""
        with self._write() as s:
            provider = setup_writes.create_provider(
                s, name=name, timezone=timezone, service_ids=service_ids, user_id=user_id, email=email,
                slack_user_id=slack_user_id, daily_limit=daily_limit)
            # Not the name nor the contacts: they are the person's, and an erasure does not reach this entry.
            self._audit(s, actor, "create", "provider", provider.id, timezone=timezone,
                        serviceIds=[sv.id for sv in provider.services], userId=user_id, dailyLimit=daily_limit)
            return ProviderView.of(provider)

    def set_weekly_hours(self, *, provider_id: int, windows: list[Window],
                         breaks: list[Window] | None = None, actor: str = ADMIN) -> WeeklyHoursView:
        """Replace the weekly hours, and the breaks unless `breaks` is None; returns what is saved."""
        with self._write() as s:
            setup_writes.set_weekly_hours(s, provider_id=provider_id, windows=windows, breaks=breaks)
            changed = {"hours": _windows(windows)} | ({} if breaks is None else {"breaks": _windows(breaks)})
            self._audit(s, actor, "set_hours", "provider", provider_id, **changed)
            return views.weekly_hours(s, [provider_id])[provider_id]

    def set_date_override(self, *, provider_id: int, day: date, windows: list[tuple[time, time]] = (),
                          actor: str = ADMIN) -> None:
        """Give one provider-local date its own hours; no windows means closed that day."""
        with self._write() as s:
            setup_writes.set_date_override(s, provider_id=provider_id, day=day, windows=windows)
            self._audit(s, actor, "set_date_hours", "provider", provider_id, date=day.isoformat(),
                        hours=[f"{a:%H:%M}-{b:%H:%M}" for a, b in windows])


_CAMEL = {"preferred_channel": "preferredChannel"}


def _windows(windows: list[Window]) -> list[str]:
    """Weekly windows as the audit log keeps them: "1 09:00-17:00" (ISO weekday, wall-clock hours)."""
    return [f"{w.day_of_week} {w.start:%H:%M}-{w.end:%H:%M}" for w in windows]
