"""Every domain's models in one import, so Alembic sees the whole schema."""

from events.models import Event, Room, Track
from podium.auth.models import AuthToken, LoginThrottle, User
from podium.db import metadata
from registration.models import (
    AddOn,
    Category,
    Order,
    OrderQuota,
    PriceWindow,
    PromoCode,
    Question,
    Quota,
    QuotaItem,
    Registration,
    RegistrationAddOn,
    RegistrationSettings,
    StateChange,
)

__all__ = [
    "AddOn",
    "AuthToken",
    "Category",
    "Event",
    "LoginThrottle",
    "Order",
    "OrderQuota",
    "PriceWindow",
    "PromoCode",
    "Question",
    "Quota",
    "QuotaItem",
    "Registration",
    "RegistrationAddOn",
    "RegistrationSettings",
    "Room",
    "StateChange",
    "Track",
    "User",
    "metadata",
]
