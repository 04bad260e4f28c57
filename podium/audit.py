"""The audit trail: who changed what, when, from what to what. Every domain writes it through these helpers.

Services call them inside their unit of work (they add rows to the session, never flush or commit), so an entry
exists exactly when its change does. Values are stored as JSON (``{field: [before, after]}``); a field whose
name says it holds a secret (password, token, key, secret, hash, access code …) never has its value stored,
only the fact that it changed (``REDACTED``).

Who: an ``Actor`` (label, user id, role), or a label string as the older callers pass (``"organizer:ann@x"``,
``"buyer:bo@y"``, ``"system"``, ``"stripe"``); the role is read from the label, and the user id from the
request's authenticated user when the label names that user (``podium.auth.middleware`` sets it per request).
``None`` means the request's logged-in user, else ``SYSTEM``: for services whose only callers are organizer
routes, the CLI and demo data, so their signatures need not carry who is asking.

Which event: pass ``event_id``. Callers that don't (the older ``registration.audit.services.record`` signature) get it
filled at flush from the entity itself, for entities registered with ``register_entity``: first from the
session's identity map, else one query per entity kind. That is a flush hook (``LISTENERS``) that ``podium.db``
attaches to the unit of work's makers; importing this module installs nothing, and an entry that needs it is
refused on a session that doesn't run it (it would be stored with no event, out of the event's trail).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstanceState, Session
from sqlalchemy.orm.util import identity_key

from podium.audit_models import AuditEntry
from podium.auth.schemas import CurrentUser
from podium.db import runs_hook, utcnow

__all__ = [
    "JOB",
    "REDACTED",
    "SYSTEM",
    "Actor",
    "AuditEntry",
    "actor_of",
    "as_row",
    "build",
    "current_actor",
    "diff",
    "is_secret",
    "record",
    "record_created",
    "record_deleted",
    "record_updated",
    "register_entity",
    "snapshot",
]

REDACTED = "[redacted]"
# Field names that hold secrets. Matched as words of a snake_case name: "password_hash", "api_token",
# "sealed_private_key", "access_code", "webhook_secret". A value under such a name is never stored.
_SECRET_WORDS = re.compile(
    r"(^|_)(password|passwd|secret|secrets|token|tokens|key|keys|hash|salt|otp|credential|credentials|private)(_|$)"
    r"|(^|_)access_code(_|$)",
    re.IGNORECASE,
)
_ROLE_OF_LABEL = {
    "organizer": "organizer",
    "staff": "staff",
    "member": "member",
    "buyer": "attendee",
    "attendee": "attendee",
    "system": "system",
    "stripe": "system",
    "job": "job",
}

# The authenticated user of the request being served; one request per context, never shared across requests.
request_user: ContextVar[CurrentUser | None] = ContextVar("podium_audit_request_user", default=None)


@dataclasses.dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a readable label, the account if a person logged in, and the role they acted in."""

    label: str
    user_id: UUID | None = None
    role: str | None = None

    @classmethod
    def of(cls, user: CurrentUser) -> Actor:
        return cls(f"{user.role}:{user.email}", user.id, user.role)


SYSTEM = Actor("system", role="system")
JOB = Actor("job", role="job")


def actor_of(user: CurrentUser | None, *, fallback: str = "attendee") -> Actor:
    """The actor for a request: its logged-in user, or an anonymous label (an attendee using a secret link)."""
    if user is not None:
        return Actor.of(user)
    return Actor(fallback, role=_ROLE_OF_LABEL.get(fallback.partition(":")[0]))


def current_actor() -> Actor:
    """The request's logged-in user, else ``SYSTEM`` (the CLI, demo data, background work)."""
    user = request_user.get()
    return SYSTEM if user is None else Actor.of(user)


def _resolve(actor: Actor | str | None) -> Actor:
    if actor is None:
        return current_actor()
    if isinstance(actor, Actor):
        return actor
    prefix, _, rest = actor.partition(":")
    role = _ROLE_OF_LABEL.get(prefix)
    user = request_user.get()
    if user is not None and role in ("organizer", "staff", "member") and rest == user.email:
        return Actor(actor, user.id, user.role)
    return Actor(actor, None, role)


