"""Shared helpers for server-rendered pages: the template response with the caller in its context,
form-error extraction, and safe redirects."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.response import Redirect, Template

from podium.errors import DomainError

_MSGSPEC_PATH = re.compile(r"at `\$\.([A-Za-z0-9_.\[\]]+)`")
_MSGSPEC_FIELD = re.compile(r"field `([A-Za-z0-9_]+)`")


def render(request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **context: Any) -> Template:
    """A page; ``user`` (or None) is always in the context for the navigation."""
    return Template(
        template_name=template, context={"user": request.scope.get("user"), **context}, status_code=status_code
    )


def redirect(path: str) -> Redirect:
    """303 See Other: after a form POST, the browser GETs the next page."""
    return Redirect(path, status_code=303)


def local_path(candidate: str | None, default: str) -> str:
    """Only redirect within this site: a path starting with one slash (not ``//host`` or a URL)."""
    if candidate and candidate.startswith("/") and not candidate.startswith("//") and "\\" not in candidate:
        return candidate
    return default


def form_errors(exc: Exception) -> dict[str, str]:
    """Field → message for a form, from a msgspec validation error or a domain error."""
    if isinstance(exc, DomainError):
        if exc.errors:
            return {e.field: e.message for e in exc.errors}
        return {"__all__": exc.detail}
    if isinstance(exc, msgspec.ValidationError):
        message = str(exc)
        found = _MSGSPEC_PATH.search(message) or _MSGSPEC_FIELD.search(message)
        return {found.group(1) if found else "__all__": message.split(" - at ")[0]}
    raise exc
