"""Accounts, their login tokens, and the addresses each has logged in from."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import Base


class Role(enum.StrEnum):
    """Ordered by power: an organizer can do everything staff can."""

    STAFF = "staff"
    ORGANIZER = "organizer"


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint("role in ('organizer', 'staff')", name="role"),)

    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
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
