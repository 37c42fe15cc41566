"""Who may see and change what through the REST API: the rules, pure, over plain ids.

A request acts as one `Principal`: the admin token from the environment, or a user's token,
whose user's role decides. An admin may do everything. A provider's token (its user linked to
providers by `Provider.user_id`) sees and changes only those providers' appointments, hours,
time off, calendar feed and waiting list, and reads its own clients' names. A client's token sees
and changes only the client's own appointments, waiting-list entries and user record. What a
principal may not touch is `Forbidden` (403); a thing whose very existence is not theirs to know
(another provider's appointment, another person) is `NotFound` (404), with the message the core
gives for a thing that does not exist, so the two cannot be told apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.booking.errors import Forbidden, InvalidRequest, NotFound

ADMIN, PROVIDER, CLIENT = "admin", "provider", "client"
ROLES = (CLIENT, PROVIDER, ADMIN)


@dataclass(frozen=True)
class Principal:
    """Who a request acts as. `user_id` None is the admin token from the environment."""

    role: str
    user_id: int | None = None
    provider_ids: frozenset[int] = field(default_factory=frozenset)
    token_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def actor(self) -> str:
        """Who the audit log and the booking core say made a change: `admin` for the environment's
        token, else `<role>:<user id>` (`provider:7`). The one place a principal's actor is made."""
        return ADMIN if self.user_id is None else f"{self.role}:{self.user_id}"


# -- actors -------------------------------------------------------------------------------------
# An actor is who made a change, as the audit log records it and the booking core reads it:
#   `admin`                 the admin token from the environment
#   `<role>:<user id>`      a user's API token: `admin:3`, `provider:7`, `client:12` (the user's role then)
#   `client`, `provider`    a client in a chat (or an email's link), a provider in Slack
#   `staff`, `cli`, ...     other channels' own names
# Entries written before roles were named say `user:<id>`. Decisions read the role (`role_of`), never
# the whole string, so a provider's token counts as the provider wherever a chat's `provider` does.
LEGACY_USER = "user"  # the role part of an actor written before roles were named: unknown


def role_of(actor: str) -> str:
    """The role an actor acted in: `provider` for `provider:7` and for a chat's `provider`, `admin`
    for the admin token; a channel's own name (`staff`, `cli`) as it is."""
    return actor.partition(":")[0]


def user_of(actor: str) -> int | None:
    """The user whose API token made the change (`client:12` -> 12); None for a chat's or a channel's actor."""
    _role, colon, rest = actor.partition(":")
    return int(rest) if colon and rest.isdigit() else None


def user_actors(user_id: int) -> tuple[str, ...]:
    """Every actor the changes made with a user's tokens may be recorded as, whatever their role was then."""
    return tuple(f"{role}:{user_id}" for role in (*ROLES, LEGACY_USER))


ENV_ADMIN = Principal(ADMIN)


def principal_for(user_id: int, role: str, provider_ids=(), token_id: int | None = None) -> Principal:
    """The principal of a user's token. An unknown role is read as a client's, the least one may do."""
    role = role if role in ROLES else CLIENT
    linked = frozenset(provider_ids) if role == PROVIDER else frozenset()
    return Principal(role, user_id, linked, token_id)


# -- admin only -------------------------------------------------------------------------------
def require_admin(who: Principal, what: str) -> None:
    """Refuse anyone but an admin, saying what only an admin may do ("create services")."""
    if not who.is_admin:
        raise Forbidden(f"only an admin may {what}")


# -- appointments -----------------------------------------------------------------------------
def may_see(who: Principal, *, provider_id: int, client_id: int) -> bool:
    """Whether the principal may see (and so act on) an appointment of this provider and client."""
    if who.is_admin:
        return True
    if who.role == PROVIDER:
        return provider_id in who.provider_ids
    return client_id == who.user_id


def require_visible(who: Principal, appointment, *, kind: str = "appointment") -> None:
    """404, as for a missing one, unless the principal may see it (anything with provider_id and client_id)."""
    if not may_see(who, provider_id=appointment.provider_id, client_id=appointment.client_id):
        raise NotFound(f"{kind} {appointment.id} not found")


def appointment_filter(who: Principal, *, provider_id: int | None,
                       client_id: int | None) -> tuple[int | None, int | None]:
    """The (providerId, clientId) a listing is narrowed to: a provider's token to its provider,
    a client's to themselves; asking for someone else's is refused."""
    if who.is_admin:
        return provider_id, client_id
    if who.role == PROVIDER:
        return _own_provider(who, provider_id, "sees only its own provider's"), client_id
    if client_id not in (None, who.user_id):
        raise Forbidden("a client's token sees only the client's own")
    return provider_id, who.user_id


