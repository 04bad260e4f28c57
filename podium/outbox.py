"""The mail outbox, writing side: a message is a row written in the same transaction as the change it reports,
and the job ``SEND_MAIL_JOB`` sends it after commit (``podium.jobs.outbox_drain``). In the kernel so every domain
writes its mail the same way; what a message says is rendered only when it is sent.

A message is stored as a template name and a JSON context (``podium.mail`` renders it, with the event's wording
as it is then); links with secrets are placeholders filled in only then too. The same ``dedupe_key`` twice is
one message, decided by the database, so retries and races never send a second one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import uuid4

import msgspec
from sqlalchemy import Insert, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import utcnow
from podium.jobs import kick_after_commit
from podium.outbox_models import MailStatus, OutboxMessage
from podium.statement_cache import compiled_once

# The job that sends due mail (registration/tasks.py); every enqueue wakes it once its transaction commits. The
# name stays the one it was first queued under (rows in the job queue carry it).
SEND_MAIL_JOB = "registration.send_due_mail"


def _one_line(text: str) -> str:
    """Header values never carry line breaks (an organizer's event name must not add headers)."""
    return " ".join(text.split())


def json_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """The context as stored: UUIDs, instants and days become JSON strings now, not at send time."""
    return cast(dict[str, Any], msgspec.json.decode(msgspec.json.encode(context)))


def _values(
    *,
    dedupe_key: str,
    to: str,
    template: str,
    context: Mapping[str, Any],
    attachments: Sequence[str],
) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": uuid4(),
        "dedupe_key": dedupe_key,
        "to_address": _one_line(to),
        "template": template,
        "context": json_context(context),
        "subject": "",
        "body_text": "",
        "attachments": list(attachments),
        "status": MailStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
        "updated_at": now,
    }


# The columns a message's row sets, in ``_values``'s order (its prebuilt INSERT binds each).
_ROW_KEYS = tuple(_values(dedupe_key="", to="", template="", context={}, attachments=()))


@dataclass(frozen=True, slots=True)
class Mail:
    """One message to enqueue (``enqueue``'s arguments), for writing several in one statement."""

    dedupe_key: str
    to: str
    template: str
    context: Mapping[str, Any]
    attachments: Sequence[str] = ()

    def values(self) -> dict[str, Any]:
        """Its row's columns, as ``_values`` sets them."""
        return _values(
            dedupe_key=self.dedupe_key,
            to=self.to,
            template=self.template,
            context=self.context,
            attachments=self.attachments,
        )


async def enqueue_all(db_session: AsyncSession, mails: Sequence[Mail]) -> None:
    """``enqueue`` for several messages of one change, in one statement (a duplicate key skipped).

    The rows go as parameters of one INSERT compiled once per process (``podium.statement_cache``: SQLAlchemy
    compiles an ``ON CONFLICT`` insert anew on every call otherwise, ~0.35 ms of CPU per paid order measured
    here). It is the table's INSERT, not the ORM's, so it neither flushes the session first nor waits for it:
    the outbox row refers to nothing the session holds unflushed."""
    if not mails:
        return
    dialect = db_session.get_bind().dialect.name
    rows = [m.values() for m in mails]
    statement = compiled_once(dialect, "outbox.enqueue_all", lambda: _insert_ignoring_duplicates(dialect))
    await db_session.execute(statement, rows)
    kick_after_commit(db_session, SEND_MAIL_JOB)


def add_all_once(db_session: AsyncSession, mails: Sequence[Mail]) -> None:
    """``enqueue_all`` for the mails of a change that happens once per thing, under a lock the caller holds (an
    order's confirmation: its ``receipt:`` and its registrations' ``confirmation:`` keys), so no other message
    can have their dedupe keys. They go into the session as rows, written with its flush: on PostgreSQL in the
    change's own one statement (``podium.db_flush``), a round trip fewer than ``enqueue_all``'s INSERT. A
    second message under such a key would be a bug; it fails the transaction rather than pass unseen."""
    db_session.add_all([OutboxMessage(**m.values()) for m in mails])
    if mails:
        kick_after_commit(db_session, SEND_MAIL_JOB)


def _insert_ignoring_duplicates(dialect: str) -> Insert:
    """One message's INSERT with a bind per column ``_values`` fills, skipping a dedupe key already written."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, OutboxMessage.__table__)
    binds = {name: bindparam(name, type_=table.c[name].type) for name in _ROW_KEYS}
    return insert(table).values(binds).on_conflict_do_nothing(index_elements=["dedupe_key"])


async def enqueue(
    db_session: AsyncSession,
    *,
    dedupe_key: str,
    to: str,
    template: str,
    context: Mapping[str, Any],
    attachments: Sequence[str] = (),
) -> None:
    """Add a message to the caller's transaction; the same ``dedupe_key`` twice is one message.

    ``template`` names ``podium/templates/mail/<template>.txt`` and ``.html``; ``context`` is what they show
    (JSON: money in minor units, instants in UTC). ``attachments`` name what to render at send time
    (``"receipt:<order id>"``: the order's current receipt, numbered first if it is still pending), so the
    outbox never stores PDFs.
    """
    await enqueue_all(db_session, [Mail(dedupe_key, to, template, context, attachments)])
