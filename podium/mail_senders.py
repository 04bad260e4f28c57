"""Where composed mail goes: SMTP in production, a folder of .eml files (and a log line) in development.

The outbox's drain (``podium.jobs.outbox_drain``) hands each message to one of these; nothing here knows what the
message says or which domain wrote it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol
from uuid import uuid4

import aiosmtplib
import anyio

from podium.mail import OutgoingMail
from podium.settings import Settings

logger = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 30


class MailSender(Protocol):
    """What the drain hands composed mail to. A fake that only implements ``send`` gets each message parsed back
    into an ``EmailMessage``; real senders take the bytes as they are (``send_mail``)."""

    async def send(self, message: EmailMessage) -> None: ...


class SmtpSender:
    """SMTP through aiosmtplib (asyncio-native, so a slow mail server never blocks the event loop).

    Inside ``batch()`` one connection carries every message (a connection per message cost more CPU than the
    message itself); outside it, each message opens its own. When the server has ended a connection we already
    used (idle timeout, a cap on messages per connection: closed, or 421 to MAIL FROM), the next message begins
    again on a new connection, which is safe because nothing of it had gone out yet. A connection lost later in
    a message fails that message like any other failure (retried with backoff; delivery stays at least once
    with a stable Message-ID), and the next message opens a new connection."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: aiosmtplib.SMTP | None = None
        self._batching = False
        self._connect_error: Exception | None = None
        self._reused = False  # the connection has carried a message already

    def _new_client(self) -> aiosmtplib.SMTP:
        # Port 465 speaks TLS from the first byte (RFC 8314); elsewhere STARTTLS upgrades if configured.
        implicit_tls = self.settings.smtp_port == 465
        return aiosmtplib.SMTP(
            hostname=self.settings.smtp_host,
            port=self.settings.smtp_port,
            username=self.settings.smtp_username or None,
            password=self.settings.smtp_password or None,
            use_tls=implicit_tls,
            start_tls=False if implicit_tls else self.settings.smtp_starttls,
            timeout=SMTP_TIMEOUT_SECONDS,
        )

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        self._batching, self._connect_error = True, None
        try:
            yield
        finally:
            self._batching = False
            await self._drop()

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._connect_error is not None:  # the server was unreachable a moment ago: the rest of the batch waits
            raise self._connect_error
        if self._client is not None and not self._client.is_connected:
            await self._drop()
        if self._client is None:
            client = self._new_client()
            try:
                await client.connect()
            except aiosmtplib.SMTPConnectError as exc:
                self._connect_error = exc
                raise
            self._client = client
        return self._client

    async def send_mail(self, mail: OutgoingMail) -> None:
        if not self._batching:
            async with self._new_client() as client:
                await _envelope(client, mail)
                await _content(client, mail)
            return
        client = await self._connected()
        try:
            try:
                await _envelope(client, mail)
            except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPSenderRefused, OSError) as exc:
                if not self._reused or (isinstance(exc, aiosmtplib.SMTPSenderRefused) and exc.code != 421):
                    raise
                # The server ended a connection we had used (421, or closed it) before this message began:
                # nothing of it went out, so it is safe to begin again on a new connection, once.
                await self._drop()
                client = await self._connected()
                await _envelope(client, mail)
            self._reused = True
            await _content(client, mail)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError):
            await self._drop()  # this message failed (retried later); the next one opens a new connection
            raise

    async def _drop(self) -> None:
        client, self._client, self._reused = self._client, None, False
        if client is not None:
            await _close(client)

    async def send(self, message: EmailMessage) -> None:
        sender = parseaddr(str(message["From"]))[1]
        mail = OutgoingMail(str(message["Message-ID"]), sender, parseaddr(str(message["To"]))[1], bytes(message))
        await self.send_mail(mail)


async def _envelope(client: aiosmtplib.SMTP, mail: OutgoingMail) -> None:
    """MAIL FROM: the step before which nothing of the message has gone out."""
    utf8 = mail.needs_smtputf8
    await client.mail(mail.sender, options=["SMTPUTF8"] if utf8 else [], encoding="utf-8" if utf8 else "ascii")


async def _content(client: aiosmtplib.SMTP, mail: OutgoingMail) -> None:
    """RCPT TO and DATA; a refusal resets the envelope so the connection serves the next message."""
    try:
        await client.rcpt(mail.to, encoding="utf-8" if mail.needs_smtputf8 else "ascii")
        await client.data(mail.data)
    except aiosmtplib.SMTPRecipientRefused as exc:
        await _reset(client)
        raise aiosmtplib.SMTPRecipientsRefused([exc]) from exc
    except aiosmtplib.SMTPResponseException:
        await _reset(client)
        raise


async def _reset(client: aiosmtplib.SMTP) -> None:
    try:
        await client.rset()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


async def _close(client: aiosmtplib.SMTP) -> None:
    """QUIT politely if the connection still stands; a dead one is just dropped."""
    try:
        if client.is_connected:
            await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


class FolderSender:
    """Development: every mail becomes a .eml file you can open, plus one line in the log."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send_mail(self, mail: OutgoingMail) -> None:
        name = re.sub(r"[^A-Za-z0-9]+", "-", mail.message_id or str(uuid4())).strip("-")
        path = self.folder / f"{name}.eml"

        def write() -> None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(mail.data)

        await anyio.to_thread.run_sync(write)
        logger.info("mail to %s: %s", mail.to, path)

    async def send(self, message: EmailMessage) -> None:
        mail = OutgoingMail(str(message["Message-ID"]), str(message["From"]), str(message["To"]), bytes(message))
        await self.send_mail(mail)


def sender_for(settings: Settings) -> MailSender:
    return SmtpSender(settings) if settings.smtp_host else FolderSender(settings.data_dir / "mail")
