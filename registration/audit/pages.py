"""The organizer's audit log page: an event's changes, newest first, filtered by a GET form, times in the event's
zone. The same reading as the API (``podium.audit_read``); a filter it can't read is named on the page (400),
never a 500."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import get_event
from podium import audit_read
from podium.audit_models import AuditEntry
from podium.audit_read import AuditFilter
from podium.auth.guards import requires_organizer
from podium.errors import NotFound
from podium.i18n import gettext
from podium.pages import render

PAGE_SIZE = 50
# The kinds of thing an event's trail holds, for the form's choice (the API takes any entity name).
ENTITIES = (
    "order",
    "registration",
    "waitlist",
    "category",
    "add_on",
    "quota",
    "promo_code",
    "question",
    "registration_settings",
    "cancellation_fee_rule",
    "event",
    "room",
    "track",
    "program_session",
    "speaker",
    "badge",
    "badge_key",
    "checkpoint",
)
ROLES = ("organizer", "staff", "attendee", "system", "job")
LONGEST_VALUE = 300


def _short(text: str) -> str:
    return text if len(text) <= LONGEST_VALUE else text[: LONGEST_VALUE - 1] + "…"


class _Form:
    """The form's values as typed, and what could not be read (field → message)."""

    def __init__(self, raw: dict[str, str], timezone: str) -> None:
        self.raw = {k: v.strip()[:340] for k, v in raw.items() if v and v.strip()}
        self.errors: dict[str, str] = {}
        zone = zoneinfo.ZoneInfo(timezone)
        entity = self.raw.get("entity")
        if entity is not None and entity not in ENTITIES:
            self.errors["entity"] = gettext("Choose a kind of change from the list.")
        action = self.raw.get("action", "").lower().replace(" ", "_") or None
        if action is not None and not re.match(audit_read.ACTION_PATTERN, action):
            self.errors["action"] = gettext("An action is one word, like created, updated, paid or cancelled.")
            action = None
        actor = self.raw.get("actor")
        if actor is not None and not re.match(audit_read.ACTOR_PATTERN, actor):
            self.errors["actor"] = gettext("Enter part of a name or an email address.")
            actor = None
        role = self.raw.get("role")
        if role is not None and role not in ROLES:
            self.errors["role"] = gettext("Choose a role from the list.")
        self.entity_id = self._uuid("entity_id", "an item's id looks like 1b4e28ba-2fa1-11d2-883f-0016d3cca427")
        self.cursor = self._uuid("cursor", "this page link is broken; start again from the first page")
        since, until = self._date("since", zone), self._date("until", zone)
        self.filters = AuditFilter(
            entity=entity if "entity" not in self.errors else None,
            entity_id=self.entity_id,
            action=action,
            actor=actor,
            role=role if "role" not in self.errors else None,
            since=since,
            until=until + dt.timedelta(days=1) if until else None,  # the whole last day
        )

    def _uuid(self, field: str, message: str) -> UUID | None:
        value = self.raw.get(field)
        if value is None:
            return None
        try:
            return UUID(value)
        except ValueError:
            self.errors[field] = message[0].upper() + message[1:] + "."
            return None

    def _date(self, field: str, zone: zoneinfo.ZoneInfo) -> dt.datetime | None:
        value = self.raw.get(field)
        if value is None:
            return None
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.errors[field] = gettext("Enter a date as YYYY-MM-DD.")
            return None
        return dt.datetime.combine(day, dt.time.min, zone)

    def query(self, *, without: tuple[str, ...] = ()) -> str:
        return urlencode({k: v for k, v in self.raw.items() if k not in without and k not in self.errors})

    def csv_query(self) -> str:
        """The filters as read (dates as instants in the event's zone), for the CSV export of the same rows."""
        filters = self.filters
        values = {
            "entity": filters.entity,
            "entity_id": filters.entity_id,
            "action": filters.action,
            "actor": filters.actor,
            "role": filters.role,
            "since": filters.since.isoformat() if filters.since else None,
            "until": filters.until.isoformat() if filters.until else None,
        }
        return urlencode({k: v for k, v in values.items() if v})


class OrganizerAuditPages(Controller):
    path = "/organizer/events/{slug:str}"
    include_in_schema = False
    guards = [requires_organizer]

    @get("/audit")
    async def audit_log(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        entity: FromQuery[str | None] = None,
        entity_id: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        actor: FromQuery[str | None] = None,
        role: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        event = await get_event(db_session, slug, with_children=False)
        raw = {
            "entity": entity or "",
            "entity_id": entity_id or "",
            "action": action or "",
            "actor": actor or "",
            "role": role or "",
            "since": since or "",
            "until": until or "",
            "cursor": cursor or "",
        }
        form = _Form(raw, event.timezone)
        try:
            page = await audit_read.page(
                db_session, [AuditEntry.event_id == event.id], form.filters, limit=PAGE_SIZE, cursor=form.cursor
            )
        except NotFound:
            form.errors["cursor"] = gettext("This page link is broken; start again from the first page.")
            page = await audit_read.page(db_session, [AuditEntry.event_id == event.id], form.filters, limit=PAGE_SIZE)
        zone = zoneinfo.ZoneInfo(event.timezone)
        rows = [
            {
                "entry": e,
                "when": e.created_at.astimezone(zone),
                "changes": [(f, _short(b), _short(a)) for f, b, a in audit_read.describe(e.changes)],
            }
            for e in page.entries
        ]
        return render(
            request,
            "organizer/audit.html",
            status_code=400 if form.errors else 200,
            event=event,
            rows=rows,
            next_cursor=page.next_cursor,
            form=form.raw,
            errors=form.errors,
            entities=ENTITIES,
            roles=ROLES,
            query=form.query(without=("cursor",)),
            csv_query=form.csv_query(),
        )
