"""`/api/v1/business`: the business's booking policies, read and changed by an admin.

`PATCH` changes only the fields sent, all together or none; `null` switches off a rule that can be
off (`maxFutureBookings`, `noShowLimit`). The name, zone, currency and slot grid are shown but set
in the business file (`slotline load`). Every bound is `core.booking.policies`', the file's too.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field, model_validator

from core.booking import access, policies
from core.booking.policies import BusinessPolicies
from webhooks.api.fields import text
from webhooks.api.schemas import ApiModel, RequestModel
from webhooks.deps import ContainerDep, PrincipalDep

router = APIRouter(prefix="/business", tags=["business"])


def get_policies(container: ContainerDep) -> BusinessPolicies:
    return BusinessPolicies(container.session_factory, clock=container.clock)


PoliciesDep = Annotated[BusinessPolicies, Depends(get_policies)]


def bounded(key: str) -> object:
    """The policy's number, between the bounds `core.booking.policies` gives it."""
    policy = policies.POLICIES[key]
    return Annotated[int, Field(ge=policy.low, le=policy.high, description=policy.meaning)]


class BusinessOut(ApiModel):
    name: str
    timezone: str
    currency: str | None
    slot_interval_minutes: int
    hold_minutes: int
    confirm_sms_cancel: bool
    verify_web_contact: bool
    contact: str | None = Field(description="how clients reach the business, said when the chat cannot book")
    min_notice_minutes: int
    horizon_days: int
    cancellation_window_hours: int
    max_future_bookings: int | None
    no_show_limit: int | None
    approval_expiry_hours: int
    waitlist_offer_minutes: int

    @classmethod
    def of(cls, shown: dict) -> BusinessOut:
        return cls.model_validate(shown)  # camelCase keys: the aliases


class BusinessUpdate(RequestModel):
    """Only the fields sent change; `null` switches off `maxFutureBookings` or `noShowLimit`."""

    min_notice_minutes: bounded("minNoticeMinutes") | None = None
    horizon_days: bounded("horizonDays") | None = None
    cancellation_window_hours: bounded("cancellationWindowHours") | None = None
    max_future_bookings: bounded("maxFutureBookings") | None = None
    no_show_limit: bounded("noShowLimit") | None = None
    approval_expiry_hours: bounded("approvalExpiryHours") | None = None
    waitlist_offer_minutes: bounded("waitlistOfferMinutes") | None = None
    contact: text(policies.CONTACT_MAX) | None = None

    @model_validator(mode="after")
    def _offable(self) -> BusinessUpdate:
        for name in self.model_fields_set:
            key = type(self).model_fields[name].alias
            policy = policies.POLICIES.get(key)
            if policy is not None and getattr(self, name) is None and not policy.optional:
                raise ValueError(f"{key} cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        """The fields sent, by their camelCase names."""
        return {type(self).model_fields[name].alias: getattr(self, name) for name in self.model_fields_set}


@router.get("", response_model=BusinessOut)
def read_business(rules: PoliciesDep, who: PrincipalDep) -> BusinessOut:
    """The business's policies and the rest of its rules (an admin's to read)."""
    access.require_admin(who, "read the business's policies")
    return BusinessOut.of(rules.read())


@router.patch("", response_model=BusinessOut)
def update_business(body: BusinessUpdate, rules: PoliciesDep, who: PrincipalDep) -> BusinessOut:
    """Change some policies (an admin's); a value out of bounds is 422 naming the field and its bounds."""
    access.require_admin(who, "change the business's policies")
    return BusinessOut.of(rules.update(body.changes(), actor=who.actor))
