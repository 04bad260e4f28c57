"""The reviewers' guard: any signed-in account. Whether the account reviews the event, and which abstracts it
may see, the services decide from the account (404 otherwise), so the role adds nothing here."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from podium.auth.schemas import CurrentUser


async def requires_account(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not isinstance(connection.scope.get("user"), CurrentUser):
        raise NotAuthorizedException(
            "sign in first: send a bearer token or the session cookie",
            headers={"WWW-Authenticate": 'Bearer realm="podium"'},
        )
