"""Input refused before any handler runs: JSON nested absurdly deep, NUL characters, and loosely typed bodies.

Each was a 500 or a silent coercion somewhere: msgspec raises ``RecursionError`` on JSON nested ~1,000 deep;
PostgreSQL refuses NUL in text (the driver raises, after the handler has started writing); and Litestar
converts bodies with ``strict=False`` (it needs that for query strings), so ``"active": 0`` was ``False``,
``"amount": "10"`` was ``10`` and an epoch integer was a datetime. Checking here, once, names the field.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import ValidationException
from litestar.middleware import ASGIMiddleware
from litestar.params import ParameterKwarg
from litestar.types import ASGIApp, Empty, Receive, Scope, Send

from podium.errors import DomainError, InvalidInput
from podium.i18n import N_, gettext

# Our deepest body (an order's attendee's answers) is five levels deep; anything far deeper is an attack.
MAX_JSON_DEPTH = 32
NUL = "\x00"


class TooDeep(DomainError):
    status_code = 400
    code = "json_too_deep"
    title = "Bad request"


def _too_deep() -> TooDeep:
    return TooDeep(
        gettext("the JSON body is nested more than %(num)d levels deep") % {"num": MAX_JSON_DEPTH}, field="body"
    )


def _child_path(path: str, key: str | int) -> str:
    """Field names as msgspec's errors spell them: ``attendees[0].answers.diet``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def check_json_value(value: Any) -> None:
    """Refuse NUL in any string or key and nesting past ``MAX_JSON_DEPTH``; iterative, so depth costs no stack."""
    pending: list[tuple[Any, str, int]] = [(value, "", 0)]
    while pending:
        item, path, depth = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                raise InvalidInput(N_("must not contain a NUL character"), field=path or "body")
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise _too_deep()
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and NUL in key:
                    raise InvalidInput(N_("a key must not contain a NUL character"), field=path or "body")
                pending.append((child, _child_path(path, key), depth + 1))


def _body_type(request: Request[Any, Any, Any]) -> Any:
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    return None if data is None or data.annotation is Any else data.annotation


def _strict_errors(value: Any, target: Any) -> list[dict[str, str]]:
    """msgspec's strict verdict, shaped as Litestar's validation errors so ``podium.errors`` maps both alike."""
    try:
        msgspec.convert(value, type=target, strict=True, str_keys=True)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `$")
        key = where.rstrip("`").lstrip(".")
        return [{"message": message, "key": key, "source": "body"}]
    return []


class PodiumRequest(Request[Any, Any, Any]):
    """The app's request class: ``json()`` checks the body (depth, NUL, strict types) before any handler."""

    async def json(self) -> Any:
        already = self._json is not Empty or self._connection_state.json is not Empty
        try:
            value = await super().json()
        except RecursionError as exc:  # msgspec gives up near Python's recursion limit
            raise _too_deep() from exc
        if already:
            return value
        check_json_value(value)
        target = _body_type(self)
        if target is not None and (errors := _strict_errors(value, target)):
            raise ValidationException(detail=N_("Validation failed"), extra=errors)
        return value


def _query_names(handler: Any) -> frozenset[str]:
    """The query parameters a handler reads (by their wire names); others are never looked at, so harmless."""
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if isinstance(kwarg, ParameterKwarg):
            if kwarg.header or kwarg.cookie:
                continue
            names.add(kwarg.query or name)
        elif kwarg is None:
            names.add(name)
    return frozenset(names)


def _nul_parameter(query_string: bytes, declared: frozenset[str]) -> str | None:
    for name, text in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8"):
        if NUL in text and name in declared:
            return name
    return None


class RefuseNulInQuery(ASGIMiddleware):
    """A NUL in a query parameter the handler reads is a 422 naming it, whatever its declared pattern.

    Only parameters the handler declares: the app never reads the others, and a route's documented answers
    (``problem_responses``) need not grow a 422 for input nobody looks at."""

    scopes = (ScopeType.HTTP,)

    def __init__(self) -> None:
        self._declared: dict[int, tuple[Any, frozenset[str]]] = {}

    def _declared_for(self, handler: Any) -> frozenset[str]:
        known = self._declared.get(id(handler))
        if known is None:
            known = self._declared[id(handler)] = (handler, _query_names(handler))
        return known[1]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            name = _nul_parameter(query, self._declared_for(scope["route_handler"]))
            if name is not None:
                raise InvalidInput(N_("must not contain a NUL character"), field=name)
        await next_app(scope, receive, send)
