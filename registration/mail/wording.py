"""The organizers' side of mail: every template with its sample, a preview, and each event's own wording.

Wording is stored per event and template (``MailWording``) and read when a message is sent, so a change
applies to mail still waiting in the outbox too. It is plain text: the templates place it (subject, opening
paragraph, sign-off) around facts an organizer can't edit (amounts, dates, links).
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium import audit
from podium.audit import Actor
from podium.errors import NotFound
from podium.i18n import gettext
from podium.mail import TEMPLATES, MailTemplate, Wording, render_mail, sample_links
from registration.mail.schemas import MailPreview, MailTemplateRead, MailWordingIO
from registration.mail.services import event_context
from registration.models import MailWording

_FIELDS = ("subject", "intro", "sign_off")


def event_templates() -> list[MailTemplate]:
    """The templates an event's organizers may reword, in a stable order (by title in the reader's language, so
    the list reads alphabetically in it)."""
    return sorted((t for t in TEMPLATES.values() if t.per_event), key=lambda t: (gettext(t.title), t.name))


def _template(name: str) -> MailTemplate:
    found = TEMPLATES.get(name)
    if found is None or not found.per_event:
        raise NotFound(gettext("no mail template %(name)s") % {"name": repr(name)}, field="name")
    return found


async def _wordings(db_session: AsyncSession, event: Event) -> dict[str, MailWording]:
    rows = await db_session.scalars(select(MailWording).where(MailWording.event_id == event.id))
    return {row.template: row for row in rows.all()}


def _read(template: MailTemplate, row: MailWording | None) -> MailTemplateRead:
    wording = MailWordingIO(**{f: getattr(row, f) for f in _FIELDS}) if row is not None else MailWordingIO()
    customized = any(getattr(wording, f) for f in _FIELDS)
    # The title is marked where the template is declared (``N_``) and read in the organizer's language here.
    title = gettext(template.title)
    return MailTemplateRead(name=template.name, title=title, wording=wording, customized=customized)


async def list_templates(db_session: AsyncSession, event: Event) -> list[MailTemplateRead]:
    wordings = await _wordings(db_session, event)
    return [_read(t, wordings.get(t.name)) for t in event_templates()]


async def get_template(db_session: AsyncSession, event: Event, name: str) -> MailTemplateRead:
    template = _template(name)
    return _read(template, (await _wordings(db_session, event)).get(name))


def render_preview(event: Event, name: str, wording: MailWordingIO, base_url: str) -> MailPreview:
    """The template with its sample facts, this event's name, dates and zone, and ``wording``."""
    template = _template(name)
    context: dict[str, Any] = {**template.sample, "event": event_context(event)}
    rendered = render_mail(name, context, Wording(wording.subject, wording.intro, wording.sign_off))
    return MailPreview(
        name=name,
        subject=rendered.subject,
        text=sample_links(rendered.text, base_url),
        html=sample_links(rendered.html, base_url),
    )


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S)
_STYLE = re.compile(r'\sstyle="[^"]*"')
# The standalone HTML preview's own policy: the mail's inline styles and our own images (the event's logo), nothing
# else (no script, no other requests).
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def html_body(html: str) -> Markup:
    """The HTML part's body without its inline styles, to show inside a page (whose policy forbids inline
    styles). Our own templates' output, escaped where it shows anyone's text, so a pattern can take it apart."""
    found = _BODY.search(html)
    body = _STYLE.sub("", found.group(1) if found else html).strip()
    return Markup(body)  # noqa: S704 - rendered by our autoescaping templates, as said above


async def preview(db_session: AsyncSession, event: Event, name: str, base_url: str) -> MailPreview:
    current = await get_template(db_session, event, name)
    return render_preview(event, name, current.wording, base_url)


def _clean(data: MailWordingIO) -> dict[str, str]:
    """Windows line ends from a form become plain ones; surrounding blanks go (an all-blank field is empty)."""
    return {f: getattr(data, f).replace("\r\n", "\n").strip() for f in _FIELDS}


async def set_wording(
    db_session: AsyncSession, event: Event, name: str, data: MailWordingIO, *, actor: Actor | str
) -> MailTemplateRead:
    """Store the event's wording for ``name`` (all fields at once; empty ones fall back to the default)."""
    template = _template(name)
    values = _clean(data)
    row = (await _wordings(db_session, event)).get(name)
    before = {f: getattr(row, f) for f in _FIELDS} if row is not None else dict.fromkeys(_FIELDS, "")
    if row is None:
        row = MailWording(event_id=event.id, template=name, **values)
        db_session.add(row)
        await db_session.flush()  # for its id, in the audit entry
    else:
        for field, value in values.items():
            setattr(row, field, value)
    audit.record_updated(
        db_session, "mail_wording", row.id, before, values, actor, event_id=event.id, note=f"mail template {name}"
    )
    return _read(template, row)
