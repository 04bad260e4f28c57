"""A real local SMTP server for mail tests (aiosmtpd) and what tests read from the messages it keeps."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from podium.mail_senders import SmtpSender
from podium.settings import Settings
from registration.mail.attachments import drain_outbox
from registration.mail.held import BATCH as HELD_BATCH
from registration.mail.held import enqueue_held_mails
from tests.registration.factories import db_session_for
from tests.servers import free_port


class Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses recipients at ``refused.example``."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_RCPT(
        self, server: object, session: object, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        content = envelope.content or b""
        assert isinstance(content, bytes)  # served without decode_data, so aiosmtpd keeps the raw bytes
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def smtp_settings(settings: Settings, port: int) -> Settings:
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)


def text(message: EmailMessage) -> str:
    """The plain-text body with SMTP's CRLF line ends turned back into newlines."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def unique(name: str) -> str:
    return f"{name}-{secrets.token_hex(4)}@example.org"


async def deliver(settings: Settings, port: int, *, now: dt.datetime | None = None) -> None:
    """Drain the whole outbox to the test SMTP server, as the background worker would, after writing the "pay
    by" mails due by ``now``, as its sweep would."""
    mail_settings = smtp_settings(settings, port)
    async with db_session_for(settings) as db_session:
        while await enqueue_held_mails(db_session, now=now) == HELD_BATCH:
            await db_session.commit()
        await db_session.commit()
    async with db_session_for(settings) as db_session:
        while await drain_outbox(db_session, SmtpSender(mail_settings), mail_settings, now=now, batch=200):
            pass


def to(inbox: Inbox, address: str) -> list[EmailMessage]:
    return [m for m in inbox.messages if str(m["To"]) == address]


def html(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())
