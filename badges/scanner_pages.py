"""The staff scanner page: camera, keyboard-wedge or typed codes, a big answer, and offline scanning.

The page itself is static; podium/static/js/scanner.js does the work against the check-in API and the
scanner bundle, and keeps working from the bundle (badges verified in the browser) when the network drops.
Beside the page, its service worker and web app manifest make it open offline after one visit and install
on a phone's home screen. The worker is served here, next to the page, not from /static: a service worker
controls only pages under its own path.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from badges.scanner_texts import scanner_texts
from events.services import get_event
from podium.auth.guards import requires_staff
from podium.i18n import gettext
from podium.pages import render

STATIC = Path(__file__).resolve().parents[1] / "podium" / "static"
# The worker runs under its own response's policy: it may fetch only this site.
WORKER_POLICY = "default-src 'self'; frame-ancestors 'none'"
THEME = "#11407a"


@cache
def _worker_source() -> bytes:
    return (STATIC / "js" / "scanner-sw.js").read_bytes()


class ScannerPages(Controller):
    path = "/staff/events/{slug:str}"
    include_in_schema = False
    guards = [requires_staff]

    @get("/scanner")
    async def scanner(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        event = await get_event(db_session, slug, with_children=False)
        return render(request, "badges/scanner.html", event=event, theme=THEME, texts=scanner_texts())

    @get("/scanner-sw.js", media_type="text/javascript")
    async def service_worker(self, slug: FromPath[str]) -> Response[bytes]:
        """The scanner's service worker; its scope is the scanner page of this event."""
        return Response(
            _worker_source(),
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache", "Content-Security-Policy": WORKER_POLICY},
        )

    @get("/scanner.webmanifest", media_type="application/manifest+json")
    async def manifest(self, slug: FromPath[str], db_session: NamedDependency[AsyncSession]) -> Response[Any]:
        """What a phone needs to install the scanner as an app that opens on this event's scanner."""
        event = await get_event(db_session, slug, with_children=False)
        page = f"/staff/events/{event.slug}/scanner"
        icons = [
            {
                "src": f"/static/icons/scanner-{size}.png",
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": purpose,
            }
            for size in (192, 512)
            for purpose in ("any", "maskable")
        ]
        body = {
            "id": page,
            "name": gettext("Podium scanner · %(event)s") % {"event": event.name},
            "short_name": gettext("Scanner"),
            "description": gettext("Check badges in at %(event)s, also offline.") % {"event": event.name},
            "start_url": page,
            "scope": page,
            "display": "standalone",
            "orientation": "portrait",
            "background_color": "#ffffff",
            "theme_color": THEME,
            "icons": icons,
        }
        return Response(body, media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})