def _own_provider(who: Principal, provider_id: int | None, refusal: str) -> int:
    if provider_id is not None:
        if provider_id not in who.provider_ids:
            raise Forbidden(f"a provider's token {refusal}")
        return provider_id
    if len(who.provider_ids) == 1:
        return next(iter(who.provider_ids))
    if not who.provider_ids:
        raise Forbidden("this token's user is not linked to any provider")
    raise InvalidRequest("providerId: say which of your providers")


def require_may_book(who: Principal, *, provider_id: int, client_id: int | None) -> None:
    """A provider's token books only with its own provider; a client's only for the client."""
    if who.is_admin:
        return
    if who.role == PROVIDER:
        if provider_id not in who.provider_ids:
            raise Forbidden("a provider's token books only with its own provider")
    elif client_id != who.user_id:
        raise Forbidden("a client's token books only for the client")


def require_may_move_to(who: Principal, provider_id: int | None) -> None:
    """Moving to another provider: a provider's token may not hand an appointment to someone else's diary."""
    if provider_id is not None and who.role == PROVIDER and provider_id not in who.provider_ids:
        raise Forbidden("a provider's token moves appointments only within its own provider")


def require_may_mark(who: Principal, status: str) -> None:
    """A client may confirm their appointment; only the business marks it completed or a no-show."""
    if who.role == CLIENT and status != "confirmed":
        raise Forbidden(f"only the business may mark an appointment {status.replace('_', '-')}")


def require_may_decide(who: Principal) -> None:
    """Approving or declining a request is the business's (the provider's or an admin's)."""
    if who.role == CLIENT:
        raise Forbidden("only the business approves or declines a request")


def require_may_cancel_for_client(who: Principal, client_id: int) -> None:
    """Cancelling all of a client's appointments at once: an admin, or the client themselves."""
    if not who.is_admin and not (who.role == CLIENT and client_id == who.user_id):
        raise Forbidden("only an admin or the client may cancel all of a client's appointments")


# -- a provider's own things: hours, time off, date overrides, calendar feed -----------------------
def require_own_provider(who: Principal, provider_id: int, what: str) -> None:
    """An admin, or a provider's token for its own provider; `what` says what ("set the hours")."""
    if who.is_admin or (who.role == PROVIDER and provider_id in who.provider_ids):
        return
    raise Forbidden(f"only an admin or the provider may {what} of provider {provider_id}")


def require_own_holds(who: Principal, client_id: int | None) -> None:
    """Availability shown past a client's own holds: a client's token only past their own."""
    if who.role == CLIENT and client_id not in (None, who.user_id):
        raise Forbidden("a client's token may pass only its own clientId")


# -- people -------------------------------------------------------------------------------------
FULL, NAME_ONLY = "full", "name"


def user_view(who: Principal, user_id: int, *, is_their_client: bool) -> str:
    """How much of a user record the principal reads: all of it (an admin, or the user themselves),
    the name only (a provider, of a client they have appointments with), or nothing (404)."""
    if who.is_admin or user_id == who.user_id:
        return FULL
    if who.role == PROVIDER and is_their_client:
        return NAME_ONLY
    raise NotFound(f"user {user_id} not found")


def require_self(who: Principal, user_id: int) -> None:
    """Changing a user record: an admin, or the user themselves (any other person is 404)."""
    if not who.is_admin and user_id != who.user_id:
        raise NotFound(f"user {user_id} not found")


# -- the waiting list -----------------------------------------------------------------------------
def waitlist_filter(who: Principal, *, provider_id: int | None,
                    client_id: int | None) -> tuple[int | None, int | None]:
    """As `appointment_filter`: a provider's token lists the entries naming its provider."""
    return appointment_filter(who, provider_id=provider_id, client_id=client_id)


def require_may_join(who: Principal, *, provider_id: int | None, client_id: int) -> None:
    """A client joins only for themselves; a provider's token only for its own provider."""
    if who.is_admin:
        return
    if who.role == PROVIDER:
        if provider_id not in who.provider_ids:
            raise Forbidden("a provider's token adds to the waiting list only for its own provider")
    elif client_id != who.user_id:
        raise Forbidden("a client's token joins the waiting list only for the client")


def require_entry_visible(who: Principal, entry_id: int, *, provider_id: int | None, client_id: int) -> None:
    """A waiting-list entry: the client's own, or naming the provider's own provider; else 404."""
    if who.is_admin or client_id == who.user_id and who.role == CLIENT:
        return
    if who.role == PROVIDER and provider_id in who.provider_ids:
        return
    raise NotFound(f"waiting-list entry {entry_id} not found")
