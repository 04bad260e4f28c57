"""Typed domain errors with machine codes, and the one place that turns any error into RFC 9457 problem+json.

Services raise ``DomainError`` subclasses and know nothing of HTTP; the handlers here map them (and Litestar's
own validation/404/405 errors) to ``application/problem+json`` bodies that always name the offending field.
Browsers asking for HTML on page routes get a readable page (or the login page for 401) instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from podium.db_outage import database_error_chain, is_database_unavailable
from podium.i18n import DEFAULT_LOCALE, N_, current_locale, gettext, known_or_as_is, ngettext
from podium.input_words import human_message

logger = logging.getLogger("podium.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(msgspec.Struct, frozen=True):
    """One wrong input: the field's name (dotted for nested ones) and what is wrong with it."""

    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """The problem+json body (RFC 9457) every error response carries; documented in the OpenAPI spec."""

    type: str
    title: str
    status: int
    detail: str = ""
    code: str = ""
    field: str | None = None
    errors: list[FieldError] = msgspec.field(default_factory=list)
    retry_after: int | None = None


class DomainError(Exception):
    """Base of every rule violation a service can report."""

    status_code = 400
    code = "bad_request"
    title = N_("Bad request")

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        code: str | None = None,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        if code:
            self.code = code
        self.errors = list(errors) or ([FieldError(field, detail)] if field else [])
        self.headers = headers or {}


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"
    title = N_("Invalid input")


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    title = N_("Not found")


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    title = N_("Conflict")


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"
    title = N_("Too many requests")

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


def naming_field(field: str, message: str) -> str:
    """``field: message`` as one line of a detail that lists several fields' problems, in the request's language
    (the colon as it writes one)."""
    return gettext("%(field)s: %(message)s") % {"field": field, "message": message}


def at_most_characters(limit: int) -> str:
    """The refusal of a text longer than ``limit``, in the request's language: one wording for every service
    that caps a text it stores."""
    return ngettext("at most %(num)d character", "at most %(num)d characters", limit) % {"num": limit}


DATABASE_RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(DomainError):
    """The database is down, not answering, or too busy to answer in time (``podium/db_outage.py``)."""

    status_code = 503
    code = "database_unavailable"
    title = N_("Service unavailable")

    def __init__(self) -> None:
        retry_after = DATABASE_RETRY_AFTER_SECONDS
        detail = N_("the database is not answering right now; try again shortly")
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


_CODES_BY_STATUS = {
    400: ("bad_request", N_("Bad request")),
    401: ("not_authenticated", N_("Not authenticated")),
    402: ("payment_required", N_("Payment required")),
    403: ("forbidden", N_("Forbidden")),
    404: ("not_found", N_("Not found")),
    405: ("method_not_allowed", N_("Method not allowed")),
    409: ("conflict", N_("Conflict")),
    413: ("payload_too_large", N_("Payload too large")),
    415: ("unsupported_media_type", N_("Unsupported media type")),
    422: ("invalid_input", N_("Invalid input")),
    429: ("too_many_requests", N_("Too many requests")),
    500: ("internal_error", N_("Internal server error")),
    503: ("unavailable", N_("Service unavailable")),
}

_BACKTICKED = re.compile(r"`([^`]+)`")
_FIELD_IN_MESSAGE = re.compile(r"(?:unknown|required) field `([^`]+)`")


def problem_type(code: str) -> str:
    return f"urn:podium:problem:{code}"


def field_errors_from_validation(extra: Any) -> list[FieldError]:
    """Turn Litestar's validation ``extra`` into field errors; msgspec names the field in the message
    when the body itself is at fault (unknown or missing field), so take it from there."""
    errors: list[FieldError] = []
    if not isinstance(extra, list):
        return errors
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        key = str(item.get("key") or "")
        if key in {"", "data"}:
            named = _FIELD_IN_MESSAGE.search(message)
            key = named.group(1) if named else "body"
        errors.append(FieldError(field=key.replace("[...]", ""), message=message))
    return errors


