"""Whole public pages kept as bytes for anonymous visitors, so a cached program or session page costs no
template work at all.

Rendering the page around a cached listing (the layout, the header, the brand) and encoding 125 kB of it took
~0.5 ms of CPU per request, a third of the program page (measured here). What differs between two anonymous
visitors is only the CSRF token in the page (each visitor has their own cookie), so the page is rendered once
with a marker where the token goes, split there, and joined with each visitor's token. A logged-in visitor's
page shows who they are and is rendered as before. Keys must name everything the page shows: the callers
build them from the fingerprint read from the database on every request (``public.program_head``,
``public.session_head``), so an entry can never be stale (see ``podium.lru``). The visitor's locale is added
here, to every key: a page read in Spanish is never given to an English reader; and so is the reader's time
zone (``podium.reader_zone``): a page shows their own clock beside the event's, so it is never given to a reader
in another zone. The answers name what picks both (``Vary: Accept-Language, Cookie``: the language comes from the
switcher's cookie or the browser's header, the zone from a cookie) for any cache on the way.
"""

from __future__ import annotations

import secrets
from typing import Any

import jinja2
from litestar import MediaType, Request, Response
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.base import csrf_token

from podium.i18n import current_locale
from podium.lru import Lru
from podium.pages import render
from podium.reader_zone import current_reader_zone
from podium.translated import VARY

# Random per process, so no text a page shows can contain it. CSRF tokens are hex: they need no escaping in the
# ``<meta>`` and the ``hx-headers`` attribute where base.html puts them.
_MARKER = secrets.token_hex(16)
# Pages split where the CSRF token goes. A program day's page is ~125 kB: 128 of them (the days, views and
# filters people try) stay under ~16 MB. A session's page is ~3 kB, and there is one per session: a 600-session
# meeting's all fit, and browsing them never pushes out the program's.
PROGRAM_PAGES: Lru[tuple[bytes, ...]] = Lru(size=128)
SESSION_PAGES: Lru[tuple[bytes, ...]] = Lru(size=1024)


def template_of(request: Request[Any, Any, Any], name: str) -> jinja2.Template:
    """A template from the app's own Jinja environment (its filters, its compiled templates)."""
    engine = request.app.template_engine
    assert isinstance(engine, JinjaTemplateEngine)
    return engine.engine.get_template(name)


def cached_page(request: Request[Any, Any, Any], pages: Lru[tuple[bytes, ...]], key: str) -> Response[bytes] | None:
    """An anonymous visitor's page from ``pages``, or None (a logged-in visitor, or not rendered yet)."""
    if request.scope.get("user") is not None:
        return None
    parts = pages.get(_localised(key))
    return None if parts is None else _with_token(request, parts)


def shared_page(
    request: Request[Any, Any, Any], pages: Lru[tuple[bytes, ...]], key: str, template: str, **context: Any
) -> Response[bytes] | Template:
    """``template`` rendered with ``context``: kept in ``pages`` under ``key`` and given with their own CSRF
    token to an anonymous visitor; rendered as any page for a logged-in one."""
    if request.scope.get("user") is not None:
        return render(request, template, **context)
    html = template_of(request, template).render(
        request=request,
        user=None,
        csrf_token=lambda: _MARKER,
        csrf_input=f'<input type="hidden" name="_csrf_token" value="{_MARKER}" />',
        **context,
    )
    parts = tuple(part.encode() for part in html.split(_MARKER))
    pages.put(_localised(key), parts)
    return _with_token(request, parts)


def _localised(key: str) -> str:
    return f"{current_locale()}|{current_reader_zone() or '-'}|{key}"


def _with_token(request: Request[Any, Any, Any], parts: tuple[bytes, ...]) -> Response[bytes]:
    token = csrf_token({"request": request})  # what the template's ``csrf_token()`` gives this visitor
    return Response(token.encode().join(parts), media_type=MediaType.HTML, headers={"Vary": VARY})
