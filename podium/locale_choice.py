"""Which language a visitor reads: the one they chose with the switcher (a cookie), else the best of their
browser's ``Accept-Language`` among the shipped locales, else English.

The middleware sets it for the request's task (``podium.i18n``) before anything renders, so pages, error pages
and problem+json details all speak it; the switcher is a plain form (no script) that stores the choice.
"""

from __future__ import annotations

from babel.core import negotiate_locale
from litestar import post
from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.response import Redirect
from litestar.types import ASGIApp, Receive, Scope, Send

from podium.forms import FormData
from podium.i18n import DEFAULT_LOCALE, LOCALES, using_locale
from podium.pages import local_path

COOKIE = "podium_locale"
# A year: a language choice is not something a visitor wants to make again next month.
COOKIE_MAX_AGE = 365 * 24 * 3600
# A bare language (``pt``, ``zh``) a browser sends goes to the shipped locale of that language.
_BY_LANGUAGE = {locale.split("_")[0]: locale for locale in LOCALES}
_MOST_TAGS = 20  # a header with more is someone else's problem: we read the first twenty


def _weighted(header: str) -> list[str]:
    """The header's language tags, most wanted first (``q=0`` means "not this one")."""
    tags: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:_MOST_TAGS]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            tags.append((-quality, index, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(tags)]


def negotiate(accept_language: str | None) -> str | None:
    """The shipped locale that best fits ``Accept-Language``, or None."""
    for tag in _weighted(accept_language or ""):
        found = negotiate_locale([tag], LOCALES, sep="_")
        if found is not None:
            return found
        if (by_language := _BY_LANGUAGE.get(tag.split("_")[0].lower())) is not None:
            return by_language
    return None


def locale_of(cookie: str | None, accept_language: str | None) -> str:
    """The switcher's choice when it names a shipped locale, else the browser's, else English."""
    if cookie in LOCALES:
        return cookie
    return negotiate(accept_language) or DEFAULT_LOCALE


def _cookie_value(header: str) -> str | None:
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value.strip('"')
    return None


class LocaleMiddleware(ASGIMiddleware):
    """Sets the request's locale (``podium.i18n.current_locale``) and puts it in the scope for handlers."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        cookie: str | None = None
        accept: str | None = None
        for name, value in scope["headers"]:
            if name == b"cookie" and cookie is None:
                cookie = _cookie_value(value.decode("latin-1"))
            elif name == b"accept-language":
                accept = value.decode("latin-1")
        with using_locale(locale_of(cookie, accept)):
            await next_app(scope, receive, send)


@post("/language", include_in_schema=False)
async def choose_language(data: FormData) -> Redirect:
    """The switcher: remember the language in a cookie and go back to the page it was chosen on (an unknown
    locale is English, never a 4xx: the form only offers shipped ones)."""
    requested = data.get("locale", "")
    chosen = requested if requested in LOCALES else DEFAULT_LOCALE
    return Redirect(
        local_path(data.get("next"), "/"),
        status_code=303,
        cookies=[Cookie(key=COOKIE, value=chosen, max_age=COOKIE_MAX_AGE, samesite="lax", httponly=True)],
    )
