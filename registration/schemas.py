"""Wire types for placing and reading orders (the catalog's live in catalog/schemas.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from podium.auth.schemas import Email
from podium.schema import Struct, line, paragraph
from registration.links.tokens import LINK_SECRET_PATTERN
from registration.models import OrderStatus, RefundStatus, RegistrationStatus, WaitlistStatus

ItemCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$", examples=["member"])]
CountryCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2", examples=["US"])]
AnswerValue = Annotated[str, paragraph(2000)] | bool


class AttendeeIn(Struct):
    """One person to register: who they are, which category, which add-ons, their answers."""

    email: Email
    first_name: Annotated[str, line(100)]
    last_name: Annotated[str, line(100)]
    country: CountryCode
    category: ItemCode
    add_ons: Annotated[list[ItemCode], msgspec.Meta(max_length=20)] = msgspec.field(default_factory=list)
    affiliation: Annotated[str, line(200, min_length=0)] = ""
    member_number: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9-]{3,40}$")] | None = None
    verification_note: Annotated[str, paragraph(2000)] | None = None
    access_code: Annotated[str, line(64)] | None = None
    answers: Annotated[dict[Annotated[str, line(40)], AnswerValue], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=dict
    )


class OrderCreate(Struct):
    buyer_name: Annotated[str, line(200)]
    buyer_email: Email
    attendees: Annotated[list[AttendeeIn], msgspec.Meta(min_length=1, max_length=20)]
    promo_code: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9-]{3,40}$")] | None = None
    waitlist_claim: WaitlistClaim | None = None


class AddOnLine(Struct):
    code: str
    name: str
    amount: int
    discount: int


class RegistrationRead(Struct):
    id: UUID
    status: RegistrationStatus
    email: str
    first_name: str
    last_name: str
    affiliation: str
    country: str
    category_code: str
    category_name: str
    category_amount: int
    discount: int
    add_ons: list[AddOnLine]
    # The attendee's own page (agenda, calendar feed, badge): the buyer can forward it to them. None once the
    # registration was transferred: it is the new holder's then (mailed to them), not the buyer's.
    attendee_url: str | None
    transferred: bool = False
    # A verification category: the organizers check eligibility (the stated reason and any documents).
    needs_verification: bool = False
    verification_documents: list[str] = msgspec.field(default_factory=list)


class PaymentRead(Struct):
    """What the buyer does next: nothing (paid/free), pay with Stripe.js, use the offline test provider, or
    pay by bank transfer (``registration.bank``)."""

    provider: Literal["none", "offline", "stripe", "bank_transfer"]
    status: Literal["not_required", "required", "paid", "expired", "cancelled"]
    test_mode: bool = False
    instructions: str = ""
    client_secret: str | None = None
    publishable_key: str | None = None
    # The provider's word on a payment it was just asked about: confirmed and awaiting its verdict (the
    # order page then shows "confirming", never the pay form), or the last attempt's decline reason.
    in_flight: bool = False
    last_error: str | None = None


class PaymentRecord(Struct):
    """Money a provider captured for the order, and what of it went or is going back. ``kept`` is false
    for a payment the order couldn't keep (a second one, a late one, the wrong amount): refunded whole."""

    id: UUID
    provider: str
    provider_payment_id: str
    amount_captured: int
    currency: str
    kept: bool
    amount_refunded: int
    refund_pending: int
    created_at: dt.datetime


class OrderRead(Struct):
    id: UUID
    event: str
    status: OrderStatus
    buyer_name: str
    buyer_email: str
    currency: str
    subtotal: int
    discount_total: int
    total: int
    hold_expires_at: dt.datetime | None
    paid_at: dt.datetime | None
    created_at: dt.datetime
    registrations: list[RegistrationRead]
    payment: PaymentRead
    secret: str
    order_url: str
    # From the payment rows (``registration.payments.ledger``): what the order's own payment captured, and every
    # succeeded refund of any of its payments (automatic refunds of payments it didn't keep included).
    amount_paid: int = 0
    amount_refunded: int = 0
    payments: list[PaymentRecord] = msgspec.field(default_factory=list)


class RegistrationListItem(Struct):
    """One row of the organizer's registration list."""

    id: UUID
    order_id: UUID
    status: RegistrationStatus
    first_name: str
    last_name: str
    email: str
    affiliation: str
    country: str
    category_code: str
    category_name: str
    add_on_codes: list[str]
    amount_due: int
    buyer_email: str
    order_status: OrderStatus
    verification_note: str | None
    created_at: dt.datetime


class RegistrationPage(Struct):
    total: int
    items: list[RegistrationListItem]


class VerificationDecision(Struct):
    """``on_reject`` says what happens to the money of a rejected registration: cancelled and refunded in
    full, or moved to the category ``move_to`` (a code) and the difference refunded."""

    decision: Literal["approve", "reject"]
    note: Annotated[str, paragraph(2000)] = ""
    on_reject: Literal["cancel_and_refund", "move_category"] = "cancel_and_refund"
    move_to: ItemCode | None = None


