"""The mail that tells each co-author they were listed on an abstract, queued with the submit that lists them.

One per co-author per abstract, ever: the outbox's dedupe key names the abstract and the address, so a second
submit, an edit of a submitted abstract or a retried request adds nothing, while an author added later is told
once too. The submitter is not told about themself.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.models import Abstract, AbstractAuthor
from events.models import Event
from podium.auth.schemas import CurrentUser
from podium.i18n import N_
from podium.mail import MailTemplate
from podium.outbox import Mail, enqueue_all
from registration.mail.context import event_context
from registration.mail.templates import SAMPLE_EVENT

COAUTHOR_LISTED = MailTemplate(
    "abstract_coauthor_listed",
    N_("A co-author is told they were listed on a submitted abstract"),
    {
        "event": SAMPLE_EVENT,
        "name": "Grace Hopper",
        "number": 17,
        "title": "Sodium-glucose cotransporter 2 inhibition and β-cell function",
        "authors": ["Ada Lovelace", "Grace Hopper"],
        "presenting": "Ada Lovelace",
        "submitter_name": "Ada Lovelace",
        "submitter_email": "ada@example.org",
    },
)
# Installed with every domain's templates by the composition root (``podium.main.mail_wiring``).
MAIL_TEMPLATES: tuple[MailTemplate, ...] = (COAUTHOR_LISTED,)


async def tell_coauthors(
    db_session: AsyncSession,
    event: Event,
    abstract: Abstract,
    authors: Sequence[AbstractAuthor],
    submitter: CurrentUser,
) -> None:
    own = submitter.email.casefold()
    told = [a for a in authors if a.email and a.email.casefold() != own]
    if not told:
        return
    presenting = next((a.full_name for a in authors if a.is_presenting), "")
    context = event_context(event)
    mails = [
        Mail(
            dedupe_key=f"abstract-coauthor:{abstract.id}:{author.email.casefold()}",
            to=author.email,
            template=COAUTHOR_LISTED.name,
            context={
                "event": context,
                "name": author.full_name,
                "number": abstract.number,
                "title": abstract.title,
                "authors": [a.full_name for a in authors],
                "presenting": presenting,
                "submitter_name": submitter.display_name,
                "submitter_email": submitter.email,
            },
        )
        for author in told
    ]
    await enqueue_all(db_session, mails)
