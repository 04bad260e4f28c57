"""Sign in by email in the browser: ask for a link, type the code, or open the link and confirm.

Opening a link changes nothing (mail scanners fetch links): the page shows a button, and its POST (CSRF-protected)
uses the link. Both end like a password login: the same session cookie, then the page that sent the person here
(a path on this site only) or their start page.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from podium.auth import sign_in
from podium.auth.controllers import session_cookie
from podium.auth.pages import landing
from podium.auth.schemas import SignInCodeRequest, SignInRequest
from podium.auth.sign_in_controllers import ask_for_sign_in, mailer, sign_in_with_code, sign_in_with_link
from podium.client_address import client_address
from podium.errors import InvalidInput, TooManyRequests
from podium.forms import FormData, read_form
from podium.i18n import gettext, known_or_as_is
from podium.pages import form_errors, local_path, redirect, render
from podium.settings import Settings

TOKEN_MAX = 200


def _signed_in(settings: Settings, signed: sign_in.SignedIn) -> Redirect:
    response = redirect(landing(signed.user.role, local_path(signed.next_path, "")))
    response.cookies.append(session_cookie(settings, signed.token, settings.session_ttl_seconds))
    return response


def _too_many(request: Request[Any, Any, Any], template: str, exc: TooManyRequests, **context: Any) -> Template:
    errors = {"__all__": gettext("Too many attempts. Try again in %(seconds)d seconds.") % {"seconds": exc.retry_after}}
    page = render(request, template, status_code=429, errors=errors, **context)
    page.headers.update(exc.headers)
    return page


class SignInPages(Controller):
    include_in_schema = False

    @get("/sign-in")
    async def form(self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Template:
        return render(request, "auth/sign_in.html", next=local_path(next, ""), email="", errors={})

    @post("/sign-in")
    async def ask(
        self, request: Request[Any, Any, Any], data: FormData, state: State, db_session: NamedDependency[AsyncSession]
    ) -> Template:
        settings: Settings = state.settings
        email, target = data.get("email", "").strip(), local_path(data.get("next"), "")
        context: dict[str, Any] = {"next": target, "email": email}
        try:
            wanted = read_form({"email": email, "next": target or None}, SignInRequest)
            await ask_for_sign_in(
                db_session, settings, wanted.email, wanted.next, client_address(request), mailer(state)
            )
        except InvalidInput as exc:
            return render(request, "auth/sign_in.html", status_code=422, errors=form_errors(exc), **context)
        except TooManyRequests as exc:
            return _too_many(request, "auth/sign_in.html", exc, **context)
        return render(request, "auth/sign_in_code.html", errors={}, **context)

    @post("/sign-in/code")
    async def code(
        self, request: Request[Any, Any, Any], data: FormData, state: State, db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        settings: Settings = state.settings
        email, code = data.get("email", "").strip(), "".join(data.get("code", "").split())
        context: dict[str, Any] = {"next": local_path(data.get("next"), ""), "email": email}
        try:
            wanted = read_form({"email": email, "code": code}, SignInCodeRequest)
            signed = await sign_in_with_code(db_session, settings, wanted.email, wanted.code, client_address(request))
        except InvalidInput as exc:
            return render(request, "auth/sign_in_code.html", status_code=422, errors=form_errors(exc), **context)
        except sign_in.SignInInvalid:
            errors = {"code": gettext("This code is wrong, was used already or has expired. Check the latest mail.")}
            return render(request, "auth/sign_in_code.html", status_code=400, errors=errors, **context)
        except TooManyRequests as exc:
            return _too_many(request, "auth/sign_in_code.html", exc, **context)
        return _signed_in(settings, signed)

    @get("/sign-in/{token:str}")
    async def link(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        token: FromPath[str],
    ) -> Template:
        """What the link does, and a button: nothing is used until the person presses it."""
        try:
            email = await sign_in.check_link(db_session, state.settings, token[:TOKEN_MAX])
        except sign_in.SignInInvalid as exc:
            error = known_or_as_is(exc.detail)
            return render(request, "auth/sign_in_link.html", status_code=400, token="", email="", error=error)
        return render(request, "auth/sign_in_link.html", token=token, email=email, error=None)

    @post("/sign-in/{token:str}")
    async def use_link(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        token: FromPath[str],
    ) -> Template | Redirect:
        settings: Settings = state.settings
        try:
            signed = await sign_in_with_link(db_session, settings, token[:TOKEN_MAX])
        except sign_in.SignInInvalid as exc:
            error = known_or_as_is(exc.detail)
            return render(request, "auth/sign_in_link.html", status_code=400, token="", email="", error=error)
        return _signed_in(settings, signed)
