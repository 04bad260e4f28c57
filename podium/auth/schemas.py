"""Wire types of login and account management."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from podium.schema import Struct

# `\s` differs between Python's re and the JSON Schema (ECMA) regex that clients and fuzzers read (\x1c-\x1f,
# \x85, \ufeff), so the control ranges and \ufeff are named too: both engines then accept the same addresses.
EMAIL_CHARACTER = r"[^@\s\x00-\x1f\x7f-\x9f\ufeff]"
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=f"^{EMAIL_CHARACTER}+@{EMAIL_CHARACTER}+$")]
# Any character but NUL, which every request body refuses (podium/input_guards.py): said in the schema too, so
# a client (or the fuzzer) reading it knows a NUL is refused rather than finding out from a 422.
_NO_NUL = r"^[^\x00]*$"
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024, pattern=_NO_NUL)]
NewPassword = Annotated[str, msgspec.Meta(min_length=12, max_length=1024, pattern=_NO_NUL)]
# Every role an account may have; organizers give passwords only to staff and organizers (``UserCreate``).
AnyRole = Literal["organizer", "staff", "member"]


class CurrentUser(msgspec.Struct, frozen=True):
    """Who is calling; what the guards look at. Never carries the password hash."""

    id: UUID
    email: str
    display_name: str
    role: AnyRole


class LoginRequest(Struct):
    email: Email
    password: Password


class LoginResponse(Struct):
    token: str
    expires_at: dt.datetime
    user: CurrentUser
    token_type: Literal["bearer"] = "bearer"


class UserCreate(Struct):
    email: Email
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    password: NewPassword
    role: Literal["organizer", "staff"]


class UserRead(Struct):
    id: UUID
    email: str
    display_name: str
    role: AnyRole
    is_active: bool
    last_login_at: dt.datetime | None


class UserUpdate(Struct):
    """An organizer's change to an account; fields left out stay as they are. ``is_active: false`` ends every
    login of the account at once."""

    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    role: Literal["organizer", "staff"] | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET


class PasswordChange(Struct):
    current_password: Password
    new_password: NewPassword


class TokenRead(Struct):
    """One login (a page session or an API client's bearer token); never the token or its hash."""

    id: UUID
    created_at: dt.datetime
    expires_at: dt.datetime
    current: bool


# A path on this site to return to after signing in; anything else (another site) is ignored, never followed.
NextPath = Annotated[str, msgspec.Meta(max_length=500, pattern=_NO_NUL)]
SignInCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$", description="the 6-digit code from the mail")]


class SignInRequest(Struct):
    """Mail me a sign-in link and code (an account is made for a new address)."""

    email: Email
    next: NextPath | None = None


class SignInAccepted(Struct):
    """The same answer for every address, with or without an account."""

    detail: str


class SignInCodeRequest(Struct):
    email: Email
    code: SignInCode
