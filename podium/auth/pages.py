"""Log in and out in the browser; the same service and the same session token as the JSON API."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from podium.auth import services
from podium.auth.controllers import attempt_login, client_ip, session_cookie
from podium.auth.lockout import MAIL_STATE_KEY
from podium.auth.middleware import SESSION_COOKIE
from podium.auth.models import Role
from podium.errors import TooManyRequests
from podium.forms import FormData
from podium.i18n import gettext
from podium.pages import local_path, redirect, render
from podium.settings import Settings


def landing(role: str, target: str) -> str:
    """Where a login goes: the page that sent the person here, else their own start page. Staff start on the
    scanner (``/staff`` picks the event) and never on the organizer console, which would only refuse them;
    members never on either."""
    if role == Role.MEMBER:  # no console of their own: back where they were, or the events
        return target if target and not target.startswith(("/organizer", "/staff")) else "/"
    home = "/organizer" if role == Role.ORGANIZER else "/staff"
    if not target or (role != Role.ORGANIZER and target.startswith("/organizer")):
        return home
    return target


class LoginPages(Controller):
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Template:
        return render(request, "auth/login.html", next=local_path(next, ""), email="", error=None)

    @post("/login")
    async def login(
        self, request: Request[Any, Any, Any], data: FormData, state: State, db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        settings: Settings = state.settings
        email, target = data.get("email", "").strip(), local_path(data.get("next"), "")
        try:
            user, token, _ = await attempt_login(
                db_session,
                settings,
                email,
                data.get("password", ""),
                client_ip(request),
                mail=state.get(MAIL_STATE_KEY),
            )
        except services.NotAuthenticated:
            error = gettext("The email or the password is wrong.")
            return render(request, "auth/login.html", status_code=401, next=target, email=email, error=error)
        except TooManyRequests as exc:
            error = gettext("Too many attempts. Try again in %(seconds)d seconds.") % {"seconds": exc.retry_after}
            page = render(request, "auth/login.html", status_code=429, next=target, email=email, error=error)
            page.headers.update(exc.headers)
            return page
        response = redirect(landing(user.role, target))
        response.cookies.append(session_cookie(settings, token, settings.session_ttl_seconds))
        return response

    @post("/logout")
    async def logout(
        self, request: Request[Any, Any, Any], state: State, db_session: NamedDependency[AsyncSession]
    ) -> Redirect:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await services.logout(db_session, token)
            await db_session.commit()
        response = redirect("/")
        response.cookies.append(session_cookie(state.settings, "", 0))
        return response
