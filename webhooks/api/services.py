"""`/api/v1/services`: what can be booked, how long it takes and what it costs."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from sqlalchemy import select

from core.booking import catalog, errors
from core.db.models import Service
from webhooks.api.fields import MAX_ID
from webhooks.api.schemas import ServiceIn, ServiceOut
from webhooks.deps import ContainerDep, ReadSession, catalog_write

router = APIRouter(prefix="/services", tags=["services"])
ServiceId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ServiceOut)
def create_service(body: ServiceIn, container: ContainerDep) -> ServiceOut:
    with catalog_write(container) as session:
        service = catalog.create_service(
            session, name=body.name, description=body.description, duration_minutes=body.duration,
            price=body.price, buffer_before_minutes=body.buffer_before, buffer_after_minutes=body.buffer_after,
            resource_ids=body.resource_ids, synonyms=body.synonyms)
        return ServiceOut.of(service)


@router.get("", response_model=list[ServiceOut])
def list_services(session: ReadSession) -> list[ServiceOut]:
    query = select(Service).where(Service.active.is_(True)).order_by(Service.id)
    return [ServiceOut.of(s) for s in session.scalars(query)]


@router.get("/{service_id}", response_model=ServiceOut)
def get_service(service_id: ServiceId, session: ReadSession) -> ServiceOut:
    service = session.get(Service, service_id)
    if service is None:
        raise errors.NotFound(f"service {service_id} not found")
    return ServiceOut.of(service)
