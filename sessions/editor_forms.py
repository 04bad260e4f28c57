"""The program editor's forms and filter: a session as form fields and back, the editor's narrowing."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from podium.errors import DomainError, InvalidInput
from podium.i18n import N_
from podium.translated import form_values
from sessions import speakers
from sessions.models import ProgramSession, Speaker
from sessions.schemas import SpeakerCreate


def session_form(session: ProgramSession | None, timezone: str) -> dict[str, str]:
    if session is None:
        return {"kind": "scientific_session"}
    tz = zoneinfo.ZoneInfo(timezone)
    start, end = session.starts_at.astimezone(tz), session.ends_at.astimezone(tz)
    return {
        "title": session.title,
        "kind": session.kind,
        "date": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "room_id": str(session.room_id or ""),
        "track_id": str(session.track_id or ""),
        "required_add_on_id": str(session.required_add_on_id or ""),
        "capacity": "" if session.capacity is None else str(session.capacity),
        "credit_hours": str(session.credit_hours),
        "abstract": session.abstract,
        "speakers": "; ".join(p.speaker.name for p in session.people if p.role == "speaker"),
        "chairs": "; ".join(p.speaker.name for p in session.people if p.role == "chair"),
    } | form_values(session.translations)


def form_instants(form: dict[str, str], timezone: str) -> tuple[str, str]:
    """date + start/end (local) → ISO instants with the zone's offset; a malformed field is named."""
    tz = zoneinfo.ZoneInfo(timezone)
    try:
        day = dt.date.fromisoformat(form.get("date", "").strip())
    except ValueError:
        raise InvalidInput(N_("pick a day"), field="date") from None
    result = []
    for name in ("start", "end"):
        try:
            clock = dt.time.fromisoformat(form.get(name, "").strip())
        except ValueError:
            raise InvalidInput(N_("enter a time like 09:30"), field=name) from None
        result.append(dt.datetime.combine(day, clock, tz).isoformat())
    return result[0], result[1]


async def people_ids(db_session: AsyncSession, slug: str, event_id: UUID, text: str, field: str) -> list[str]:
    """ "; "-separated names → speaker ids, adding people the event doesn't know yet."""
    names = [" ".join(n.split()) for n in text.split(";") if n.strip()]
    known = {
        s.name.casefold(): s.id
        for s in (await db_session.scalars(select(Speaker).where(Speaker.event_id == event_id))).all()
    }
    ids: list[str] = []
    for name in names:
        if name.casefold() not in known:
            try:
                created = await speakers.create_speaker(db_session, slug, SpeakerCreate(name=name))
            except DomainError as exc:
                raise InvalidInput(exc.detail, field=field) from exc
            known[name.casefold()] = created.id
        ids.append(str(known[name.casefold()]))
    return ids


EDITOR_PAGE_SIZE = 100


class EditorFilter(msgspec.Struct, frozen=True):
    """What the organizer narrowed the editor to, read leniently from the query: a value that matches nothing
    shows nothing, never an error."""

    q: str = ""
    day: str = ""
    room: str = ""
    status: str = ""
    page: int = 1

    @classmethod
    def of(cls, params: Any) -> EditorFilter:
        page = str(params.get("page", "1"))
        return cls(
            q=" ".join(str(params.get("q", "")).split())[:200],
            day=str(params.get("day", ""))[:10],
            room=str(params.get("room", ""))[:40],
            status=str(params.get("status", ""))[:20],
            page=max(1, min(int(page), 100_000)) if page.isdigit() else 1,
        )

    def query(self) -> str:
        return urlencode(
            {k: v for k, v in {"q": self.q, "day": self.day, "room": self.room, "status": self.status}.items() if v}
        )


def narrow(sessions: list[Any], wanted: EditorFilter, timezone: str) -> list[Any]:
    """The sessions the filter keeps: every word in the title, the local day, the room, the status."""
    tz = zoneinfo.ZoneInfo(timezone)
    words = wanted.q.casefold().split()
    return [
        s
        for s in sessions
        if all(w in s.title.casefold() for w in words)
        and (not wanted.day or s.starts_at.astimezone(tz).date().isoformat() == wanted.day)
        and (not wanted.room or str(s.room_id) == wanted.room)
        and (not wanted.status or s.status == wanted.status)
    ]