def is_secret(field: str) -> bool:
    return _SECRET_WORDS.search(field) is not None


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a value: ids and times as strings, enums as their value, bytes only by size."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [_plain(v) for v in value]
    return str(value)


@dataclasses.dataclass(frozen=True, slots=True)
class _Secret:
    """A secret's value inside a snapshot: compared by ``diff`` (so a change shows), never stored."""

    value: Any = dataclasses.field(repr=False)


def _raw(value: Any) -> Any:
    return _plain(value.value if isinstance(value, _Secret) else value)


def _safe(field: str, value: Any) -> Any:
    if isinstance(value, _Secret):
        value = value.value
    if is_secret(field):
        return None if value is None else REDACTED
    return _plain(value)


_SKIPPED_COLUMNS = frozenset({"id", "created_at", "updated_at", "sa_orm_sentinel"})


def snapshot(obj: Any, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audited state of a model object (or any object with those attributes); secrets stay opaque (the
    entry says they changed, never their value).

    Without ``fields``: every loaded, non-deferred column but the id and timestamps. Taken before a change and
    after it, two snapshots make ``record_updated``'s before and after."""
    if fields is None:
        state: InstanceState[Any] = inspect(obj)
        unloaded = state.unloaded
        fields = [
            attr.key
            for attr in state.mapper.column_attrs
            if attr.key not in _SKIPPED_COLUMNS and not attr.deferred and attr.key not in unloaded
        ]
    return {
        field: _Secret(getattr(obj, field)) if is_secret(field) else _plain(getattr(obj, field)) for field in fields
    }


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose value differs (a field only on one side counts)."""
    changes: dict[str, list[Any]] = {}
    for field in dict.fromkeys([*before, *after]):
        old, new = before.get(field), after.get(field)
        if _raw(old) != _raw(new):  # compared before redaction, so a changed secret still shows
            changes[field] = [_safe(field, old), _safe(field, new)]
    return changes


def build(
    entity: str,
    entity_id: UUID,
    action: str,
    actor: Actor | str | None,
    *,
    event_id: UUID | None = None,
    changes: Mapping[str, list[Any]] | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str = "",
) -> AuditEntry:
    """An entry not yet added to any session (the PostgreSQL order fast path writes its own rows)."""
    who = _resolve(actor)
    return AuditEntry(
        event_id=event_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        changes=dict(changes or {}),
        from_status=from_status,
        to_status=to_status,
        actor=who.label,
        actor_user_id=who.user_id,
        actor_role=who.role,
        note=note,
    )


def as_row(entry: AuditEntry) -> dict[str, Any]:
    """A built entry's column values with its id and time, for a Core INSERT: bulk writers and flush hooks, which
    can't add ORM objects."""
    now = utcnow()
    return {
        "id": uuid4(),
        "created_at": now,
        "updated_at": now,
        **{name: getattr(entry, name) for name in _ENTRY_COLUMNS},
    }


_ENTRY_COLUMNS = (
    "event_id",
    "entity",
    "entity_id",
    "action",
    "changes",
    "from_status",
    "to_status",
    "actor",
    "actor_user_id",
    "actor_role",
    "note",
)


def record(
    db_session: AsyncSession,
    entity: str,
    entity_id: UUID,
    from_status: str | None,
    to_status: str,
    actor: Actor | str | None,
    note: str = "",
    *,
    event_id: UUID | None = None,
    changes: Mapping[str, list[Any]] | None = None,
    action: str | None = None,
) -> AuditEntry:
    """A status change (the action is the status reached unless given): ``order`` pending → paid, ``badge`` →
    revoked. The same status on both sides records an event in the thing's life (a refund, a relink) with the
    action ``noted`` unless given; the note says what happened."""
    moved = from_status != to_status
    entry = build(
        entity,
        entity_id,
        action or (to_status if moved else "noted"),
        actor,
        event_id=event_id,
        changes={**({"status": [from_status, to_status]} if moved else {}), **(changes or {})},
        from_status=from_status,
        to_status=to_status,
        note=note,
    )
    return _add(db_session, entry)


def record_created(
    db_session: AsyncSession,
    entity: str,
    entity_id: UUID,
    after: Mapping[str, Any],
    actor: Actor | str | None,
    *,
    event_id: UUID | None = None,
    note: str = "",
) -> AuditEntry:
    """A new thing: every field recorded as ``[None, value]``."""
    entry = build(entity, entity_id, "created", actor, event_id=event_id, changes=diff({}, _not_none(after)), note=note)
    return _add(db_session, entry)


def record_updated(
    db_session: AsyncSession,
    entity: str,
    entity_id: UUID,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    actor: Actor | str | None,
    *,
    event_id: UUID | None = None,
    action: str = "updated",
    note: str = "",
    secrets_changed: Iterable[str] = (),
) -> AuditEntry | None:
    """Only what changed; nothing is recorded (None) when nothing did. ``action`` names a more telling verb
    ("role_changed", "password_changed") where a reader filters on it. ``secrets_changed`` names secret fields
    the caller knows changed: the entry says so (``[REDACTED, REDACTED]``) without either value."""
    changes = diff(before, after)
    changes.update({field: [REDACTED, REDACTED] for field in secrets_changed})
    if not changes:
        return None
    entry = build(entity, entity_id, action, actor, event_id=event_id, changes=changes, note=note)
    return _add(db_session, entry)


def record_deleted(
    db_session: AsyncSession,
    entity: str,
    entity_id: UUID,
    before: Mapping[str, Any],
    actor: Actor | str | None,
    *,
    event_id: UUID | None = None,
    note: str = "",
) -> AuditEntry:
    """A removed thing: its last state recorded as ``[value, None]``, so the trail still says what it was."""
    entry = build(
        entity, entity_id, "deleted", actor, event_id=event_id, changes=diff(_not_none(before), {}), note=note
    )
    return _add(db_session, entry)


def _add(db_session: AsyncSession, entry: AuditEntry) -> AuditEntry:
    if (
        entry.event_id is None
        and entry.entity in _EVENT_OF
        and not runs_hook(db_session, "before_flush", _fill_event_ids)
    ):
        raise RuntimeError(
            f"an audit entry about a {entry.entity} needs its event: pass event_id, or use a session "
            "from podium.db's session makers, which fill it at flush"
        )
    db_session.add(entry)
    return entry


def _not_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != [] and v != ""}


