"""``/staff``: where on-site staff land after logging in, the scanner of the event they are most likely working.

Staff may only scan and look up, so the organizer console (a 403 for them) is never their landing page. The
event is the one under way today, else the next to come, else the latest: at a venue that is the one at the
door. The scanner itself links back to the other events through the event list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import list_events
from podium.auth.guards import requires_staff
from podium.formatting import local_time
from podium.pages import redirect, render


def event_at_the_door(events: Sequence[Event], now: dt.datetime) -> Event | None:
    """Under way today (in its own time zone), else the soonest to come, else the one that ended last."""
    today = {e.id: local_time(now, e.timezone).date() for e in events}
    running = [e for e in events if e.start_date <= today[e.id] <= e.end_date]
    coming = sorted((e for e in events if e.start_date > today[e.id]), key=lambda e: e.start_date)
    past = sorted((e for e in events if e.end_date < today[e.id]), key=lambda e: e.end_date, reverse=True)
    return next(iter(running + coming + past), None)


class StaffPages(Controller):
    include_in_schema = False
    guards = [requires_staff]

    @get("/staff")
    async def landing(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        event = event_at_the_door(await list_events(db_session), dt.datetime.now(dt.UTC))
        if event is None:
            return render(request, "badges/staff.html")
        return redirect(f"/staff/events/{event.slug}/scanner")
