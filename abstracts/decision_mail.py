"""Decision mails: one template per outcome, a preview that renders them for chosen abstracts without
sending, and the send step that queues each decision's mail through the outbox exactly once.

Once is held by the decision row itself: sending claims it with one conditional UPDATE (``mailed_outcome``
set to the abstract's status where it was something else, and only while the abstract still has that status),
and only the request whose UPDATE changed the row queues the mail. Two racing sends, or a send retried after
a lost answer, find the row claimed and queue nothing (PostgreSQL re-checks the WHERE after the first
committer's row lock; SQLite runs writers one at a time). The outbox's dedupe key (abstract, outcome, decision
time) is a second guard, and lets a changed decision be mailed once more.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from sqlalchemy import CursorResult, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.models import DECIDED, Abstract, AbstractAuthor, AbstractStatus, CallForAbstracts, Decision
from events.models import Event
from podium.auth.models import User
from podium.db import utcnow
from podium.i18n import N_
from podium.mail import MailTemplate, RenderedMail, sample_links
from podium.outbox import Mail, enqueue_all
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.mail.attachments import render_message
from registration.mail.context import event_context
from registration.mail.templates import SAMPLE_EVENT

_SAMPLE_ABSTRACT = "00000000-0000-4000-8000-000000000004"
_SAMPLE = {
    "event": SAMPLE_EVENT,
    "name": "Ada Lovelace",
    "title": "Engines that weave algebraic patterns",
    "number": 17,
    "call_wording": "",
    "presenting_link": f"{{presenting_link:{_SAMPLE_ABSTRACT}}}",
}
TEMPLATE_OF: Mapping[str, MailTemplate] = {
    AbstractStatus.ACCEPTED_ORAL: MailTemplate("abstract_accepted_oral", N_("An abstract accepted as a talk"), _SAMPLE),
    AbstractStatus.ACCEPTED_POSTER: MailTemplate(
        "abstract_accepted_poster", N_("An abstract accepted as a poster"), _SAMPLE
    ),
    AbstractStatus.REJECTED: MailTemplate("abstract_rejected", N_("An abstract not accepted"), _SAMPLE),
}
# Installed with every domain's templates by the composition root (``podium.main``).
MAIL_TEMPLATES: tuple[MailTemplate, ...] = tuple(TEMPLATE_OF.values())


def presenting_token(secret_key: str, abstract_id: UUID) -> str:
    """The secret of the presenting author's confirm link: an HMAC of the abstract's id, so nothing is stored."""
    mac = hmac.new(secret_key.encode(), f"presenting:{abstract_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def presenting_url(settings: Settings, abstract_id: UUID) -> str:
    """Filled into ``{presenting_link:<abstract id>}`` when the mail is sent (never stored in the outbox)."""
    token = presenting_token(settings.secret_key, abstract_id)
    return f"{settings.base_url}/abstracts/{abstract_id}/presenting?token={token}"


# The links this package's mails carry, installed into registration's renderer by the composition root.
LINK_MAKERS = {"presenting": presenting_url}


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who hears of one abstract's decision: its presenting author, else the submitter's account."""

    abstract: Abstract
    decision: Decision
    to: str
    name: str


async def recipients(db_session: AsyncSession, abstracts: Sequence[Abstract]) -> list[Recipient]:
    """The decided abstracts among ``abstracts`` with their decision and recipient, in the order given."""
    decided = [a for a in abstracts if a.status in DECIDED]
    ids = [a.id for a in decided]
    if not ids:
        return []
    decisions = {
        d.abstract_id: d for d in (await db_session.scalars(select(Decision).where(Decision.abstract_id.in_(ids))))
    }
    presenters = {
        a.abstract_id: a
        for a in await db_session.scalars(
            select(AbstractAuthor).where(AbstractAuthor.abstract_id.in_(ids), AbstractAuthor.is_presenting)
        )
    }
    submitters = dict(
        (
            await db_session.execute(
                select(Abstract.id, User.email)
                .join(User, User.id == Abstract.submitter_user_id)
                .where(Abstract.id.in_(ids))
            )
        )
        .tuples()
        .all()
    )
    found: list[Recipient] = []
    for abstract in decided:
        decision = decisions.get(abstract.id)
        if decision is None:  # decided before decisions were recorded: nothing to claim
            continue
        presenter = presenters.get(abstract.id)
        if presenter is not None and presenter.email:
            found.append(Recipient(abstract, decision, presenter.email, presenter.full_name))
        else:
            found.append(Recipient(abstract, decision, submitters[abstract.id], ""))
    return found


