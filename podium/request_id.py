"""One id per request, in its response's ``X-Request-ID`` and on every log line written while it runs.

A caller's (or its proxy's) ``X-Request-ID`` is kept when it is well-formed, so one id follows a request from
the load balancer's log through ours; anything else (too long, odd characters that could forge log fields) is
replaced by a fresh one. The id lives in a context variable: the log filter reads it from whichever task
writes the record, which is the request's own for our lines, Litestar's and uvicorn's access line alike.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode("latin-1")
# UUIDs, hex digests, ULIDs and the like: 8 to 128 letters, digits and . _ : -
_WELL_FORMED = re.compile(rb"[A-Za-z0-9._:-]{8,128}")

current_request_id: ContextVar[str | None] = ContextVar("podium_request_id", default=None)


def request_id_for(scope: Scope) -> str:
    """The incoming ``X-Request-ID`` if well-formed, else a new random one (32 hex digits)."""
    for name, value in scope["headers"]:
        if name == _HEADER_KEY:
            if _WELL_FORMED.fullmatch(value):
                return value.decode("ascii")
            break
    return uuid.uuid4().hex


class RequestIdMiddleware(ASGIMiddleware):
    """Sets the id for the request and adds it to the response's headers."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = request_id_for(scope)
        token = current_request_id.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)[HEADER] = request_id
            await send(message)

        try:
            await next_app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)


class RequestIdLogFilter(logging.Filter):
    """Puts ``request_id`` on every record (None outside a request), for the JSON formatter to print."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True
