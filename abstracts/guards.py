"""Who may submit: anyone signed in, whatever their role (the call is open to every member with an account).

A guard of our own rather than a role list, so an account of any role the kernel adds (those signed in by a
mailed link) passes it without a change here; a submitter's own abstracts are then sorted out by the services
(anyone else's answer 404).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from podium.auth.schemas import CurrentUser


def signed_in_user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser:
    user = connection.scope.get("user")
    if not isinstance(user, CurrentUser):
        raise NotAuthorizedException(
            "sign in first: send a bearer token or the session cookie",
            headers={"WWW-Authenticate": 'Bearer realm="podium"'},
        )
    return user


async def requires_signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    signed_in_user(connection)
