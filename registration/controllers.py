"""HTTP for orders: placing one (public, idempotent), reading it by its secret link, paying offline.

The handlers here own their transactions; ``place_and_commit`` is placing an order's, shared with the pages.
"""

from __future__ import annotations

from typing import Annotated, Any, cast
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader, State
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from podium import rate_limits
from podium.auth.guards import requires_organizer
from podium.client_address import client_address
from podium.db import begin_autocommit, begin_write, utcnow
from podium.db_flush import flush_at_once
from podium.errors import problem_responses
from podium.i18n import N_
from podium.settings import Settings
from registration.cancellations import services as cancellations
from registration.cancellations import transfers
from registration.documents.order_facts import open_order_to_pay
from registration.links.access import actor, caller, is_organizer, order_link
from registration.links.rule import ORGANIZERS, SECRET_ONLY, open_order
from registration.models import Order, Refund
from registration.orders import confirmation, webhooks
from registration.orders import placing as order_placing
from registration.orders.limits import OrderGuard
from registration.orders.placing import Placed
from registration.orders.standing import card_payment_confirmed, order_standing
from registration.orders.view import Known, order_read
from registration.payments.services import provider_for
from registration.payments.stripe import StripeProvider
from registration.schemas import (
    CancellationOutcome,
    CardPaymentConfirmed,
    OrderCreate,
    OrderRead,
    OrderStanding,
    RefundIn,
    RefundRead,
    TransferIn,
)

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Send the same key when retrying: you get the first order back instead of a second one.",
    ),
]


async def _read(db_session: AsyncSession, settings: Settings, order: Order, known: Known | None = None) -> OrderRead:
    return await order_read(
        db_session,
        order,
        secret_key=settings.secret_key,
        provider=provider_for(settings),
        base_url=settings.base_url,
        known=known,
    )


async def place_and_commit(
    db_session: AsyncSession,
    settings: Settings,
    data: OrderCreate,
    *,
    event_slug: str,
    client: str | None,
    idempotency_key: str | None = None,
    actor: str = "buyer",
) -> Placed:
    """Placing an order's transactions (the API's, the registration page's and the organizers' comps).

    A public order (``client``: the caller's address) is counted against the client's rate limits first, and
    the count is kept whatever happens next: committed before the refusal or the order, or, on PostgreSQL,
    counted in autocommit by the order's first read (``orders.snapshot``), the mode chosen here for the whole
    request because a plain paid order is then written by one statement that commits by itself
    (``order_placing``). ``client`` None is an organizer's comp: free, no limits, one ordinary transaction. A
    refused order is rolled back.
    """
    now = utcnow()
    guard = OrderGuard.of(settings, client, data) if client is not None else None
    autocommit = guard is not None and await begin_autocommit(db_session)
    # In autocommit the order's first read counts the limits too (``orders.snapshot``); a waitlist claim needs
    # a transaction from its first read on, so it is counted here first, as on SQLite.
    counted_in_snapshot = autocommit and data.waitlist_claim is None
    try:
        if guard is not None and not counted_in_snapshot:
            counts = await rate_limits.count(db_session, guard.limits, now)
            if not autocommit:
                await db_session.commit()
            rate_limits.refuse_over(counts, now)
        placed = await order_placing.place_order(
            db_session,
            event_slug=event_slug,
            data=data,
            provider=provider_for(settings),
            idempotency_key=idempotency_key,
            actor=actor,
            now=now,
            comp=guard is None,
            secret_key=settings.secret_key,
            guard=guard,
            autocommit=autocommit,
            count_limits=counted_in_snapshot,
        )
    except Exception:
        await db_session.rollback()
        raise
    await db_session.commit()
    return placed


