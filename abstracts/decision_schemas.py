"""Wire types of decisions: bulk decide, the mails' preview and send, and the presenting author's confirmation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec

from abstracts.decisions import Outcome

# A bulk decision takes ids straight from the ranked list: a whole call's worth at most.
AbstractIds = Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=5000)]


class DecisionRequest(msgspec.Struct, forbid_unknown_fields=True):
    abstract_ids: AbstractIds
    outcome: Outcome


class DecisionRead(msgspec.Struct):
    abstract_id: UUID
    number: int | None
    status: str
    changed: bool


class DecisionResult(msgspec.Struct):
    changed: int
    decisions: list[DecisionRead]


class MailSelection(msgspec.Struct, forbid_unknown_fields=True):
    abstract_ids: AbstractIds


class DecisionMailPreview(msgspec.Struct):
    abstract_id: UUID
    to: str
    template: str
    subject: str
    text: str
    html: str


class DecisionMailResult(msgspec.Struct):
    """``queued``: mails put in the outbox now; ``skipped``: mailed already with this outcome, or not decided."""

    queued: int
    skipped: int


class PresentingRead(msgspec.Struct):
    abstract_id: UUID
    title: str
    confirmed_at: dt.datetime | None
    registration_url: str
