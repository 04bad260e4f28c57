"""Answers an error a middleware raises (a cross-site change refused, a NUL in the query, the database down
while the caller's login is looked up) right where it is raised, with the same problem+json as every other error
(``podium.errors.problem_response``).

Litestar answers such an error in its outermost exception handler, outside every middleware: the response then
skipped the request-id middleware (no ``X-Request-ID``, and its log lines had no id) and the request metrics,
which counted it as a 200. This middleware sits inside both, so they see the real answer. Errors raised by route
handlers and guards are answered inside already and never get here.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from podium.errors import problem_response


class AnswerRefusals(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await next_app(scope, receive, tracking_send)
        except Exception as exc:
            if started:  # too late for another answer: the outer handler and the server deal with it
                raise
            request = scope["litestar_app"].request_class(scope=scope, receive=receive, send=send)
            response = problem_response(request, exc)
            await response.to_asgi_response(app=None, request=request)(scope, receive, send)
