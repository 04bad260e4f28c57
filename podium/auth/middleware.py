"""Resolves the caller from a bearer token or the session cookie; anonymous callers pass through."""

from __future__ import annotations

import weakref
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.ext.asyncio import AsyncEngine

from podium.auth import services

SESSION_COOKIE = "podium_session"
SESSION_MAKER_STATE_KEY = "podium_session_maker"


def token_from(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return connection.cookies.get(SESSION_COOKIE) or None


class TokenAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        token = token_from(connection)
        if not token or len(token) > 200:
            return AuthenticationResult(user=None, auth=None)
        engine = _lookup_engine(connection.app.state[SESSION_MAKER_STATE_KEY].kw["bind"])
        async with engine.connect() as db_connection:
            user = await services.user_for_token(db_connection, token)
        return AuthenticationResult(user=user, auth=token if user else None)


_lookup_engines: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()


def _lookup_engine(engine: AsyncEngine) -> AsyncEngine:
    """On PostgreSQL the one-statement token lookup runs in autocommit: no BEGIN and ROLLBACK round trips
    around it on every authenticated request (SQLite keeps its own begin hook, see ``podium.db``)."""
    found = _lookup_engines.get(engine)
    if found is None:
        found = (
            engine if engine.dialect.name != "postgresql" else engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        _lookup_engines[engine] = found
    return found
