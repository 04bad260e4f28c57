"""Role guards: organizer > staff > member (signed in by a mailed link) > public. 401 when nobody is logged in,
403 when the role is too low.

The guards are coroutines although they never wait: Litestar runs a plain function guard in its thread pool,
which cost a guarded request (a badge scan, say) about a tenth of its CPU in thread hand-offs.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from podium.auth.models import Role
from podium.auth.schemas import CurrentUser


def _require(connection: ASGIConnection[Any, Any, Any, Any], allowed: set[str]) -> CurrentUser:
    user = connection.scope.get("user")
    if not isinstance(user, CurrentUser):
        raise NotAuthorizedException(
            "log in first: send a bearer token or the session cookie",
            headers={"WWW-Authenticate": 'Bearer realm="podium"'},
        )
    if user.role not in allowed:
        raise PermissionDeniedException(f"this needs one of the roles: {', '.join(sorted(allowed))}")
    return user


async def requires_signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Anyone signed in, members too: what a person may do with their own login (see it, end it)."""
    _require(connection, set(Role))


async def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    _require(connection, {Role.STAFF, Role.ORGANIZER})


async def requires_organizer(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    _require(connection, {Role.ORGANIZER})


async def requires_organizer_unless_public(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Default-deny for controllers that mix public reads and organizer writes on the same paths:
    every handler needs an organizer unless it is explicitly marked ``opt={"public": True}``."""
    if handler.opt.get("public") is True:
        return
    _require(connection, {Role.ORGANIZER})
