"""HTTP for the check-in dashboard: JSON for integrations, and the organizer page that refreshes itself."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from badges.dashboard import Dashboard, dashboard
from events.services import get_event
from podium.auth.guards import requires_organizer
from podium.charts import Bar, bar_chart, column_chart
from podium.errors import problem_responses
from podium.i18n import gettext
from podium.pages import render


class CheckinDashboardController(Controller):
    path = "/api/events/{event:str}/checkin-dashboard"
    tags = ["check-in"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @get("/", operation_id="checkinDashboard", responses=problem_responses(401, 403, 404))
    async def read(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> Dashboard:
        """Admitted check-ins per checkpoint and category, people inside each room now, arrivals at the
        entrance per 10 minutes (local time)."""
        return await dashboard(db_session, await get_event(db_session, event, with_children=False))


class CheckinDashboardPages(Controller):
    path = "/organizer/events/{slug:str}/dashboard"
    include_in_schema = False
    guards = [requires_organizer]

    async def _render(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, slug: str, part: bool
    ) -> Template:
        event = await get_event(db_session, slug, with_children=False)
        figures = await dashboard(db_session, event)
        peak = max((b.arrivals for b in figures.arrivals), default=0)
        occupancy = bar_chart(
            "occupancy-chart",
            gettext("People inside each room now, against its capacity"),
            [
                Bar(r.room, r.inside, f"{r.inside} / {r.capacity}" if r.capacity else str(r.inside), r.capacity)
                for r in figures.occupancy
            ],
        )
        arrivals = column_chart(
            "arrivals-chart",
            gettext("Arrivals at the entrance per 10 minutes"),
            [Bar(b.starts_at[11:], b.arrivals, str(b.arrivals)) for b in figures.arrivals],
        )
        template = "organizer/_dashboard.html" if part else "organizer/dashboard.html"
        return render(
            request, template, event=event, d=figures, peak=peak, occupancy_chart=occupancy, arrivals_chart=arrivals
        )

    @get("/")
    async def page(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        return await self._render(request, db_session, slug, part=False)

    @get("/live")
    async def live(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        """The figures alone, for the page's polling (htmx) every few seconds."""
        return await self._render(request, db_session, slug, part=True)
