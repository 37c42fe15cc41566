"""`/api/v1/providers`: the people who give appointments, the services they offer and their hours."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from core.booking import access
from webhooks.api.fields import MAX_ID
from webhooks.api.schemas import ProviderIn, ProviderOut
from webhooks.deps import PrincipalDep, SetupDep

router = APIRouter(prefix="/providers", tags=["providers"])
ProviderId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProviderOut)
def create_provider(body: ProviderIn, setup: SetupDep, who: PrincipalDep) -> ProviderOut:
    access.require_admin(who, "create providers")
    return ProviderOut.of(setup.create_provider(
        name=body.name, timezone=body.timezone, service_ids=body.service_ids, user_id=body.user_id,
        email=body.email, slack_user_id=body.slack_user_id, daily_limit=body.daily_limit, actor=who.actor))


@router.get("", response_model=list[ProviderOut])
def list_providers(setup: SetupDep) -> list[ProviderOut]:
    return [ProviderOut.of(p) for p in setup.providers()]


@router.get("/{provider_id}", response_model=ProviderOut)
def get_provider(provider_id: ProviderId, setup: SetupDep) -> ProviderOut:
    return ProviderOut.of(setup.provider(provider_id))
