"""There is always an active organizer: nobody can deactivate or demote the last one, not even when several
organizers step down at the same moment. Its own module (own database), because it deactivates every other
organizer to set the scene."""

from __future__ import annotations

import asyncio
import secrets

from sqlalchemy import func, select, update

from podium.auth import services
from podium.auth.models import User
from podium.auth.schemas import UserCreate
from podium.settings import Settings
from tests.asgi_client import Client
from tests.registration.factories import db_session_for

PASSWORD = "correct-horse-battery"


async def organizers(settings: Settings, count: int) -> list[tuple[str, dict[str, str]]]:
    """``count`` new organizers (id, bearer header), and nobody else an active organizer."""
    made: list[tuple[str, dict[str, str]]] = []
    async with db_session_for(settings) as db_session:
        await db_session.execute(update(User).where(User.role == "organizer").values(is_active=False))
        await db_session.commit()
        for _ in range(count):
            email = f"organizer-{secrets.token_hex(4)}@podium.test"
            user = await services.create_user(
                db_session, UserCreate(email=email, display_name="Olga", password=PASSWORD, role="organizer")
            )
            token, _ = await services.issue_token(db_session, user, settings)
            await db_session.commit()
            made.append((str(user.id), {"Authorization": f"Bearer {token}"}))
    return made


async def active_organizers(settings: Settings) -> int:
    async with db_session_for(settings) as db_session:
        query = select(func.count()).select_from(User).where(User.role == "organizer", User.is_active.is_(True))
        return await db_session.scalar(query) or 0


async def test_the_last_organizer_cannot_deactivate_or_demote_themself(client: Client, settings: Settings) -> None:
    [(me, headers)] = await organizers(settings, 1)

    deactivate = await client.patch(f"/api/users/{me}", json={"is_active": False}, headers=headers)
    demote = await client.patch(f"/api/users/{me}", json={"role": "staff"}, headers=headers)
    rename = await client.patch(
        f"/api/users/{me}", json={"display_name": "Olga B.", "role": "organizer"}, headers=headers
    )

    assert (deactivate.status_code, deactivate.json()["code"], deactivate.json()["field"]) == (
        409,
        "last_organizer",
        "is_active",
    )
    assert (demote.status_code, demote.json()["field"]) == (409, "role")
    assert rename.json()["display_name"] == "Olga B."
    assert await active_organizers(settings) == 1


async def test_with_a_second_organizer_one_may_step_down(client: Client, settings: Settings) -> None:
    [(me, headers), (_, other)] = await organizers(settings, 2)

    stepped_down = await client.patch(f"/api/users/{me}", json={"role": "staff"}, headers=headers)

    assert stepped_down.json()["role"] == "staff"
    assert (await client.get("/api/auth/me", headers=headers)).json()["role"] == "staff"
    assert (await client.get("/api/users/", headers=other)).status_code == 200
    assert await active_organizers(settings) == 1


async def test_organizers_stepping_down_at_once_leave_exactly_one(client: Client, settings: Settings) -> None:
    team = await organizers(settings, 5)

    answers = await asyncio.gather(
        *(
            client.patch(f"/api/users/{user_id}", json={"is_active": False} if n % 2 else {"role": "staff"}, headers=h)
            for n, (user_id, h) in enumerate(team)
        )
    )

    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 409]
    assert [a.json()["code"] for a in answers if a.status_code == 409] == ["last_organizer"]
    assert await active_organizers(settings) == 1


async def test_organizers_deactivating_each_other_at_once_leave_one(client: Client, settings: Settings) -> None:
    [(a, a_headers), (b, b_headers)] = await organizers(settings, 2)

    answers = await asyncio.gather(
        client.patch(f"/api/users/{b}", json={"is_active": False}, headers=a_headers),
        client.patch(f"/api/users/{a}", json={"is_active": False}, headers=b_headers),
    )

    assert sorted(r.status_code for r in answers) in ([200, 401], [200, 409])
    assert await active_organizers(settings) == 1
