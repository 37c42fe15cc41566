"""`/api/v1/resources`: rooms and equipment a service needs, one appointment at a time."""
from __future__ import annotations

from fastapi import APIRouter, status

from core.booking import access
from webhooks.api.schemas import ResourceIn, ResourceOut
from webhooks.deps import PrincipalDep, SetupDep

router = APIRouter(prefix="/resources", tags=["services"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ResourceOut)
def create_resource(body: ResourceIn, setup: SetupDep, who: PrincipalDep) -> ResourceOut:
    access.require_admin(who, "create resources")
    return ResourceOut.of(setup.create_resource(name=body.name, kind=body.kind, actor=who.actor))


@router.get("", response_model=list[ResourceOut])
def list_resources(setup: SetupDep) -> list[ResourceOut]:
    return [ResourceOut.of(r) for r in setup.resources()]
