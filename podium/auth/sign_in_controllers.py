"""Passwordless sign-in over the JSON API, and the transactions the sign-in pages share with it.

Each verb counts its rate limits first, in a transaction of their own (``rate_limits.hit``: a try counts whatever
happens next), then does its work and commits; a wrong code's claimed try is committed before the refusal.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED
from sqlalchemy.ext.asyncio import AsyncSession

from podium import rate_limits
from podium.auth import services, sign_in
from podium.auth.controllers import session_cookie
from podium.auth.lockout import MAIL_STATE_KEY, EnqueueMail
from podium.auth.schemas import LoginResponse, SignInAccepted, SignInCodeRequest, SignInRequest
from podium.client_address import client_address
from podium.errors import problem_responses
from podium.rate_limits import Limit
from podium.settings import Settings

ACCEPTED = "If the address can sign in, a link and a code are on their way to it."


async def ask_for_sign_in(
    db_session: AsyncSession, settings: Settings, email: str, next_path: str | None, address: str, mail: EnqueueMail
) -> None:
    """Count the request against the address's and the client's limits (429 over either), then mail a sign-in."""
    window = settings.rate_limit_window_seconds
    await rate_limits.hit(
        db_session,
        [
            Limit(sign_in.email_limit_key(email), settings.sign_in_limit_per_email, window),
            Limit(f"sign-in-ip:{address}", settings.sign_in_limit_per_address, window),
        ],
    )
    await sign_in.request_sign_in(db_session, settings, email, next_path, mail)
    await db_session.commit()


async def sign_in_with_code(
    db_session: AsyncSession, settings: Settings, email: str, code: str, address: str
) -> sign_in.SignedIn:
    """Count the try against the client's limit, then the code; a wrong one's claimed try is kept."""
    limit = Limit(f"sign-in-code-ip:{address}", settings.sign_in_limit_per_address, settings.rate_limit_window_seconds)
    await rate_limits.hit(db_session, [limit])
    try:
        signed = await sign_in.use_code(db_session, settings, email, code)
    except sign_in.SignInInvalid:
        await db_session.commit()
        raise
    await db_session.commit()
    return signed


async def sign_in_with_link(db_session: AsyncSession, settings: Settings, token: str) -> sign_in.SignedIn:
    signed = await sign_in.use_link(db_session, settings, token)
    await db_session.commit()
    return signed


def mailer(state: State) -> EnqueueMail:
    """The outbox's ``enqueue``, as the app hands it to the kernel's auth routes."""
    mail: EnqueueMail = state[MAIL_STATE_KEY]
    return mail


class SignInController(Controller):
    path = "/api/auth/sign-in"
    tags = ["auth"]

    @post(
        "/",
        status_code=HTTP_202_ACCEPTED,
        operation_id="requestSignIn",
        responses=problem_responses(422, 429),
        security=[],
    )
    async def request_sign_in(
        self,
        data: JSONBody[SignInRequest],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> SignInAccepted:
        """Mail a one-time sign-in link and code to the address (an account is made for a new one). The answer
        is the same whether or not the address has an account."""
        settings: Settings = state.settings
        await ask_for_sign_in(db_session, settings, data.email, data.next, client_address(request), mailer(state))
        return SignInAccepted(detail=ACCEPTED)

    @post(
        "/code",
        status_code=HTTP_200_OK,
        operation_id="signInWithCode",
        responses=problem_responses(401, 422, 429),
        security=[],
    )
    async def sign_in_with_code(
        self,
        data: JSONBody[SignInCodeRequest],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Response[LoginResponse]:
        """Exchange the mailed code for a bearer token (and the session cookie), like a password login."""
        settings: Settings = state.settings
        signed = await sign_in_with_code(db_session, settings, data.email, data.code, client_address(request))
        body = LoginResponse(
            token=signed.token, expires_at=signed.expires_at, user=services.current_user_of(signed.user)
        )
        return Response(body, cookies=[session_cookie(settings, signed.token, settings.session_ttl_seconds)])
