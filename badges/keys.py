"""Each event's signing key, made on first use.

Two workers may both find no key and both make one: the insert is ``ON CONFLICT DO NOTHING`` on the
event, so the second one's insert waits for the first to commit and then does nothing, and both read back
the one row that won. Public keys never change for a kid, so they are cached for the life of the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.signing import VerifyKey
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from badges import tokens
from badges.models import BadgeKey
from podium import audit
from podium.audit_models import AuditEntry
from podium.db import begin_write, utcnow


@dataclass(frozen=True, slots=True)
class KnownKey:
    event_id: UUID
    kid: bytes
    public_key: VerifyKey


_public_keys: dict[bytes, KnownKey] = {}


async def event_key(db_session: AsyncSession, event_id: UUID, secret_key: str) -> BadgeKey:
    """The event's key row, made if the event has none yet. Its caller commits, also on a read: a key that isn't
    kept would have signed tokens nothing can verify (a concurrent first use waits for that commit, then finds it).

    Call it before the caller's own writes: on SQLite it may start a write transaction."""
    row = await db_session.scalar(select(BadgeKey).where(BadgeKey.event_id == event_id))
    if row is not None:
        return row
    bind = db_session.bind
    insert = postgresql.insert if bind is not None and bind.dialect.name == "postgresql" else sqlite.insert
    # Three tries: a (four-byte) kid already taken by another event makes the insert do nothing too.
    for _ in range(3):
        kid = tokens.new_kid()
        private_key = tokens.generate_private_key()
        now = utcnow()
        await begin_write(db_session)
        key_id = uuid4()
        made = await db_session.execute(
            insert(BadgeKey)
            .values(
                id=key_id,
                event_id=event_id,
                kid=kid.hex(),
                public_key=tokens.b64url(tokens.public_key_bytes(private_key)),
                private_key_sealed=tokens.encrypt_private_key(secret_key, kid, private_key),
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(BadgeKey.id)
        )
        if made.first() is not None:  # the trail names the key by its kid; its private half never leaves the row
            changes = {"kid": [None, kid.hex()]}
            entry = audit.build("badge_key", key_id, "created", None, event_id=event_id, changes=changes)
            await db_session.execute(insert(AuditEntry), [audit.as_row(entry)])
        row = await db_session.scalar(
            select(BadgeKey).where(BadgeKey.event_id == event_id).execution_options(populate_existing=True)
        )
        if row is not None:
            return row
    raise RuntimeError("could not store a badge key for the event")


def signing_key(row: BadgeKey, secret_key: str) -> Ed25519PrivateKey:
    return tokens.decrypt_private_key(secret_key, bytes.fromhex(row.kid), row.private_key_sealed)


def known(row: BadgeKey) -> KnownKey:
    kid = bytes.fromhex(row.kid)
    key = _public_keys.get(kid)
    if key is None:
        key = KnownKey(row.event_id, kid, tokens.public_key_from_bytes(tokens.b64url_decode(row.public_key)))
        _public_keys[kid] = key
    return key


async def key_for_kid(db_session: AsyncSession, kid: bytes) -> KnownKey | None:
    """Whose key this is (any event's: a badge of another event is ``wrong_event``, not ``invalid``)."""
    cached = _public_keys.get(kid)
    if cached is not None:
        return cached
    row = await db_session.scalar(select(BadgeKey).where(BadgeKey.kid == kid.hex()))
    return known(row) if row is not None else None
