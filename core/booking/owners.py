"""Whose a thing is, for `core.booking.access` to decide on: the provider and client of a series or
a waiting-list entry, and whether a person is a client of given providers."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.booking import errors
from core.db.models import Appointment, AppointmentSeries, WaitlistEntry
from core.db.session import UnitOfWork


@dataclass(frozen=True)
class Owner:
    """The provider (None: anyone who offers the service) and client a thing belongs to."""

    id: int
    provider_id: int | None
    client_id: int


class Owners:
    def __init__(self, session_factory: sessionmaker[Session]):
        self.session_factory = session_factory

    def series(self, series_id: int) -> Owner:
        """The series' provider and client; NotFound for no such series."""
        with UnitOfWork(self.session_factory) as uow:
            found = uow.session.get(AppointmentSeries, series_id)
            if found is None:
                raise errors.NotFound(f"series {series_id} not found")
            return Owner(found.id, found.provider_id, found.client_id)

    def waitlist_entry(self, entry_id: int) -> Owner:
        """The entry's provider (None: anyone) and client; NotFound for no such entry."""
        with UnitOfWork(self.session_factory) as uow:
            found = uow.session.get(WaitlistEntry, entry_id)
            if found is None:
                raise errors.NotFound(f"waiting-list entry {entry_id} not found")
            return Owner(found.id, found.provider_id, found.client_id)

    def is_client_of(self, provider_ids: Iterable[int], user_id: int) -> bool:
        """Whether the user has (or had) an appointment with one of the providers, in any status."""
        provider_ids = list(provider_ids)
        if not provider_ids:
            return False
        with UnitOfWork(self.session_factory) as uow:
            return uow.session.scalar(select(Appointment.id).where(
                Appointment.provider_id.in_(provider_ids), Appointment.client_id == user_id).limit(1)) is not None
