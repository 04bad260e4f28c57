"""The event form: an event as form fields (times in the event's zone) and the fields back as a payload."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from litestar.datastructures import UploadFile

from events import services
from podium.i18n import N_
from podium.translated import form_translations, form_values


@dataclass
class LogoForm:
    logo: UploadFile | None = None


# Labels are marked for extraction (``N_``) and translated where they are shown.
KINDS = [
    ("annual_meeting", N_("Annual meeting")),
    ("policy_summit", N_("Policy summit")),
    ("workshop", N_("Workshop")),
    ("training", N_("Training")),
]
# An event's status words as the console shows them (the badge), translated in the templates.
STATUS_WORDS = (N_("draft"), N_("published"), N_("archived"))
EVENT_FIELDS = (
    "slug",
    "name",
    "kind",
    "timezone",
    "venue",
    "city",
    "start_date",
    "end_date",
    "currency",
    "description",
    "default_locale",
)
WINDOW_FIELDS = ("registration_opens_at", "registration_closes_at")


def local_input(value: dt.datetime | None, timezone: str) -> str:
    """An instant as the value of a datetime-local input, in the event's time zone."""
    if value is None:
        return ""
    return value.astimezone(zoneinfo.ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def event_payload(form: dict[str, str], *, partial: bool) -> dict[str, Any]:
    """Form fields → API payload: empty optional fields are absent; datetime-local inputs are read in the
    event's time zone (an unknown zone is left for the service to report)."""
    payload: dict[str, Any] = {}
    for name in EVENT_FIELDS:
        value = form.get(name, "")
        if value.strip() or (name in {"city", "description"} and name in form):
            payload[name] = value
    timezone = form.get("timezone", "")
    for name in WINDOW_FIELDS:
        value = form.get(name, "").strip()
        if not value:
            if partial and name in form:
                payload[name] = None
            continue
        try:
            naive = dt.datetime.fromisoformat(value)
            zone = zoneinfo.ZoneInfo(timezone) if timezone in services.known_timezones() else dt.UTC
            payload[name] = naive.replace(tzinfo=zone).isoformat()
        except ValueError:
            payload[name] = value  # msgspec reports it as an invalid datetime on the right field
    if (translations := form_translations(form)) is not None:
        payload["translations"] = translations
    return payload


def event_form(event: Any | None) -> dict[str, str]:
    if event is None:
        return {"kind": "annual_meeting", "timezone": "America/New_York", "currency": "USD", "default_locale": "en"}
    values = {name: str(getattr(event, name) or "") for name in EVENT_FIELDS} | form_values(event.translations)
    for name in WINDOW_FIELDS:
        values[name] = local_input(getattr(event, name), event.timezone)
    return values