class OrderPlacementController(Controller):
    path = "/api/events/{event:str}/orders"
    tags = ["orders"]

    @post(
        "/",
        operation_id="placeOrder",
        status_code=HTTP_201_CREATED,
        security=[],
        responses=problem_responses(400, 404, 409, 422, 429),
    )
    async def place_order(
        self,
        event: FromPath[str],
        data: JSONBody[OrderCreate],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[OrderRead]:
        """Price the order on the server and hold its seats while the buyer pays (201; 200 for a replay).

        429 (with Retry-After) when this client address or email placed too many orders lately, or has too
        many unpaid ones open (``too_many_holds``)."""
        settings: Settings = state.settings
        placed = await place_and_commit(
            db_session,
            settings,
            data,
            event_slug=event,
            client=client_address(request),
            idempotency_key=idempotency_key,
        )
        body = await _read(db_session, settings, placed.order, placed.known)
        return Response(body, status_code=HTTP_201_CREATED if placed.created else HTTP_200_OK)


class OrderController(Controller):
    """An order, opened by its link (``registration.links.access``) or, where the route admits them, an organizer."""

    path = "/api/orders"
    tags = ["orders"]
    dependencies = {"order": order_link(ORGANIZERS)}

    @get(
        "/{order_id:uuid}",
        operation_id="getOrder",
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 422),
    )
    async def get_order(
        self, order: NamedDependency[Order], state: State, db_session: NamedDependency[AsyncSession]
    ) -> OrderRead:
        """For its buyer (the secret from the order link) or an organizer; anyone else gets 404."""
        return await _read(db_session, state.settings, order)

    @get(
        "/{order_id:uuid}/status",
        operation_id="getOrderStatus",
        security=[{}, {"bearer": []}],
        cache_control=CacheControlHeader(no_store=True),
        responses=problem_responses(404, 422),
    )
    async def get_status(
        self, order: NamedDependency[Order], db_session: NamedDependency[AsyncSession]
    ) -> OrderStanding:
        """Where the order stands (what its page shows): pending, confirming, paid, failed (with the reason),
        expired, cancelled, partially or fully refunded, with the amount paid, the fees and the refunds. Read
        from the database only, so the order page can poll it while a payment is in flight."""
        return await order_standing(db_session, order)

    @post(
        "/{order_id:uuid}/card-payment/confirmed",
        operation_id="reportCardPaymentConfirmed",
        status_code=HTTP_200_OK,
        security=[],
        responses=problem_responses(404, 409, 422),
        dependencies={"order": order_link(SECRET_ONLY, for_update=True)},
    )
    async def card_payment_confirmed(
        self,
        order: NamedDependency[Order],
        data: JSONBody[CardPaymentConfirmed],
        db_session: NamedDependency[AsyncSession],
    ) -> OrderStanding:
        """The order page says Stripe.js confirmed this order's PaymentIntent: the order shows "confirming"
        (never the pay form again) until Stripe's signed webhook pays it or reports it failed. Changes nothing
        about seats or money; 409 for another PaymentIntent or an order not paid by card."""
        await begin_write(db_session)
        await card_payment_confirmed(db_session, order, data.payment_intent)
        await db_session.commit()
        return await order_standing(db_session, order)

    @post(
        "/{order_id:uuid}/offline-payment",
        operation_id="payOffline",
        status_code=HTTP_200_OK,
        security=[],
        responses=problem_responses(403, 404, 409, 422),
        dependencies={"order": order_link(SECRET_ONLY, for_update=True, opener=open_order_to_pay)},
    )
    async def pay_offline(
        self, order: NamedDependency[Order], state: State, db_session: NamedDependency[AsyncSession]
    ) -> OrderRead:
        """TEST MODE: confirm a pending order without money (offline test provider; refused in production)."""
        settings: Settings = state.settings
        try:
            paid, known = await confirmation.confirm_offline_payment(
                db_session, order, production=settings.is_production
            )
        except confirmation.HoldExpired:
            await db_session.commit()
            raise
        await flush_at_once(db_session)  # the confirmation's rows in one statement on PostgreSQL
        await db_session.commit()
        return await _read(db_session, settings, paid, known)


