"""Shared helpers for server-rendered pages: the template response with the caller in its context,
form-error extraction, and safe redirects."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.response import Redirect, Template

from podium.errors import DomainError
from podium.i18n import known_or_as_is
from podium.input_words import message_of, sentence


def render(request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **context: Any) -> Template:
    """A page; ``user`` (or None) is always in the context for the navigation."""
    return Template(
        template_name=template, context={"user": request.scope.get("user"), **context}, status_code=status_code
    )


def redirect(path: str) -> Redirect:
    """303 See Other: after a form POST, the browser GETs the next page."""
    return Redirect(path, status_code=303)


def local_path(candidate: str | None, default: str) -> str:
    """Only redirect within this site: a path starting with one slash (not ``//host`` or a URL). Whitespace and
    control characters are refused too: browsers drop tabs and newlines from a URL, so ``/<tab>/host`` is
    ``//host``."""
    if (
        candidate
        and candidate.startswith("/")
        and not candidate.startswith("//")
        and "\\" not in candidate
        and not any(ord(c) <= 0x20 or 0x7F <= ord(c) <= 0x9F for c in candidate)
    ):
        return candidate
    return default


def form_errors(exc: Exception) -> dict[str, str]:
    """Field → sentence for a form, from a msgspec validation error or a domain error (every one it names;
    ``podium.forms.read_form`` names every wrong field at once)."""
    if isinstance(exc, DomainError):  # in the visitor's language when the catalog has the message
        if exc.errors:
            return {e.field: sentence(known_or_as_is(e.message)) for e in exc.errors}
        return {"__all__": sentence(known_or_as_is(exc.detail))}
    if isinstance(exc, msgspec.ValidationError):
        path, message = message_of(exc)
        return {path or "__all__": message}
    raise exc
