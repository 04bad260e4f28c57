"""Reading a sign-in mail as its recipient would: the link's token and the code, from the outbox."""

from __future__ import annotations

import re

from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from tests.registration.factories import db_session_for, outbox_mails

LINK = re.compile(r"/sign-in/([A-Za-z0-9_-]{20,})")
CODE = re.compile(r"code on the sign-in page: ([0-9]{6})")


async def sign_in_mails(settings: Settings, email: str) -> list[str]:
    """The text of every sign-in mail to ``email``, oldest first."""
    async with db_session_for(settings) as db_session:
        found = await outbox_mails(
            db_session, OutboxMessage.to_address == email.strip().lower(), OutboxMessage.template == "sign_in"
        )
    return [mail.text for _, mail in found]


def link_and_code(text: str) -> tuple[str, str]:
    link, code = LINK.search(text), CODE.search(text)
    assert link is not None and code is not None, text
    return link.group(1), code.group(1)


async def mailed_sign_in(settings: Settings, email: str) -> tuple[str, str]:
    """The link token and code of the latest sign-in mailed to ``email``."""
    mails = await sign_in_mails(settings, email)
    assert mails, f"no sign-in mail to {email}"
    return link_and_code(mails[-1])
