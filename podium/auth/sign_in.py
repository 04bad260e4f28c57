"""Passwordless sign-in: a one-time link and a 6-digit code mailed to an address, for submitters, reviewers and
attendees (accounts of the role ``member``, made on first use) and for staff and organizers too.

- Asking answers the same whether or not the address has an account (the caller learns nothing): the account is
  made if it is missing, and the mail goes through the outbox.
- The link's token is random and only its SHA-256 is stored; the code is stored as an HMAC under the app's key
  and the row's id (six digits alone would be read back from a plain hash at once).
- A sign-in is used once: one conditional UPDATE consumes it (``used_at IS NULL`` in its WHERE), so two uses
  racing end in exactly one login, on SQLite and PostgreSQL alike.
- It expires (``sign_in_ttl_seconds``); at most ``sign_in_live_per_email`` are live per address (a new one
  retires the oldest); each code try is claimed (``code_tries + 1``, conditional) before it is compared, so
  tries sent at once still get ``sign_in_code_tries`` in all, after which the sign-in is dead.

Rate limits (per address and per client address) are counted by the controllers, in the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from podium import audit
from podium.auth.lockout import EnqueueMail
from podium.auth.models import Role, SignInToken, User
from podium.auth.services import USER_AUDIT_FIELDS, hash_token, issue_token, normalise_email
from podium.db import serialize_on, utcnow
from podium.errors import DomainError
from podium.i18n import N_
from podium.mail import MailTemplate
from podium.pages import local_path
from podium.settings import Settings

CODE_DIGITS = 6
SIGN_IN = MailTemplate(
    "sign_in",
    N_("Sign-in link and code"),
    {
        "name": "ada",
        "email": "ada@example.org",
        "minutes": 15,
        "code": "042917",
        "sign_in_url": "https://podium.example/sign-in/sample",
    },
    per_event=False,
)
# The templates this module sends, installed with every domain's by the composition root (``podium.main``).
MAIL_TEMPLATES: tuple[MailTemplate, ...] = (SIGN_IN,)


class SignInInvalid(DomainError):
    """One answer for every way a link or code fails (unknown, used, expired, out of tries, wrong code), so a
    guesser learns nothing about which. A 401, as a wrong password is."""

    status_code = 401
    code = "sign_in_invalid"
    title = "Sign-in not valid"


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    token: str
    expires_at: dt.datetime
    next_path: str


def code_hash(secret_key: str, token_id: UUID, code: str) -> str:
    return hmac.new(secret_key.encode(), f"sign-in:{token_id}:{code}".encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def email_limit_key(email: str) -> str:
    return f"sign-in-email:{normalise_email(email)}"


async def member_account(db_session: AsyncSession, email: str, display_name: str = "") -> User:
    """The account of ``email``, made as a member's (no password: it signs in by mailed link or code) when there
    is none; the one way the kernel makes an account for a person who never signed up (a first sign-in, an
    organizer inviting a reviewer). The address is normalised first; ``display_name`` names a new account only
    (an existing one keeps its own; blank: the address's local part). Callers for one address queue
    (PostgreSQL's advisory lock; SQLite's one writer), so two first uses at once make one account. The caller
    commits; an existing account is returned as it is, deactivated or not, whatever its role."""
    email = normalise_email(email)
    await serialize_on(db_session, f"sign-in-account:{email}")
    user = await db_session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user
    user = User(
        id=uuid4(),  # known before the flush, for its audit entry
        email=email,
        display_name=" ".join(display_name.split())[:200] or email.partition("@")[0][:200] or email[:200],
        password_hash=None,
        role=Role.MEMBER.value,
        is_active=True,
    )
    db_session.add(user)
    audit.record_created(db_session, "user", user.id, audit.snapshot(user, USER_AUDIT_FIELDS), None)
    await db_session.flush()
    return user


async def _retire_oldest(db_session: AsyncSession, user_id: UUID, keep: int, now: dt.datetime) -> None:
    """Expire the address's live sign-ins beyond the newest ``keep``."""
    live = (
        await db_session.scalars(
            select(SignInToken.id)
            .where(SignInToken.user_id == user_id, SignInToken.used_at.is_(None), SignInToken.expires_at > now)
            .order_by(SignInToken.created_at.desc(), SignInToken.id)
        )
    ).all()
    retired = list(live[max(keep, 0) :])
    if retired:
        await db_session.execute(
            update(SignInToken)
            .where(SignInToken.id.in_(retired))
            .values(expires_at=now)
            .execution_options(synchronize_session=False)
        )


async def request_sign_in(
    db_session: AsyncSession, settings: Settings, email: str, next_path: str | None, mail: EnqueueMail
) -> None:
    """Mail a new link and code to ``email`` (making its member account if there is none); the caller commits.
    A deactivated account gets nothing, and the caller answers as for any other."""
    email = normalise_email(email)
    now = utcnow()
    user = await member_account(db_session, email)
    if not user.is_active:
        return
    await _retire_oldest(db_session, user.id, settings.sign_in_live_per_email - 1, now)
    token, code, token_id = secrets.token_urlsafe(32), new_code(), uuid4()
    db_session.add(
        SignInToken(
            id=token_id,
            user_id=user.id,
            token_hash=hash_token(token),
            code_hash=code_hash(settings.secret_key, token_id, code),
            next_path=local_path(next_path, "")[:500],
            expires_at=now + dt.timedelta(seconds=settings.sign_in_ttl_seconds),
            code_tries=0,
        )
    )
    await mail(
        db_session,
        dedupe_key=f"sign-in:{token_id}",
        to=user.email,
        template=SIGN_IN.name,
        context={
            "name": user.display_name,
            "email": user.email,
            "minutes": max(1, settings.sign_in_ttl_seconds // 60),
            "code": code,
            "sign_in_url": f"{settings.base_url}/sign-in/{token}",
        },
    )


def _live(now: dt.datetime, settings: Settings) -> tuple[ColumnElement[bool], ...]:
    return (
        SignInToken.used_at.is_(None),
        SignInToken.expires_at > now,
        SignInToken.code_tries < settings.sign_in_code_tries,
    )


async def _signed_in(
    db_session: AsyncSession, settings: Settings, user_id: UUID, next_path: str, now: dt.datetime
) -> SignedIn:
    """The login a consumed sign-in gives; the address's other live sign-ins end with it."""
    user = await db_session.get(User, user_id)
    if user is None or not user.is_active:
        raise SignInInvalid(N_("this sign-in link or code is not valid or has expired"), field="token")
    await db_session.execute(
        update(SignInToken)
        .where(SignInToken.user_id == user_id, SignInToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    user.last_login_at = now
    token, expires_at = await issue_token(db_session, user, settings)
    return SignedIn(user, token, expires_at, next_path)


async def check_link(db_session: AsyncSession, settings: Settings, token: str) -> str:
    """The address a link signs into, if it is live (the confirmation page shows it); it changes nothing."""
    email = await db_session.scalar(
        select(User.email)
        .join(SignInToken, SignInToken.user_id == User.id)
        .where(SignInToken.token_hash == hash_token(token), *_live(utcnow(), settings))
    )
    if email is None:
        raise SignInInvalid(N_("this sign-in link is not valid, was used already or has expired"), field="token")
    return email


async def use_link(db_session: AsyncSession, settings: Settings, token: str) -> SignedIn:
    """Consume the link (one conditional UPDATE: of two racing uses exactly one wins) and log its account in;
    the caller commits."""
    now = utcnow()
    row = (
        await db_session.execute(
            update(SignInToken)
            .where(SignInToken.token_hash == hash_token(token), *_live(now, settings))
            .values(used_at=now)
            .returning(SignInToken.user_id, SignInToken.next_path)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if row is None:
        raise SignInInvalid(N_("this sign-in link is not valid, was used already or has expired"), field="token")
    return await _signed_in(db_session, settings, row.user_id, row.next_path, now)


async def use_code(db_session: AsyncSession, settings: Settings, email: str, code: str) -> SignedIn:
    """Sign in with the code mailed to ``email``. Each try is claimed first on every live sign-in of the address
    (a conditional increment, so tries sent at once queue and count); a wrong code raises ``SignInInvalid``
    with its tries recorded, which the caller commits before answering."""
    now = utcnow()
    wrong = SignInInvalid(N_("the code is wrong, was used already or has expired"), field="code")
    code = "".join(code.split())
    user_id = await db_session.scalar(select(User.id).where(User.email == normalise_email(email)))
    if user_id is None:
        raise wrong
    claimed = (
        await db_session.execute(
            update(SignInToken)
            .where(SignInToken.user_id == user_id, *_live(now, settings))
            .values(code_tries=SignInToken.code_tries + 1)
            .returning(SignInToken.id, SignInToken.code_hash, SignInToken.next_path)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not (len(code) == CODE_DIGITS and code.isascii() and code.isdigit()):
        raise wrong
    match = next(
        (r for r in claimed if hmac.compare_digest(r.code_hash, code_hash(settings.secret_key, r.id, code))), None
    )
    if match is None:
        raise wrong
    return await _signed_in(db_session, settings, user_id, match.next_path, now)