# entity name -> (model, the attribute holding its event id): how an entry without event_id finds its event.
_EVENT_OF: dict[str, tuple[type[Any], str]] = {}


def register_entity(entity: str, model: type[Any], event_attribute: str = "event_id") -> None:
    """Let entries about ``entity`` that were recorded without an event find it from the row (at flush)."""
    _EVENT_OF[entity] = (model, event_attribute)


def _fill_event_ids(session: Session, _context: Any, _instances: Any) -> None:
    pending = [o for o in session.new if isinstance(o, AuditEntry) and o.event_id is None and o.entity in _EVENT_OF]
    if not pending:
        return
    by_entity: dict[str, list[AuditEntry]] = {}
    for entry in pending:
        by_entity.setdefault(entry.entity, []).append(entry)
    for entity, entries in by_entity.items():
        model, attribute = _EVENT_OF[entity]
        found: dict[UUID, UUID] = {}
        for entry in entries:
            obj = session.identity_map.get(identity_key(model, entry.entity_id))
            if obj is not None and getattr(obj, attribute, None) is not None:
                found[entry.entity_id] = getattr(obj, attribute)
        missing = {e.entity_id for e in entries} - found.keys()
        if missing:
            column = getattr(model, attribute)
            with session.no_autoflush:
                rows = session.execute(select(model.id, column).where(model.id.in_(missing)))
                found.update({row[0]: row[1] for row in rows})
        for entry in entries:
            entry.event_id = found.get(entry.entity_id)


LISTENERS = (("before_flush", _fill_event_ids),)
