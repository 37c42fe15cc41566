"""The access rules (`core.booking.access`), pure: what each kind of principal may see and change."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.booking import access
from core.booking.access import ENV_ADMIN, principal_for
from core.booking.errors import Forbidden, InvalidRequest, NotFound

ANA, BO = 1, 2  # providers
ANA_USER, BEA, CY, ADA = 10, 20, 30, 40  # users: Ana's, two clients, an admin
ana = principal_for(ANA_USER, "provider", [ANA], token_id=1)
bea = principal_for(BEA, "client", token_id=2)
ada = principal_for(ADA, "admin", token_id=3)


def appointment(provider_id: int, client_id: int, id_: int = 7):
    return SimpleNamespace(id=id_, provider_id=provider_id, client_id=client_id)


def test_the_actor_names_the_token_s_role_and_user_and_the_environment_s_token_is_admin():
    assert ENV_ADMIN.actor == "admin" and ENV_ADMIN.is_admin
    assert (ana.actor, bea.actor, ada.actor) == ("provider:10", "client:20", "admin:40")
    assert ada.is_admin and not ana.is_admin and not bea.is_admin


@pytest.mark.parametrize("actor, role, user", [
    ("provider:10", "provider", 10), ("client:20", "client", 20), ("admin:40", "admin", 40), ("admin", "admin", None),
    ("client", "client", None), ("provider", "provider", None), ("staff", "staff", None), ("cli", "cli", None),
    ("user:7", "user", 7),  # written before roles were named: not read as any role
])
def test_an_actor_s_role_and_user_are_read_back(actor, role, user):
    assert (access.role_of(actor), access.user_of(actor)) == (role, user)


def test_a_user_s_changes_are_found_under_any_role_they_had():
    assert set(access.user_actors(20)) == {"client:20", "provider:20", "admin:20", "user:20"}
    assert {ana.actor, bea.actor, ada.actor} <= {a for u in (10, 20, 40) for a in access.user_actors(u)}


def test_the_role_decides_not_the_links():
    assert principal_for(BEA, "client", [ANA]).provider_ids == frozenset()  # a client linked to a provider: a client
    assert principal_for(BEA, "superuser").role == "client"  # an unknown role may do the least


@pytest.mark.parametrize("who, provider_id, client_id, seen", [
    (ENV_ADMIN, BO, CY, True), (ada, BO, CY, True),
    (ana, ANA, CY, True), (ana, BO, BEA, False),
    (bea, BO, BEA, True), (bea, ANA, CY, False),
])
def test_who_sees_an_appointment(who, provider_id, client_id, seen):
    assert access.may_see(who, provider_id=provider_id, client_id=client_id) is seen


def test_another_s_appointment_is_not_found_with_the_core_s_own_message():
    with pytest.raises(NotFound, match="^appointment 7 not found$"):
        access.require_visible(ana, appointment(BO, BEA))
    with pytest.raises(NotFound, match="^series 7 not found$"):
        access.require_visible(bea, appointment(ANA, CY), kind="series")
    access.require_visible(ana, appointment(ANA, CY))
    access.require_visible(bea, appointment(BO, BEA))


def test_listing_is_narrowed_to_the_principal_s_own():
    assert access.appointment_filter(ENV_ADMIN, provider_id=None, client_id=None) == (None, None)
    assert access.appointment_filter(ana, provider_id=None, client_id=CY) == (ANA, CY)
    assert access.appointment_filter(bea, provider_id=BO, client_id=None) == (BO, BEA)
    with pytest.raises(Forbidden, match="provider's token sees only its own provider's"):
        access.appointment_filter(ana, provider_id=BO, client_id=None)
    with pytest.raises(Forbidden, match="client's token sees only the client's own"):
        access.appointment_filter(bea, provider_id=None, client_id=CY)


def test_a_provider_user_with_none_or_several_providers_lists_by_saying_which():
    with pytest.raises(Forbidden, match="not linked to any provider"):
        access.appointment_filter(principal_for(ANA_USER, "provider", []), provider_id=None, client_id=None)
    both = principal_for(ANA_USER, "provider", [ANA, BO])
    with pytest.raises(InvalidRequest, match="which of your providers"):
        access.appointment_filter(both, provider_id=None, client_id=None)
    assert access.appointment_filter(both, provider_id=BO, client_id=None) == (BO, None)


def test_booking_moving_and_marking():
    access.require_may_book(ana, provider_id=ANA, client_id=CY)
    access.require_may_book(bea, provider_id=BO, client_id=BEA)
    with pytest.raises(Forbidden, match="books only with its own provider"):
        access.require_may_book(ana, provider_id=BO, client_id=CY)
    with pytest.raises(Forbidden, match="books only for the client"):
        access.require_may_book(bea, provider_id=BO, client_id=CY)
    with pytest.raises(Forbidden, match="only within its own provider"):
        access.require_may_move_to(ana, BO)
    access.require_may_move_to(bea, BO)  # a client may move to whoever is free
    access.require_may_mark(bea, "confirmed")
    with pytest.raises(Forbidden, match="only the business may mark an appointment no-show"):
        access.require_may_mark(bea, "no_show")
    access.require_may_mark(ana, "no_show")
    with pytest.raises(Forbidden, match="only the business approves"):
        access.require_may_decide(bea)


def test_a_client_s_appointments_at_once_are_an_admin_s_or_the_client_s_to_cancel():
    access.require_may_cancel_for_client(bea, BEA)
    access.require_may_cancel_for_client(ENV_ADMIN, BEA)
    for who in (ana, principal_for(CY, "client")):
        with pytest.raises(Forbidden):
            access.require_may_cancel_for_client(who, BEA)


def test_admin_only_and_a_provider_s_own_things():
    access.require_admin(ada, "create services")
    for who in (ana, bea):
        with pytest.raises(Forbidden, match="^only an admin may create services$"):
            access.require_admin(who, "create services")
    access.require_own_provider(ana, ANA, "set the hours")
    with pytest.raises(Forbidden, match="only an admin or the provider may set the hours of provider 2"):
        access.require_own_provider(ana, BO, "set the hours")
    with pytest.raises(Forbidden):
        access.require_own_provider(bea, ANA, "set the hours")


def test_people_a_provider_reads_only_its_clients_names_and_nobody_else():
    assert access.user_view(bea, BEA, is_their_client=False) == access.FULL
    assert access.user_view(ENV_ADMIN, CY, is_their_client=False) == access.FULL
    assert access.user_view(ana, CY, is_their_client=True) == access.NAME_ONLY
    with pytest.raises(NotFound, match="^user 30 not found$"):
        access.user_view(ana, CY, is_their_client=False)
    with pytest.raises(NotFound):
        access.user_view(bea, CY, is_their_client=True)  # only a provider reads its clients
    access.require_self(bea, BEA)
    with pytest.raises(NotFound):
        access.require_self(ana, BEA)


def test_the_waiting_list():
    assert access.waitlist_filter(bea, provider_id=None, client_id=None) == (None, BEA)
    access.require_may_join(bea, provider_id=None, client_id=BEA)
    access.require_may_join(ana, provider_id=ANA, client_id=CY)
    with pytest.raises(Forbidden):
        access.require_may_join(bea, provider_id=None, client_id=CY)
    with pytest.raises(Forbidden):
        access.require_may_join(ana, provider_id=None, client_id=CY)  # "anyone" is more than Ana
    access.require_entry_visible(bea, 5, provider_id=None, client_id=BEA)
    access.require_entry_visible(ana, 5, provider_id=ANA, client_id=CY)
    with pytest.raises(NotFound, match="^waiting-list entry 5 not found$"):
        access.require_entry_visible(ana, 5, provider_id=None, client_id=CY)
    with pytest.raises(NotFound):
        access.require_entry_visible(bea, 5, provider_id=ANA, client_id=CY)


def test_holds_past_which_availability_is_shown():
    access.require_own_holds(bea, BEA)
    access.require_own_holds(bea, None)
    access.require_own_holds(ana, CY)
    with pytest.raises(Forbidden, match="only its own clientId"):
        access.require_own_holds(bea, CY)
