"""Providers as an edge meets them: the provider behind a Slack user, found once by their email.

A provider is linked to a Slack user by `Provider.slack_user_id`; one not linked yet is found by
the email on their provider profile, which the edge reads from the Slack user's own profile.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import Provider
from core.db.session import UnitOfWork


@dataclass(frozen=True)
class ProviderCard:
    """Who a provider is, as their day needs it: their id, name and own zone."""

    id: int
    name: str
    timezone: str


def by_slack_user(session_factory: sessionmaker[Session], slack_user_id: str) -> ProviderCard | None:
    """The active provider this Slack user is linked to, or None."""
    with UnitOfWork(session_factory) as uow:
        provider = uow.session.scalar(select(Provider).where(Provider.slack_user_id == slack_user_id,
                                                             Provider.active.is_(True)))
        return card(provider) if provider else None


def link_slack_user(session_factory: sessionmaker[Session], slack_user_id: str, email: str) -> ProviderCard | None:
    """Remember that the Slack user with this email is the provider with it (unless another one already is)."""
    with UnitOfWork(session_factory, write=True) as uow:
        s = uow.session
        if s.scalar(select(Provider.id).where(Provider.slack_user_id == slack_user_id)):
            return None  # that Slack user already speaks for another provider
        provider = s.scalar(select(Provider).where(
            func.lower(Provider.email) == email.strip().lower(), Provider.active.is_(True),
            Provider.slack_user_id.is_(None)).order_by(Provider.id))
        if provider is None:
            return None
        provider.slack_user_id = slack_user_id
        uow.commit()
        return card(provider)


def unlinked_emails(session_factory: sessionmaker[Session]) -> list[str]:
    """Emails of active providers not yet linked to a Slack user."""
    with UnitOfWork(session_factory) as uow:
        return list(uow.session.scalars(select(Provider.email).where(
            Provider.slack_user_id.is_(None), Provider.email.is_not(None), Provider.active.is_(True))))


def card(provider: Provider) -> ProviderCard:
    """The card of a provider row."""
    return ProviderCard(provider.id, provider.name, provider.timezone)
