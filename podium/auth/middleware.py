"""Resolves the caller from a bearer token or the session cookie; anonymous callers pass through."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import Receive, Scope, Send

from podium import audit
from podium.auth import services
from podium.db import write_intent
from podium.db_prebuilt import pooled

SESSION_COOKIE = "podium_session"
SESSION_MAKER_STATE_KEY = "podium_session_maker"


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def token_from(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The bearer token if sent, else the session cookie (``podium.csrf`` guards requests that use the cookie)."""
    return bearer_token(connection) or connection.cookies.get(SESSION_COOKIE) or None


class TokenAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The caller is also the audit trail's "who" (``podium.audit``) for exactly this request: set while it
        runs and put back after, even where one task serves several requests (an in-process test client)."""
        token = audit.request_user.set(None)
        try:
            await super().__call__(scope, receive, send)
        finally:
            audit.request_user.reset(token)

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        token = token_from(connection)
        if not token or len(token) > 200:
            return AuthenticationResult(user=None, auth=None)
        # A lookup only: on SQLite it must not queue for the write lock the request itself may take next.
        with write_intent(False):
            async with pooled(connection.app.state[SESSION_MAKER_STATE_KEY].kw["bind"]) as db_connection:
                user = await services.user_for_token(db_connection, token)
        audit.request_user.set(user)
        return AuthenticationResult(user=user, auth=token if user else None)
