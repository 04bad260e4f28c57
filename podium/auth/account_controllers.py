"""HTTP for taking access back: one's own password and logins, and the organizers' hold on accounts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from podium.auth import accounts
from podium.auth.controllers import user_read
from podium.auth.guards import requires_organizer, requires_staff
from podium.auth.schemas import CurrentUser, PasswordChange, TokenRead, UserRead, UserUpdate
from podium.errors import problem_responses


class AccountController(Controller):
    """The caller's own account: whoever is logged in (staff or organizer)."""

    path = "/api/auth"
    tags = ["auth"]
    guards = [requires_staff]
    security = [{"bearer": []}]

    @post(
        "/password",
        operation_id="changePassword",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(401, 422, 429),
    )
    async def change_password(
        self,
        data: JSONBody[PasswordChange],
        request: Request[CurrentUser, str, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> None:
        """Needs the current password (422 on `current_password` if wrong); every other login of the account
        ends, the one making this request stays."""
        await accounts.change_password(
            db_session, request.user.id, request.auth, data.current_password, data.new_password
        )
        await db_session.commit()

    @get("/tokens", operation_id="listOwnTokens", responses=problem_responses(401))
    async def list_tokens(
        self, request: Request[CurrentUser, str, Any], db_session: NamedDependency[AsyncSession]
    ) -> list[TokenRead]:
        """The caller's logins still in force (page sessions and API tokens), the current one marked."""
        return await accounts.list_tokens(db_session, request.user.id, request.auth)

    @delete(
        "/tokens/{token_id:uuid}",
        operation_id="revokeOwnToken",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(401, 404),
    )
    async def revoke_token(
        self,
        token_id: FromPath[UUID],
        request: Request[CurrentUser, str, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> None:
        """End one of the caller's logins (another account's token id is a 404)."""
        await accounts.revoke_token(db_session, request.user.id, token_id)
        await db_session.commit()


class UserAccountController(Controller):
    """Organizers deactivate, reactivate and re-role accounts and end their logins."""

    path = "/api/users/{user_id:uuid}"
    tags = ["auth"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @patch("/", operation_id="updateUser", responses=problem_responses(401, 403, 404, 409, 422))
    async def update_user(
        self, user_id: FromPath[UUID], data: JSONBody[UserUpdate], db_session: NamedDependency[AsyncSession]
    ) -> UserRead:
        """Change `display_name`, `role` or `is_active`; deactivating ends every login of the account at once.
        409 `last_organizer` when it would leave no active organizer."""
        read = user_read(await accounts.update_user(db_session, user_id, data))
        await db_session.commit()
        return read

    @get("/tokens", operation_id="listUserTokens", responses=problem_responses(401, 403, 404))
    async def list_tokens(
        self,
        user_id: FromPath[UUID],
        request: Request[CurrentUser, str, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> list[TokenRead]:
        await accounts.get_user(db_session, user_id)
        return await accounts.list_tokens(db_session, user_id, request.auth)

    @delete(
        "/tokens",
        operation_id="revokeUserTokens",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(401, 403, 404),
    )
    async def revoke_all(self, user_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]) -> None:
        """End every login of the account (it stays active: its holder can log in again)."""
        await accounts.end_all_logins(db_session, user_id)
        await db_session.commit()

    @delete(
        "/tokens/{token_id:uuid}",
        operation_id="revokeUserToken",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(401, 403, 404),
    )
    async def revoke_token(
        self, user_id: FromPath[UUID], token_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> None:
        await accounts.revoke_token(db_session, user_id, token_id)
        await db_session.commit()
