"""Every domain's models in one import, so Alembic sees the whole schema."""

from events.models import Event, Room, Track
from podium.auth.models import AuthToken, LoginThrottle, User
from podium.db import metadata

__all__ = ["AuthToken", "Event", "LoginThrottle", "Room", "Track", "User", "metadata"]
