"""Login, logout and accounts. Tokens are random and stored hashed; throttling lives in the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from typing import cast
from uuid import uuid4

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from podium import audit, rate_limits
from podium.auth import lockout
from podium.auth.lockout import EnqueueMail
from podium.auth.models import AuthToken, Role, User
from podium.auth.passwords import hash_password, verify_password
from podium.auth.schemas import AnyRole, CurrentUser, UserCreate
from podium.db import savepoint, serialize_on, utcnow
from podium.db_prebuilt import Prebuilt, Runner
from podium.errors import Conflict, DomainError
from podium.i18n import N_
from podium.rate_limits import Limit
from podium.settings import Settings


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"
    title = "Not authenticated"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_user_of(user: User) -> CurrentUser:
    # The CHECK constraint on user_account.role keeps it to the literals.
    role = cast(AnyRole, user.role)
    return CurrentUser(id=user.id, email=user.email, display_name=user.display_name, role=role)


async def create_user(db_session: AsyncSession, data: UserCreate) -> User:
    user = User(
        id=uuid4(),  # known before the flush, for its audit entry
        email=normalise_email(data.email),
        display_name=data.display_name.strip(),
        password_hash=await hash_password(data.password),
        role=Role(data.role).value,
        is_active=True,
    )
    async with savepoint(db_session, Conflict(N_("an account with this email already exists"), field="email")):
        db_session.add(user)
        audit.record_created(db_session, "user", user.id, audit.snapshot(user, USER_AUDIT_FIELDS), None)
    return user


async def set_password(db_session: AsyncSession, email: str, password: str) -> User:
    user = await db_session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotAuthenticated(N_("no such account"), field="email")
    user.password_hash = await hash_password(password)
    audit.record_updated(db_session, "user", user.id, {}, {}, None, action="password_set", secrets_changed=["password"])
    await db_session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
    return user


async def list_users(db_session: AsyncSession) -> Sequence[User]:
    return (await db_session.scalars(select(User).order_by(User.role, User.email))).all()


async def issue_token(db_session: AsyncSession, user: User, settings: Settings) -> tuple[str, dt.datetime]:
    """A new login for ``user``; the caller commits."""
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + dt.timedelta(seconds=settings.session_ttl_seconds)
    db_session.add(AuthToken(user_id=user.id, token_hash=hash_token(token), expires_at=expires_at))
    return token, expires_at


async def count_login_try(
    db_session: AsyncSession, settings: Settings, client_ip: str, now: dt.datetime
) -> list[rate_limits.Count]:
    """Count a login try against its address's limit. The caller commits at once and then refuses what is over
    (``rate_limits.refuse_over``): the try counts whatever happens next, and the address's counter row is not held
    while the password is checked (logins from one address would wait for each other's)."""
    limit = Limit(f"login:{client_ip}", settings.login_limit_per_address, settings.rate_limit_window_seconds)
    return await rate_limits.count(db_session, [limit], now)


async def login(
    db_session: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    client_ip: str,
    *,
    mail: EnqueueMail | None = None,
) -> tuple[User, str, dt.datetime]:
    """Check the password unless this address, or this address for this account, is locked out; count
    failures (``lockout``: strangers' guesses never lock the owner out; ``mail`` sends the owner's unlock link).
    The try was counted first (``count_login_try``). A wrong password raises ``NotAuthenticated`` with the
    failure recorded: the caller commits it before it answers, so the lockout counts it."""
    email = normalise_email(email)
    now = utcnow()
    # Tries for one account from one address wait their turn, so each sees what the ones before it counted:
    # checked side by side, 10 wrong guesses sent at once against a limit of 5 had 9 passwords checked on
    # PostgreSQL. Waiting, not refusing, so 16 scanners logging in at once with one staff account all get in.
    await serialize_on(db_session, lockout.Keys.of(email, client_ip).pair)
    await lockout.refuse_if_locked(db_session, email, client_ip, now)
    user = await db_session.scalar(select(User).where(User.email == email))
    # A member has no password (None never verifies); the role is refused too, should one ever be given one.
    valid = await verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active or user.role == Role.MEMBER:
        await lockout.record_failure(db_session, settings, email, client_ip, now, mail)
        raise NotAuthenticated(N_("the email or the password is wrong"), field="password")
    await lockout.record_success(db_session, user, client_ip, now)
    user.last_login_at = now
    token, expires_at = await issue_token(db_session, user, settings)
    return user, token, expires_at


async def logout(db_session: AsyncSession, token: str) -> None:
    await db_session.execute(
        update(AuthToken)
        .where(AuthToken.token_hash == hash_token(token), AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


_users = cast(Table, User.__table__)
_tokens = cast(Table, AuthToken.__table__)
# Every staff request runs this, so it is built and compiled once (and on PostgreSQL goes straight to asyncpg).
# What the audit trail keeps of an account: never the password hash (a password change is recorded as such).
USER_AUDIT_FIELDS = ("email", "display_name", "role", "is_active")

_USER_FOR_TOKEN = Prebuilt(
    select(_users.c.id, _users.c.email, _users.c.display_name, _users.c.role)
    .select_from(_users.join(_tokens, _tokens.c.user_id == _users.c.id))
    .where(
        _tokens.c.token_hash == bindparam("token_hash"),
        _tokens.c.revoked_at.is_(None),
        _tokens.c.expires_at > bindparam("now", type_=DateTimeUTC(timezone=True)),
        _users.c.is_active.is_(True),
    )
)


async def user_for_token(connection: Runner, token: str) -> CurrentUser | None:
    """Who holds this login, asked of the database every time (a logout or a deactivation counts at once on
    every worker)."""
    row = await _USER_FOR_TOKEN.first(connection, {"token_hash": hash_token(token), "now": utcnow()})
    if row is None:
        return None
    role = cast(AnyRole, row.role)
    return CurrentUser(id=row.id, email=row.email, display_name=row.display_name, role=role)