class ItemStats(Struct):
    code: str
    name: str
    confirmed: int
    awaiting_verification: int
    held: int
    cancelled: int
    revenue: int


class RegistrationStats(Struct):
    """Counts and revenue (minor units, net of discounts) by category and add-on. ``gross_revenue`` is every
    payment captured (also ones an order couldn't keep), ``refunded`` every succeeded refund (automatic ones
    included), ``refund_pending`` refunds not yet confirmed by the provider; ``net_revenue`` the difference
    of the first two."""

    currency: str
    categories: list[ItemStats]
    add_ons: list[ItemStats]
    paid_orders: int
    gross_revenue: int
    refunded: int
    net_revenue: int
    refund_pending: int = 0


class WaitlistJoin(Struct):
    """Wait for a full category or add-on: give exactly one of ``category`` or ``add_on``."""

    email: Email
    name: Annotated[str, line(200)]
    category: ItemCode | None = None
    add_on: ItemCode | None = None


class WaitlistClaim(Struct):
    """Sent with an order to use the seat a waitlist offer holds."""

    entry_id: UUID
    token: Annotated[str, msgspec.Meta(min_length=10, max_length=100, pattern=LINK_SECRET_PATTERN)]


WaitlistItemKind = Literal["category", "add_on"]


class WaitlistEntryRead(Struct):
    id: UUID
    status: WaitlistStatus
    item_kind: WaitlistItemKind
    item_code: str
    item_name: str
    position: int | None
    offer_expires_at: dt.datetime | None
    token: str
    claim_url: str


class TransferIn(Struct):
    """The person who takes over a registration."""

    email: Email
    first_name: Annotated[str, line(100)]
    last_name: Annotated[str, line(100)]
    country: CountryCode
    affiliation: Annotated[str, line(200, min_length=0)] = ""
    member_number: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9-]{3,40}$")] | None = None
    # The category's access code, for a category that needs one (press, say): the new person must have it.
    access_code: Annotated[str, line(64)] | None = None


class OrganizerTransferIn(TransferIn):
    """An organizer's transfer: ``override`` hands the registration over even where the new person fails
    a rule of its category (price, eligibility); the rules overridden are written to the audit trail."""

    override: bool = False


class RefundIn(Struct):
    amount: Annotated[int, msgspec.Meta(ge=1, le=100_000_000)]
    reason: Annotated[str, line(200)]


class RefundRead(Struct):
    id: UUID
    amount: int
    reason: str
    status: RefundStatus
    created_at: dt.datetime


class CancellationOutcome(Struct):
    """What a cancellation did: which registrations ended, the fee kept and the refund started."""

    cancelled: list[UUID]
    fee_pct: int
    fee: int
    refund: RefundRead | None
    order: OrderRead


class FeeRule(Struct):
    until: dt.date
    fee_pct: Annotated[int, msgspec.Meta(ge=0, le=100)]


class CancellationPolicy(Struct):
    """Fees for self-cancellation: the first rule whose ``until`` (a day in the event's time zone, inclusive)
    has not passed applies; after the last rule there is no refund. No rules: free until the event starts."""

    rules: Annotated[list[FeeRule], msgspec.Meta(max_length=20)]


class LinkRegenerated(Struct):
    """A secret link was made anew: the old one answers 404 from now on; the new one is only in the mail."""

    mailed_to: str
    secret_version: int


Standing = Literal["pending", "confirming", "paid", "failed", "expired", "cancelled", "partially_refunded", "refunded"]


class RefundLine(Struct):
    amount: int
    reason: str
    status: RefundStatus
    # A whole payment the order could not keep (a second one, a late one, the wrong amount), given back.
    of_other_payment: bool
    created_at: dt.datetime


class CancellationLine(Struct):
    """One cancellation of a paid order: how many registrations, the fee kept and the refund it started."""

    registrations: int
    fee_pct: int
    fee: int
    refund: int
    created_at: dt.datetime


class OrderStanding(Struct):
    """Where the order stands for its buyer (``registration.orders.standing``): one word and its money.

    ``confirming``: the card payment was confirmed in the browser and its verdict is on its way; ``failed``:
    the last card attempt was declined (``failure_reason``), the buyer may pay again while the hold lasts;
    ``cancelled`` also covers a paid order whose every registration was cancelled. Amounts are minor units;
    ``in_flight`` says that asking again later may show something new."""

    order_id: UUID
    standing: Standing
    order_status: OrderStatus
    currency: str
    total: int
    amount_paid: int
    amount_refunded: int
    refund_pending: int
    fee: int
    refunds: list[RefundLine]
    cancellations: list[CancellationLine]
    failure_reason: str | None
    hold_expires_at: dt.datetime | None
    in_flight: bool


class CardPaymentConfirmed(Struct):
    """Sent by the order page once Stripe.js confirmed the card payment of this PaymentIntent."""

    payment_intent: Annotated[str, msgspec.Meta(pattern=r"^pi_[A-Za-z0-9]{1,100}$", examples=["pi_3Nx"])]
