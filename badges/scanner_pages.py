"""The staff scanner page: camera, keyboard-wedge or typed codes, a big answer, and offline scanning.

The page itself is static; podium/static/js/scanner.js does the work against the check-in API and the
scanner bundle, and keeps working from the bundle (badges verified in the browser) when the network drops.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import get_event
from podium.auth.guards import requires_staff
from podium.pages import render


class ScannerPages(Controller):
    path = "/staff/events/{slug:str}/scanner"
    include_in_schema = False
    guards = [requires_staff]

    @get("/")
    async def scanner(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        event = await get_event(db_session, slug, with_children=False)
        return render(request, "badges/scanner.html", event=event)
