"""Taking access back: organizers deactivate, reactivate and re-role accounts; people change their password
and list and end their own logins.

Every login is looked up in the database on each request (``services.user_for_token``), so revoking a token
or deactivating its user counts at once on every worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

import msgspec
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CursorResult, and_, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from podium import audit
from podium.auth.models import AuthToken, Role, User
from podium.auth.passwords import hash_password, verify_password
from podium.auth.schemas import TokenRead, UserUpdate
from podium.auth.services import USER_AUDIT_FIELDS, hash_token
from podium.db import begin_write, utcnow
from podium.errors import Conflict, InvalidInput, NotFound
from podium.i18n import N_
from podium.rate_limits import Limit, hit


async def update_user(db_session: AsyncSession, user_id: UUID, data: UserUpdate) -> User:
    """Apply an organizer's change. Never leaves the app without an active organizer (409 ``last_organizer``):
    the account and every active organizer are locked in one statement, in id order, so two organizers
    stepping down at once can't both pass the count, and can't deadlock each other either."""
    await begin_write(db_session)
    active_organizer = and_(User.role == Role.ORGANIZER.value, User.is_active.is_(True))
    locked = (
        await db_session.scalars(
            select(User)
            .where(or_(User.id == user_id, active_organizer))
            .order_by(User.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    user = next((u for u in locked if u.id == user_id), None)
    if user is None:
        raise NotFound(N_("no such account"), field="user_id")
    deactivating = data.is_active is False and user.is_active
    demoting = data.role is not msgspec.UNSET and data.role != Role.ORGANIZER.value
    was_organizer = user.is_active and user.role == Role.ORGANIZER.value
    others = [u for u in locked if u.id != user_id and u.is_active and u.role == Role.ORGANIZER.value]
    if was_organizer and (deactivating or demoting) and not others:
        field = "is_active" if deactivating else "role"
        raise Conflict(N_("this is the last active organizer"), field=field, code="last_organizer")
    before = audit.snapshot(user, USER_AUDIT_FIELDS)
    if data.display_name is not msgspec.UNSET:
        user.display_name = data.display_name.strip()
    if data.role is not msgspec.UNSET:
        user.role = Role(data.role).value
    if data.is_active is not msgspec.UNSET:
        user.is_active = data.is_active
    if deactivating:
        await revoke_all_tokens(db_session, user.id)
    after = audit.snapshot(user, USER_AUDIT_FIELDS)
    audit.record_updated(db_session, "user", user.id, before, after, None, action=_user_change(before, after))
    return user


def _user_change(before: dict[str, Any], after: dict[str, Any]) -> str:
    """The verb an audit reader filters on: deactivated, reactivated, role_changed, else updated."""
    if before["is_active"] != after["is_active"]:
        return "deactivated" if before["is_active"] else "reactivated"
    return "role_changed" if before["role"] != after["role"] else "updated"


async def revoke_all_tokens(db_session: AsyncSession, user_id: UUID, *, except_token: str | None = None) -> int:
    """End every login of the account (but the one named); the caller commits. Returns how many ended."""
    query = update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
    if except_token is not None:
        query = query.where(AuthToken.token_hash != hash_token(except_token))
    result = await db_session.execute(query.values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


async def end_all_logins(db_session: AsyncSession, user_id: UUID) -> int:
    """An organizer ends every login of an account that stays active (its holder can log in again)."""
    await get_user(db_session, user_id)
    await begin_write(db_session)
    ended = await revoke_all_tokens(db_session, user_id)
    audit.record_updated(db_session, "user", user_id, {}, {"logins_ended": ended}, None, action="logins_ended")
    return ended


# Password changes per account in ten minutes: a person needs one or two, a guesser thousands.
PASSWORD_CHECKS = (10, 10 * 60)


async def change_password(
    db_session: AsyncSession, user_id: UUID, current_token: str, current_password: str, new_password: str
) -> None:
    """The account's holder changes their password: every other login ends, this one stays. Attempts count per
    account (``PASSWORD_CHECKS``), so a stolen session can't be used to guess the current password."""
    user = await db_session.get(User, user_id)
    if user is None or not user.is_active:  # the login was checked a moment ago; deactivated since
        raise NotFound(N_("no such account"), field="user_id")
    await hit(db_session, [Limit(f"password-check:{user_id}", *PASSWORD_CHECKS)])
    if not await verify_password(user.password_hash, current_password):
        raise InvalidInput(N_("the current password is wrong"), field="current_password")
    new_hash = await hash_password(new_password)
    await begin_write(db_session)
    user.password_hash = new_hash
    audit.record_updated(
        db_session, "user", user_id, {}, {}, None, action="password_changed", secrets_changed=["password"]
    )
    await revoke_all_tokens(db_session, user_id, except_token=current_token)


async def get_user(db_session: AsyncSession, user_id: UUID) -> User:
    user = await db_session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no such account"), field="user_id")
    return user


async def list_tokens(db_session: AsyncSession, user_id: UUID, current_token: str | None) -> list[TokenRead]:
    """The account's logins still in force, newest first; ``current`` marks the one this request used."""
    current_hash = hash_token(current_token) if current_token else None
    rows: Sequence[AuthToken] = (
        await db_session.scalars(
            select(AuthToken)
            .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None), AuthToken.expires_at > utcnow())
            .order_by(AuthToken.created_at.desc(), AuthToken.id)
        )
    ).all()
    return [
        TokenRead(id=t.id, created_at=t.created_at, expires_at=t.expires_at, current=t.token_hash == current_hash)
        for t in rows
    ]


async def revoke_token(db_session: AsyncSession, user_id: UUID, token_id: UUID) -> None:
    """End one login of this account; another account's token id is a 404 like an unknown one."""
    await begin_write(db_session)
    result = await db_session.execute(
        update(AuthToken)
        .where(AuthToken.id == token_id, AuthToken.user_id == user_id)
        .values(revoked_at=func.coalesce(AuthToken.revoked_at, literal(utcnow(), DateTimeUTC(timezone=True))))
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise NotFound(N_("no such login"), field="token_id")
