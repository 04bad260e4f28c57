"""The page behind the link an account's owner is mailed when strangers' guesses guard the account.

GET shows what the link does and a button; POST (a CSRF-protected form, so a mail scanner following the link
changes nothing) lifts the guard once (``lockout.unlock``).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from podium.auth import lockout
from podium.db import utcnow
from podium.forms import FormData
from podium.i18n import known_or_as_is
from podium.pages import render
from podium.settings import Settings


class AccountUnlockPages(Controller):
    include_in_schema = False

    @get("/account/unlock")
    async def form(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        token: FromQuery[str] = "",
    ) -> Template:
        settings: Settings = state.settings
        try:
            email = await lockout.check_unlock(db_session, settings.secret_key, token[:500], utcnow())
        except lockout.UnlockLinkInvalid as exc:
            error = known_or_as_is(exc.detail)
            return render(request, "auth/unlock.html", status_code=400, token="", email="", error=error, done=False)
        return render(request, "auth/unlock.html", token=token, email=email, error=None, done=False)

    @post("/account/unlock")
    async def unlock(
        self, request: Request[Any, Any, Any], data: FormData, state: State, db_session: NamedDependency[AsyncSession]
    ) -> Template:
        settings: Settings = state.settings
        try:
            email = await lockout.unlock(db_session, settings.secret_key, data.get("token", "")[:500], utcnow())
        except lockout.UnlockLinkInvalid as exc:
            error = known_or_as_is(exc.detail)
            return render(request, "auth/unlock.html", status_code=400, token="", email="", error=error, done=False)
        await db_session.commit()
        return render(request, "auth/unlock.html", token="", email=email, error=None, done=True)
