"""Which time zone a reader is in, so pages and mails can show their own clock beside the event's.

Pages learn it from the browser: ``static/js/reader-zone.js`` stores ``Intl``'s zone in a cookie, and a reader can
pick one with a plain form (no script). The server believes only a name in the IANA database it runs with;
anything else is as if there were no cookie (no second time, never an error). The middleware sets it for the
request's task, as ``podium.locale_choice`` does the language, so a template or an order placed in the request
reads it without it being passed through every layer; a mail sets it from the zone kept with its registration.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from litestar import post
from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.response import Redirect
from litestar.types import ASGIApp, Receive, Scope, Send

from podium.forms import FormData
from podium.pages import local_path

COOKIE = "podium_tz"
# A year, as the language cookie: the script renews it whenever the browser's zone changes.
COOKIE_MAX_AGE = 365 * 24 * 3600
# What the picker stores for "only the event's time": not a zone, so ignored, yet present, so the script keeps it.
NO_ZONE = "none"
_LONGEST = 64  # the longest IANA name is 32 characters; a longer cookie is not looked up at all

_current: ContextVar[str | None] = ContextVar("podium_reader_zone", default=None)


@cache
def known_zones() -> tuple[str, ...]:
    """The IANA names this server can convert to, sorted for a picker (read once: walking the tz database's
    files takes milliseconds, and it ships with the code's image)."""
    return tuple(sorted(zoneinfo.available_timezones()))


@cache
def _known() -> frozenset[str]:
    return frozenset(known_zones())


def valid_zone(name: str | None) -> str | None:
    """``name`` when it is an IANA zone, else None."""
    if not name or len(name) > _LONGEST:
        return None
    return name if name in _known() else None


def current_reader_zone() -> str | None:
    """The reader's zone in this request or mail, None when unknown."""
    return _current.get()


@contextmanager
def using_reader_zone(name: str | None) -> Iterator[str | None]:
    """Write for a reader in ``name`` (None, or anything not a zone: the event's time only) inside the block."""
    token = _current.set(valid_zone(name))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def _cookie_value(header: str) -> str | None:
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value.strip('"').replace("%2F", "/").replace("%2f", "/")
    return None


class ReaderZoneMiddleware(ASGIMiddleware):
    """Sets the request's reader zone (``current_reader_zone``) from the ``podium_tz`` cookie."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        cookie: str | None = None
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookie = _cookie_value(value.decode("latin-1"))
                if cookie is not None:
                    break
        with using_reader_zone(cookie):
            await next_app(scope, receive, send)


@post("/time-zone", include_in_schema=False)
async def choose_zone(data: FormData) -> Redirect:
    """The picker: remember the reader's zone and go back to the page it was chosen on. Anything that is not a
    zone stores "only the event's time" (never a 4xx: the form offers only zones). Not HttpOnly: the script reads
    it to leave a reader's own choice alone until their browser's zone changes."""
    chosen = valid_zone(data.get("zone")) or NO_ZONE
    return Redirect(
        local_path(data.get("next"), "/"),
        status_code=303,
        cookies=[Cookie(key=COOKIE, value=chosen, max_age=COOKIE_MAX_AGE, samesite="lax", httponly=False)],
    )
