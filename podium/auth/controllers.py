"""Login/logout for people and API clients, and organizer-managed accounts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from podium.auth import services
from podium.auth.guards import requires_organizer, requires_signed_in
from podium.auth.lockout import MAIL_STATE_KEY, EnqueueMail
from podium.auth.middleware import SESSION_COOKIE
from podium.auth.models import User
from podium.auth.schemas import CurrentUser, LoginRequest, LoginResponse, UserCreate, UserRead
from podium.client_address import client_address as client_ip  # the one rule for the client's address
from podium.db import utcnow
from podium.errors import problem_responses
from podium.rate_limits import refuse_over
from podium.settings import Settings


def session_cookie(settings: Settings, token: str, max_age: int) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def user_read(user: User) -> UserRead:
    current = services.current_user_of(user)
    return UserRead(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=current.role,
        is_active=user.is_active,
        last_login_at=user.last_login_at,
    )


async def _forget_session_cookie(response: Response[Any]) -> Response[Any]:
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def attempt_login(
    db_session: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    address: str,
    *,
    mail: EnqueueMail | None = None,
) -> tuple[User, str, dt.datetime]:
    """A login's transactions (the API's and the login page's): the try is counted and committed first, so it
    lasts whatever happens next and the address's counter isn't held while the password is checked; then the
    password, whose failure is committed too before the refusal goes out (the lockout counts it)."""
    now = utcnow()
    counts = await services.count_login_try(db_session, settings, address, now)
    await db_session.commit()
    refuse_over(counts, now)
    try:
        found = await services.login(db_session, settings, email, password, address, mail=mail)
    except services.NotAuthenticated:
        await db_session.commit()
        raise
    await db_session.commit()
    return found


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post(
        "/login",
        status_code=HTTP_200_OK,
        operation_id="login",
        responses=problem_responses(401, 422, 429),
        security=[],
    )
    async def login(
        self,
        data: JSONBody[LoginRequest],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Response[LoginResponse]:
        """Exchange email and password for a bearer token; also sets the session cookie for pages."""
        settings: Settings = state.settings
        user, token, expires_at = await attempt_login(
            db_session, settings, data.email, data.password, client_ip(request), mail=state.get(MAIL_STATE_KEY)
        )
        body = LoginResponse(token=token, expires_at=expires_at, user=services.current_user_of(user))
        return Response(body, cookies=[session_cookie(settings, token, settings.session_ttl_seconds)])

    @post(
        "/logout",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="logout",
        guards=[requires_signed_in],
        security=[{"bearer": []}],
        responses=problem_responses(401),
        after_request=_forget_session_cookie,
    )
    async def logout(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> None:
        """Revoke the token this request used; the session cookie is cleared too."""
        await services.logout(db_session, request.auth)
        await db_session.commit()

    @get(
        "/me",
        operation_id="whoami",
        guards=[requires_signed_in],
        security=[{"bearer": []}],
        responses=problem_responses(401),
    )
    async def me(self, request: Request[Any, Any, Any]) -> CurrentUser:
        return request.user


class UserController(Controller):
    path = "/api/users"
    tags = ["auth"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @get("/", operation_id="listUsers", responses=problem_responses(401, 403))
    async def list_users(self, db_session: NamedDependency[AsyncSession]) -> list[UserRead]:
        return [user_read(u) for u in await services.list_users(db_session)]

    @post("/", operation_id="createUser", responses=problem_responses(401, 403, 409, 422))
    async def create_user(self, data: JSONBody[UserCreate], db_session: NamedDependency[AsyncSession]) -> UserRead:
        """Organizers add staff (scanning, lookup) and fellow organizers."""
        read = user_read(await services.create_user(db_session, data))
        await db_session.commit()
        return read
