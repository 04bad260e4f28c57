"""HTTP for orders: placing one (public, idempotent), reading it by its secret link, paying offline."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from podium.auth.schemas import CurrentUser
from podium.errors import problem_responses
from podium.settings import Settings
from registration import orders
from registration.payments import provider_for
from registration.schemas import OrderCreate, OrderRead

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Send the same key when retrying: you get the first order back instead of a second one.",
    ),
]
OrderSecretHeader = Annotated[
    str | None,
    HeaderParameter(name="X-Order-Secret", max_length=100, description="the order's secret (from its link)"),
]
OrderSecretQuery = Annotated[str | None, QueryParameter(name="secret", max_length=100)]


def _is_organizer(request: Request[Any, Any, Any]) -> bool:
    user = request.scope.get("user")
    return isinstance(user, CurrentUser) and user.role == "organizer"


async def _read(db_session: AsyncSession, settings: Settings, order: orders.Order) -> OrderRead:
    return await orders.order_read(
        db_session,
        order,
        secret_key=settings.secret_key,
        provider=provider_for(settings),
        base_url=settings.base_url,
    )


class OrderPlacementController(Controller):
    path = "/api/events/{event:str}/orders"
    tags = ["orders"]

    @post(
        "/",
        operation_id="placeOrder",
        status_code=HTTP_201_CREATED,
        security=[],
        responses=problem_responses(400, 404, 409, 422),
    )
    async def place_order(
        self,
        event: FromPath[str],
        data: JSONBody[OrderCreate],
        state: State,
        db_session: NamedDependency[AsyncSession],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[OrderRead]:
        """Price the order on the server and hold its seats while the buyer pays (201; 200 for a replay)."""
        settings: Settings = state.settings
        order, created = await orders.place_order(
            db_session,
            event_slug=event,
            data=data,
            provider=provider_for(settings),
            idempotency_key=idempotency_key,
            secret_key=settings.secret_key,
        )
        body = await _read(db_session, settings, order)
        return Response(body, status_code=HTTP_201_CREATED if created else HTTP_200_OK)


class OrderController(Controller):
    path = "/api/orders"
    tags = ["orders"]

    @get(
        "/{order_id:uuid}",
        operation_id="getOrder",
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 422),
    )
    async def get_order(
        self,
        order_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: OrderSecretQuery = None,
        x_order_secret: OrderSecretHeader = None,
    ) -> OrderRead:
        """For its buyer (the secret from the order link) or an organizer; anyone else gets 404."""
        settings: Settings = state.settings
        order = await orders.get_order(
            db_session,
            order_id,
            secret=x_order_secret or secret,
            secret_key=settings.secret_key,
            organizer=_is_organizer(request),
        )
        return await _read(db_session, settings, order)

    @post(
        "/{order_id:uuid}/offline-payment",
        operation_id="payOffline",
        status_code=HTTP_200_OK,
        security=[],
        responses=problem_responses(403, 404, 409, 422),
    )
    async def pay_offline(
        self,
        order_id: FromPath[UUID],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: OrderSecretQuery = None,
        x_order_secret: OrderSecretHeader = None,
    ) -> OrderRead:
        """TEST MODE: confirm a pending order without money (offline test provider; refused in production)."""
        settings: Settings = state.settings
        order = await orders.pay_offline(
            db_session,
            order_id=order_id,
            secret=x_order_secret or secret,
            secret_key=settings.secret_key,
            production=settings.is_production,
        )
        return await _read(db_session, settings, order)
