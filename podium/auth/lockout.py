"""Failed-login limits that slow a guesser without handing anyone a way to lock an owner out.

Three counters per failed login, all in ``rate_limit`` (one statement, ``podium.rate_limits.count``):

- per (address, account) pair: ``login_max_failures`` lock that pair (that address, that account) out;
- per address: ``login_max_failures_per_ip`` lock the address out (one address guessing many accounts);
- per account, from anywhere: ``login_account_guard_failures`` *guard* the account for
  ``login_lockout_seconds`` (renewed by every further failure). A guarded account still takes logins from the
  addresses it logged in from before (``LoginAddress``), so its owner at their usual desk is not refused;
  strangers' tries are refused (429). The owner is mailed, once per alarm, a link that lifts the guard
  (for the owner travelling, on a new address).

The link carries the account's email, when it was issued and an HMAC of both under the app's secret; it works
for ``UNLOCK_LINK_HOURS`` and once: using it stores the moment (a ``login-unlocked:`` row), and a link issued
before the last use no longer opens anything.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from podium import rate_limits
from podium.auth.models import LoginAddress, User
from podium.errors import DomainError, TooManyRequests
from podium.i18n import N_, ngettext
from podium.mail import MailTemplate
from podium.rate_limits import Limit, RateLimit
from podium.settings import Settings

UNLOCK_LINK_HOURS = 24
LOGIN_GUARD = MailTemplate(
    "login_guard",
    N_("Many failed logins to an account"),
    {
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "minutes": 15,
        "hours": UNLOCK_LINK_HOURS,
        "unlock_url": "https://podium.example/account/unlock?token=sample",
    },
    per_event=False,
)
# The templates this module sends, installed with every domain's by the composition root (``podium.main``).
MAIL_TEMPLATES: tuple[MailTemplate, ...] = (LOGIN_GUARD,)
# Where the app's state keeps the outbox's ``enqueue`` for the login routes.
MAIL_STATE_KEY = "enqueue_mail"


class EnqueueMail(Protocol):
    """The outbox's ``enqueue`` (``podium.outbox``), handed in by the app (``MAIL_STATE_KEY``)."""

    def __call__(
        self,
        db_session: AsyncSession,
        *,
        dedupe_key: str,
        to: str,
        template: str,
        context: Mapping[str, Any],
        attachments: Sequence[str] = (),
    ) -> Awaitable[None]: ...


class UnlockLinkInvalid(DomainError):
    status_code = 400
    code = "unlock_link_invalid"
    title = "Unlock link not valid"


@dataclass(frozen=True, slots=True)
class Keys:
    pair: str
    address: str
    account: str

    @classmethod
    def of(cls, email: str, address: str) -> Keys:
        return cls(f"login-pair:{address}|{email}", f"login-ip:{address}", f"login-account:{email}")


def _unlocked_key(email: str) -> str:
    return f"login-unlocked:{email}"


async def refuse_if_locked(db_session: AsyncSession, email: str, address: str, now: dt.datetime) -> None:
    """429 if this pair or this address is locked out, or the account is guarded and this address is new to it."""
    keys = Keys.of(email, address)
    rows = (
        await db_session.execute(
            select(RateLimit.key, RateLimit.locked_until).where(
                RateLimit.key.in_([keys.pair, keys.address, keys.account]), RateLimit.locked_until > now
            )
        )
    ).all()
    locks = {key: until for key, until in rows if until is not None}
    if keys.account in locks and await _known_address(db_session, email, address):
        del locks[keys.account]
    if locks:
        retry_after = rate_limits.seconds_until(max(locks.values()), now)
        detail = ngettext(
            "too many failed logins; try again in %(num)d second",
            "too many failed logins; try again in %(num)d seconds",
            retry_after,
        )
        raise TooManyRequests(detail % {"num": retry_after}, retry_after=retry_after)


async def _known_address(db_session: AsyncSession, email: str, address: str) -> bool:
    found = await db_session.scalar(
        select(LoginAddress.address)
        .join(User, User.id == LoginAddress.user_id)
        .where(User.email == email, LoginAddress.address == address)
    )
    return found is not None


