"""`/api/v1/services`: what can be booked, how long it takes and what it costs."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from core.booking import access
from webhooks.api.fields import MAX_ID
from webhooks.api.schemas import ServiceIn, ServiceOut, ServiceUpdate
from webhooks.deps import PrincipalDep, SetupDep

router = APIRouter(prefix="/services", tags=["services"])
ServiceId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ServiceOut)
def create_service(body: ServiceIn, setup: SetupDep, who: PrincipalDep) -> ServiceOut:
    access.require_admin(who, "create services")
    return ServiceOut.of(setup.create_service(
        name=body.name, description=body.description, duration_minutes=body.duration, price=body.price,
        buffer_before_minutes=body.buffer_before, buffer_after_minutes=body.buffer_after,
        resource_ids=body.resource_ids, synonyms=body.synonyms, needs_approval=body.needs_approval, actor=who.actor))


@router.get("", response_model=list[ServiceOut])
def list_services(setup: SetupDep) -> list[ServiceOut]:
    return [ServiceOut.of(s) for s in setup.services()]


@router.get("/{service_id}", response_model=ServiceOut)
def get_service(service_id: ServiceId, setup: SetupDep) -> ServiceOut:
    return ServiceOut.of(setup.service(service_id))


@router.patch("/{service_id}", response_model=ServiceOut)
def update_service(service_id: ServiceId, body: ServiceUpdate, setup: SetupDep, who: PrincipalDep) -> ServiceOut:
    """Set `needsApproval`: whether each new booking is a request the provider approves (made ones stay)."""
    access.require_admin(who, "change services")
    return ServiceOut.of(setup.set_needs_approval(service_id, body.needs_approval, actor=who.actor))