class OrderChangeController(Controller):
    """What the buyer (secret link) or an organizer can change: cancel, transfer; organizers also refund."""

    path = "/api/orders/{order_id:uuid}"
    tags = ["orders"]
    dependencies = {"order": order_link(ORGANIZERS)}

    async def _outcome(
        self, db_session: AsyncSession, settings: Settings, order: Order, result: tuple[Any, ...]
    ) -> CancellationOutcome:
        cancelled, fee_pct, fee, refund = result
        fresh = await db_session.get(Order, order.id, populate_existing=True)
        assert fresh is not None
        return CancellationOutcome(
            cancelled=cancelled,
            fee_pct=fee_pct,
            fee=fee,
            refund=_refund_read(refund) if refund else None,
            order=await _read(db_session, settings, fresh),
        )

    @post(
        "/cancel",
        operation_id="cancelOrder",
        status_code=HTTP_200_OK,
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 409, 422),
    )
    async def cancel_order(
        self,
        order: NamedDependency[Order],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> CancellationOutcome:
        """Cancel every registration of the order; the event's fee schedule decides the refund."""
        settings: Settings = state.settings
        result = await cancellations.cancel(
            db_session, order, registration_ids=None, actor=actor(request, order), by_organizer=is_organizer(request)
        )
        await db_session.commit()
        return await self._outcome(db_session, settings, order, result)

    @post(
        "/registrations/{registration_id:uuid}/cancel",
        operation_id="cancelRegistration",
        status_code=HTTP_200_OK,
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 409, 422),
    )
    async def cancel_registration(
        self,
        order: NamedDependency[Order],
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> CancellationOutcome:
        """Cancel one attendee of a paid order (the others keep their seats)."""
        settings: Settings = state.settings
        result = await cancellations.cancel(
            db_session,
            order,
            registration_ids=[registration_id],
            actor=actor(request, order),
            by_organizer=is_organizer(request),
        )
        await db_session.commit()
        return await self._outcome(db_session, settings, order, result)

    @post(
        "/registrations/{registration_id:uuid}/transfer",
        operation_id="transferRegistration",
        status_code=HTTP_200_OK,
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 409, 422),
    )
    async def transfer(
        self,
        order: NamedDependency[Order],
        registration_id: FromPath[UUID],
        data: JSONBody[TransferIn],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> OrderRead:
        """Give a registration to a colleague (new name and email). The category's rules are checked for the
        new person: a failed one (or a different price) is refused with 409 whose ``code`` names it."""
        settings: Settings = state.settings
        await transfers.transfer(db_session, order, registration_id, data, actor=actor(request, order))
        await db_session.commit()
        return await _read(db_session, settings, order)

    @post(
        "/refunds",
        operation_id="refundOrder",
        guards=[requires_organizer],
        security=[{"bearer": []}],
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def refund(
        self,
        order_id: FromPath[UUID],
        data: JSONBody[RefundIn],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> RefundRead:
        """Refund part or all of a paid order (organizers): never more than its payment has left (422
        ``exceeds_captured``)."""
        order = await open_order(
            db_session,
            order_id,
            secret=None,
            secret_key=state.settings.secret_key,
            user=caller(request),
            admits=ORGANIZERS,
        )
        row = await cancellations.refund(
            db_session, order, amount=data.amount, reason=data.reason, actor=actor(request, order)
        )
        await db_session.commit()
        return _refund_read(row)


def _refund_read(row: Refund) -> RefundRead:
    return RefundRead(
        id=row.id, amount=row.amount, reason=row.reason, status=cast(Any, row.status), created_at=row.created_at
    )


class StripeWebhookController(Controller):
    path = "/api/payments/stripe/webhook"
    tags = ["payments"]

    @post(
        "/", operation_id="stripeWebhook", status_code=HTTP_200_OK, security=[], responses=problem_responses(400, 422)
    )
    async def receive(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        stripe_signature: Annotated[str | None, HeaderParameter(name="Stripe-Signature", max_length=2000)] = None,
    ) -> dict[str, str]:
        """Stripe's signed events: verified on the raw body, each applied once (its id and its effect committed
        together); a refund the event claimed is sent after that commit."""
        settings: Settings = state.settings
        event = webhooks.verify(await request.body(), stripe_signature, settings.stripe_webhook_secret)
        provider = provider_for(settings)
        if not isinstance(provider, StripeProvider):
            raise webhooks.BadSignature(N_("Stripe is not configured here"), field="Stripe-Signature")
        handled = await webhooks.handle(db_session, event)
        await flush_at_once(db_session)  # a confirmation's rows in one statement on PostgreSQL
        await db_session.commit()
        outcome = await webhooks.send_claimed_refund(db_session, provider, handled)
        return {"received": event.id, "outcome": outcome}
