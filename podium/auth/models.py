"""Accounts, their login tokens, the addresses each has logged in from, and one-time sign-in links."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import Base
from podium.enums import in_sql


class Role(enum.StrEnum):
    """Ordered by power: an organizer can do everything staff can. A member (a submitter, reviewer or attendee
    who signed in by a mailed link) has no password and passes no staff guard."""

    MEMBER = "member"
    STAFF = "staff"
    ORGANIZER = "organizer"


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint(in_sql("role", Role), name="role"),)

    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # None for accounts made by signing in by email: no password can ever match it.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    role: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class AuthToken(Base):
    """A login: the cookie of a page session or the bearer token of an API client. Only its hash is kept."""

    __tablename__ = "auth_token"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class LoginAddress(DefaultBase):
    """An address an account has logged in from: while strangers' guesses guard the account
    (podium/auth/lockout.py), its owner can still log in from these."""

    __tablename__ = "login_address"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_login_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class SignInToken(Base):
    """A one-time sign-in mailed to an address: a link (only its hash is kept) and a 6-digit code (kept as an
    HMAC under the app's key and this row's id). Used once (``used_at``, set by a conditional UPDATE); each code
    try is claimed before it is checked (``code_tries``), so guesses sent at once still get only the allowed few."""

    __tablename__ = "sign_in_token"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    next_path: Mapped[str] = mapped_column(String(500), default="")
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    code_tries: Mapped[int] = mapped_column(Integer, default=0)