def _wording(call: CallForAbstracts, status: str) -> str:
    return {
        AbstractStatus.ACCEPTED_ORAL: call.accept_oral_wording,
        AbstractStatus.ACCEPTED_POSTER: call.accept_poster_wording,
        AbstractStatus.REJECTED: call.reject_wording,
    }[AbstractStatus(status)]


def mail_of(event: Event, call: CallForAbstracts, recipient: Recipient) -> Mail:
    """The outbox message for one decision as it stands."""
    abstract = recipient.abstract
    context: dict[str, Any] = {
        "event": event_context(event),
        "name": recipient.name,
        "title": abstract.title,
        "number": abstract.number,
        "call_wording": _wording(call, abstract.status),
        "presenting_link": f"{{presenting_link:{abstract.id}}}",
    }
    decided_at = recipient.decision.decided_at.isoformat()
    return Mail(
        dedupe_key=f"abstract-decision:{abstract.id}:{abstract.status}:{decided_at}",
        to=recipient.to,
        template=TEMPLATE_OF[abstract.status].name,
        context=context,
    )


@dataclass(frozen=True, slots=True)
class Preview:
    abstract_id: UUID
    to: str
    template: str
    mail: RenderedMail


async def preview(
    db_session: AsyncSession, event: Event, call: CallForAbstracts, abstracts: Sequence[Abstract], base_url: str
) -> list[Preview]:
    """The decision mails of ``abstracts`` as they would read now (with the event's wording), sending nothing;
    the confirm link shows as a sample."""
    shown: list[Preview] = []
    for recipient in await recipients(db_session, abstracts):
        mail = mail_of(event, call, recipient)
        rendered = await render_message(db_session, mail.template, mail.context)
        rendered = RenderedMail(
            rendered.subject, sample_links(rendered.text, base_url), sample_links(rendered.html, base_url)
        )
        shown.append(Preview(recipient.abstract.id, mail.to, mail.template, rendered))
    return shown


async def _claim(db_session: AsyncSession, decision: Decision, abstract: Abstract) -> bool:
    """Take the right to mail this decision: true for exactly one caller per outcome the abstract reaches."""
    still = exists().where(Abstract.id == abstract.id, Abstract.status == abstract.status)
    claimed = await db_session.execute(
        update(Decision)
        .where(
            Decision.id == decision.id,
            or_(Decision.mailed_outcome.is_(None), Decision.mailed_outcome != abstract.status),
            still,
        )
        .values(mailed_outcome=abstract.status, mailed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", claimed).rowcount == 1


async def send(
    db_session: AsyncSession, event: Event, call: CallForAbstracts, abstracts: Sequence[Abstract]
) -> tuple[int, int]:
    """Queue the mail of every decision among ``abstracts`` not mailed with its current outcome; returns
    (queued, already mailed or not decided)."""
    mails: list[tuple[Decision, Mail]] = []
    for recipient in await recipients(db_session, abstracts):
        if await _claim(db_session, recipient.decision, recipient.abstract):
            mails.append((recipient.decision, mail_of(event, call, recipient)))
    await enqueue_all(db_session, [mail for _, mail in mails])
    for decision, mail in mails:
        message = select(OutboxMessage.id).where(OutboxMessage.dedupe_key == mail.dedupe_key).scalar_subquery()
        await db_session.execute(
            update(Decision)
            .where(Decision.id == decision.id)
            .values(mail_message_id=message)
            .execution_options(synchronize_session=False)
        )
    return len(mails), len(abstracts) - len(mails)
