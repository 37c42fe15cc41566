"""`/api/v1/resources`: rooms and equipment a service needs, one appointment at a time."""
from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from core.booking import catalog
from core.db.models import Resource
from webhooks.api.schemas import ResourceIn, ResourceOut
from webhooks.deps import ContainerDep, ReadSession, catalog_write

router = APIRouter(prefix="/resources", tags=["services"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ResourceOut)
def create_resource(body: ResourceIn, container: ContainerDep) -> ResourceOut:
    with catalog_write(container) as session:
        resource = catalog.create_resource(session, name=body.name, kind=body.kind)
        return ResourceOut.of(resource)


@router.get("", response_model=list[ResourceOut])
def list_resources(session: ReadSession) -> list[ResourceOut]:
    return [ResourceOut.of(r) for r in session.scalars(select(Resource).order_by(Resource.id))]