def _problem_from_exception(exc: Exception) -> tuple[Problem, dict[str, str]]:
    if isinstance(exc, DomainError):
        problem = Problem(
            type=problem_type(exc.code),
            title=exc.title,
            status=exc.status_code,
            detail=exc.detail,
            code=exc.code,
            field=exc.field or (exc.errors[0].field if exc.errors else None),
            errors=exc.errors,
            retry_after=getattr(exc, "retry_after", None),
        )
        return problem, exc.headers
    if isinstance(exc, ValidationException):
        errors = field_errors_from_validation(exc.extra)
        if current_locale() != DEFAULT_LOCALE:  # msgspec's words for English clients, sentences for the others
            errors = [FieldError(e.field, human_message(e.field, e.message)) for e in errors]
        detail = "; ".join(naming_field(e.field, e.message) for e in errors) or str(exc.detail)
        # A body that is not even JSON is malformed (400); a well-formed one with wrong values is 422.
        status = 422 if errors else 400
        code, title = _CODES_BY_STATUS[status]
        problem = Problem(
            type=problem_type(code),
            title=title,
            status=status,
            detail=detail,
            code=code,
            field=errors[0].field if errors else None,
            errors=errors,
        )
        return problem, dict(exc.headers or {})
    if isinstance(exc, HTTPException):
        status = exc.status_code
        code, title = _CODES_BY_STATUS.get(status, ("http_error", "Error"))
        detail = exc.detail if exc.detail and exc.detail != title else ""
        problem = Problem(type=problem_type(code), title=title, status=status, detail=str(detail), code=code)
        return problem, dict(exc.headers or {})
    if is_database_unavailable(exc):
        logger.warning("database unavailable: %s", " <- ".join(type(e).__name__ for e in database_error_chain(exc)))
        return _problem_from_exception(DatabaseUnavailable())
    logger.exception("unhandled error", exc_info=exc)
    code, title = _CODES_BY_STATUS[500]
    return Problem(type=problem_type(code), title=title, status=500, code=code), {}


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    if path.startswith(("/api", "/schema", "/health", "/static")):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def _in_locale(problem: Problem) -> Problem:
    """The human words of ``problem`` in the request's language (``podium.i18n``): its title, detail and each
    field's message when the catalog has them (messages built with values stay as written). ``code``, ``type``
    and ``field`` are for programs and never change."""
    if current_locale() == DEFAULT_LOCALE:
        return problem
    errors = [FieldError(e.field, known_or_as_is(e.message)) for e in problem.errors]
    detail = known_or_as_is(problem.detail) if problem.detail else problem.detail
    return msgspec.structs.replace(problem, title=gettext(problem.title), detail=detail, errors=errors)


def problem_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The single exception handler: problem+json for clients, a page for people."""
    problem, headers = _problem_from_exception(exc)
    problem = _in_locale(problem)
    if _wants_html(request):
        if problem.status == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return Redirect(f"/login?next={quote(target)}", status_code=303)
        return Template(
            template_name="error.html",
            context={"problem": problem},
            status_code=problem.status,
            headers=headers,
            media_type=MediaType.HTML,
        )
    body = msgspec.to_builtins(problem)
    return ProblemDetailsException(
        detail=body.pop("detail", ""),
        status_code=problem.status,
        headers=headers,
        type_=body.pop("type"),
        title=body.pop("title"),
        extra={k: v for k, v in body.items() if k != "status"},
    ).to_response(request)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: problem_response,
    HTTPException: problem_response,
    HTTP_500_INTERNAL_SERVER_ERROR: problem_response,
    Exception: problem_response,
}


def problem_responses(*statuses: int) -> dict[int, Any]:
    """OpenAPI ``responses=`` entries so the spec documents each error a route can give; 400 (a request
    that can't even be parsed) can happen anywhere, so it is always there."""
    from litestar.openapi.datastructures import ResponseSpec

    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=_CODES_BY_STATUS.get(status, ("", "Error"))[1],
        )
        for status in sorted({400, *statuses})
    }