async def record_failure(
    db_session: AsyncSession,
    settings: Settings,
    email: str,
    address: str,
    now: dt.datetime,
    mail: EnqueueMail | None,
) -> None:
    """Count a failed login on its three counters; lock what reached its limit; alarm the owner once."""
    keys = Keys.of(email, address)
    window = settings.login_window_seconds
    counts = await rate_limits.count(
        db_session,
        [
            Limit(keys.pair, settings.login_max_failures, window),
            Limit(keys.address, settings.login_max_failures_per_ip, window),
            Limit(keys.account, settings.login_account_guard_failures, window),
        ],
        now,
    )
    reached = [c for c in counts if c.hits >= c.limit.limit]
    if reached:
        until = now + dt.timedelta(seconds=settings.login_lockout_seconds)
        await rate_limits.lock(db_session, [c.limit.key for c in reached], until)
    alarm = next((c for c in reached if c.limit.key == keys.account and c.hits == c.limit.limit), None)
    if alarm is not None and mail is not None:
        await _mail_unlock_link(db_session, settings, email, now, alarm.window_ends_at, mail)


async def record_success(db_session: AsyncSession, user: User, address: str, now: dt.datetime) -> None:
    """The right password: this pair's failures are forgotten and the address becomes one the owner uses."""
    await rate_limits.forget(db_session, [Keys.of(user.email, address).pair])
    dialect = (await db_session.connection()).dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(LoginAddress).values(user_id=user.id, address=address[:64], last_login_at=now)
    await db_session.execute(
        statement.on_conflict_do_update(
            index_elements=[LoginAddress.user_id, LoginAddress.address], set_={"last_login_at": now}
        )
    )


async def _mail_unlock_link(
    db_session: AsyncSession,
    settings: Settings,
    email: str,
    now: dt.datetime,
    window_ends_at: dt.datetime,
    mail: EnqueueMail,
) -> None:
    user = await db_session.scalar(select(User).where(User.email == email, User.is_active.is_(True)))
    if user is None:  # guesses at an address nobody has: nobody to tell
        return
    link = f"{settings.base_url}/account/unlock?token={quote(unlock_token(settings.secret_key, email, now))}"
    await mail(
        db_session,
        dedupe_key=f"login-guard:{email}:{int(window_ends_at.timestamp())}",
        to=user.email,
        template=LOGIN_GUARD.name,
        context={
            "name": user.display_name,
            "email": user.email,
            "minutes": settings.login_lockout_seconds // 60,
            "hours": UNLOCK_LINK_HOURS,
            "unlock_url": link,
        },
    )


# ------------------------------------------------------------------------------------------ the unlock link


def _mac(secret_key: str, email: str, issued: int) -> str:
    digest = hmac.new(secret_key.encode(), f"unlock:{email}:{issued}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def unlock_token(secret_key: str, email: str, issued_at: dt.datetime) -> str:
    issued = int(issued_at.timestamp())
    encoded = base64.urlsafe_b64encode(email.encode()).decode().rstrip("=")
    return f"{encoded}.{issued}.{_mac(secret_key, email, issued)}"


def read_unlock_token(secret_key: str, token: str, now: dt.datetime) -> tuple[str, dt.datetime]:
    """The account's email and when the link was issued, if the link is genuine and has not expired."""
    invalid = UnlockLinkInvalid(N_("this unlock link is not valid or has expired"), field="token")
    try:
        encoded, issued_text, mac = token.split(".")
        email = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        issued = int(issued_text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid from exc
    # As bytes: a link may carry any text, and compare_digest refuses non-ASCII str.
    if not hmac.compare_digest(mac.encode(), _mac(secret_key, email, issued).encode()):
        raise invalid
    try:
        issued_at = dt.datetime.fromtimestamp(issued, dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:  # a signed but absurd time can't come from us
        raise invalid from exc
    if now - issued_at > dt.timedelta(hours=UNLOCK_LINK_HOURS):
        raise invalid
    return email, issued_at


async def check_unlock(db_session: AsyncSession, secret_key: str, token: str, now: dt.datetime) -> str:
    """The email the link unlocks, if it is genuine, unexpired and not used (no unlock since it was issued)."""
    email, issued_at = read_unlock_token(secret_key, token, now)
    used_at = await db_session.scalar(select(RateLimit.locked_until).where(RateLimit.key == _unlocked_key(email)))
    if used_at is not None and used_at >= issued_at:
        raise UnlockLinkInvalid(N_("this unlock link was already used"), field="token", code="unlock_link_used")
    return email


async def unlock(db_session: AsyncSession, secret_key: str, token: str, now: dt.datetime) -> str:
    """Lift the account's guard (and this link with it); the caller commits. Returns the account's email."""
    email = await check_unlock(db_session, secret_key, token, now)
    used = _unlocked_key(email)
    await rate_limits.forget(db_session, [Keys.of(email, "").account, used])
    # The moment of use (as its lock), kept as long as a link issued before it could still be valid; an upsert,
    # so two clicks at once both succeed harmlessly.
    await rate_limits.count(db_session, [Limit(used, 1, UNLOCK_LINK_HOURS * 3600)], now)
    await rate_limits.lock(db_session, [used], now)
    return email
