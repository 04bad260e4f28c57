"""Account pages: your own password and logins (/account), and the organizers' list of accounts
(/organizer/users) to deactivate, reactivate, re-role them and end their logins. Same services as the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from podium.auth import accounts, services
from podium.auth.controllers import user_read
from podium.auth.guards import requires_organizer, requires_staff
from podium.auth.schemas import CurrentUser, PasswordChange, UserUpdate
from podium.errors import DomainError
from podium.forms import FormData
from podium.i18n import N_, gettext, ngettext
from podium.pages import form_errors, redirect, render

# Roles as the account page names them (the values stay the API's).
ROLE_LABELS = {"member": N_("member"), "staff": N_("staff"), "organizer": N_("organizer")}


def _with_notice(path: str, notice: str) -> Redirect:
    return redirect(f"{path}?{urlencode({'notice': notice})}")


class AccountPages(Controller):
    include_in_schema = False
    guards = [requires_staff]

    async def _page(
        self,
        request: Request[CurrentUser, str, Any],
        db_session: AsyncSession,
        *,
        notice: str | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        tokens = await accounts.list_tokens(db_session, request.user.id, request.auth)
        return render(
            request,
            "auth/account.html",
            status_code=status_code,
            tokens=tokens,
            role_labels=ROLE_LABELS,
            notice=notice,
            errors=errors or {},
        )

    @get("/account")
    async def account(
        self,
        request: Request[CurrentUser, str, Any],
        db_session: NamedDependency[AsyncSession],
        notice: FromQuery[str | None] = None,
    ) -> Template:
        return await self._page(request, db_session, notice=(notice or "")[:200] or None)

    @post("/account/password")
    async def change_password(
        self, request: Request[CurrentUser, str, Any], data: FormData, db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        """Every other login ends; this browser stays logged in."""
        if data.get("new_password", "") != data.get("new_password_again", ""):
            errors = {"new_password_again": gettext("The two new passwords differ.")}
            return await self._page(request, db_session, errors=errors, status_code=422)
        body = {"current_password": data.get("current_password", ""), "new_password": data.get("new_password", "")}
        try:
            change = msgspec.convert(body, PasswordChange)
            await accounts.change_password(
                db_session, request.user.id, request.auth, change.current_password, change.new_password
            )
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            return await self._page(request, db_session, errors=form_errors(exc), status_code=422)
        return _with_notice("/account", gettext("Password changed. Every other session of yours has ended."))

    @post("/account/tokens/{token_id:uuid}/revoke")
    async def revoke(
        self,
        token_id: FromPath[UUID],
        request: Request[CurrentUser, str, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Redirect:
        await accounts.revoke_token(db_session, request.user.id, token_id)
        await db_session.commit()
        return _with_notice("/account", gettext("That session has ended."))


class OrganizerUserPages(Controller):
    path = "/organizer/users"
    include_in_schema = False
    guards = [requires_organizer]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        *,
        notice: str | None = None,
        error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        users = [user_read(u) for u in await services.list_users(db_session)]
        return render(request, "organizer/users.html", status_code=status_code, users=users, notice=notice, error=error)

    @get("/")
    async def users(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        notice: FromQuery[str | None] = None,
    ) -> Template:
        return await self._page(request, db_session, notice=(notice or "")[:200] or None)

    @post("/{user_id:uuid}")
    async def update(
        self,
        user_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        """One account's role and whether it may log in (the checkbox is absent from the form when unticked)."""
        body: dict[str, Any] = {"is_active": data.get("is_active") == "on"}
        if data.get("role"):
            body["role"] = data["role"]
        try:
            user = await accounts.update_user(db_session, user_id, msgspec.convert(body, UserUpdate))
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            if isinstance(exc, DomainError) and exc.status_code == 404:
                raise
            error = "; ".join(form_errors(exc).values())
            return await self._page(request, db_session, error=error, status_code=getattr(exc, "status_code", 422))
        if user.is_active:
            notice = gettext("%(name)s (%(role)s) can log in.")
        else:
            notice = gettext("%(name)s (%(role)s) is deactivated: every session of theirs has ended.")
        return _with_notice("/organizer/users", notice % {"name": user.display_name, "role": gettext(user.role)})

    @post("/{user_id:uuid}/logout")
    async def end_logins(self, user_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]) -> Redirect:
        ended = await accounts.end_all_logins(db_session, user_id)
        await db_session.commit()
        return _with_notice(
            "/organizer/users", ngettext("Ended %(num)s session.", "Ended %(num)s sessions.", ended) % {"num": ended}
        )
