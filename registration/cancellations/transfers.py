"""Handing a registration to someone else: the category's rules checked again for the new person, the
registration's own links changed, both people mailed, the receipt corrected. The caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from podium import audit
from podium.auth.services import normalise_email
from podium.db import begin_write, savepoint, utcnow
from podium.errors import Conflict, FieldError, InvalidInput, naming_field
from podium.i18n import N_, gettext
from podium.translated import translated_text
from registration.catalog.pricing import Promo, amount_due, quote_attendee
from registration.documents.receipts import format_money
from registration.documents.services import record_documents
from registration.income_groups import discount_pct
from registration.letters.follow import registrations_ended
from registration.mail.services import enqueue_transfer_mails
from registration.models import (
    Category,
    Eligibility,
    Order,
    PromoCode,
    Registration,
    RegistrationSettings,
    RegistrationStatus,
    RevokedBecause,
)
from registration.orders.validation import COMP, access_code_matches, already_registered
from registration.schemas import TransferIn
from registration.status_words import status_word


class TransferRefused(Conflict):
    """A rule of the registration's category that the new person doesn't meet (``code`` names the rule)."""

    title = N_("Transfer refused")


@dataclass(frozen=True)
class RuleFailure:
    code: str
    field: str
    detail: str


async def transfer_rule_failures(
    db_session: AsyncSession, order: Order, registration: Registration, data: TransferIn
) -> list[RuleFailure]:
    """Every rule of the registration's category the new person fails, in the order a buyer would fix them:
    the category's eligibility (member number, access code, verification) and the price. The price is
    the one the registration was bought at (its price window and the order's promo code) with the new
    person's own income-group discount: a seat bought at a 75 % discount is not someone else's at that
    price. The same rules as placing an order (``orders.validation``, ``pricing``)."""
    failures: list[RuleFailure] = []
    category = await db_session.get(Category, registration.category_id)
    assert category is not None
    rule = Eligibility(category.eligibility)
    if rule == Eligibility.MEMBER_NUMBER and not data.member_number:
        failures.append(
            RuleFailure(
                "member_number_required",
                "member_number",
                gettext("the %(category)s category needs a member number")
                % {"category": translated_text(category, "name")},
            )
        )
    if rule == Eligibility.ACCESS_CODE and not access_code_matches(category, data.access_code):
        failures.append(
            RuleFailure(
                "access_code_required",
                "access_code",
                gettext("the %(category)s category needs its valid access code")
                % {"category": translated_text(category, "name")},
            )
        )
    if rule == Eligibility.VERIFICATION:
        failures.append(
            RuleFailure(
                "verification_required",
                "registration_id",
                gettext("the %(category)s category needs the organizers to verify the new person's eligibility")
                % {"category": translated_text(category, "name")},
            )
        )
    settings = await db_session.scalar(
        select(RegistrationSettings).where(RegistrationSettings.event_id == registration.event_id)
    )
    promo = await _promo_of(db_session, order)
    quote = quote_attendee(
        category_id=str(registration.category_id),
        category_amount=registration.category_amount,
        add_ons=[(str(a.add_on_id), a.amount) for a in registration.add_ons],
        income_discount_pct=discount_pct(settings, data.country),
        promo=promo,
    )
    paid = amount_due(registration)
    if quote.total != paid:
        failures.append(
            RuleFailure(
                "price_differs",
                "country",
                gettext("the new person's price is %(price)s, the registration was bought for %(paid)s")
                % {"price": format_money(quote.total, order.currency), "paid": format_money(paid, order.currency)},
            )
        )
    return failures


async def _promo_of(db_session: AsyncSession, order: Order) -> Promo | None:
    """The discount the order was priced with: its promo code, or the organizers' comp."""
    if order.promo_code_id is not None:
        promo = await db_session.get(PromoCode, order.promo_code_id)
        if promo is not None:
            return Promo(
                kind=promo.kind,
                value=promo.value,
                category_ids=frozenset(promo.category_ids),
                add_on_ids=frozenset(promo.add_on_ids),
            )
    if order.subtotal > 0 and order.discount_total >= order.subtotal:
        return COMP
    return None


def _holder(registration: Registration) -> dict[str, object]:
    return {
        "email": registration.email,
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "affiliation": registration.affiliation,
        "country": registration.country,
        "member_number": registration.member_number,
    }


async def transfer(
    db_session: AsyncSession,
    order: Order,
    registration_id: UUID,
    data: TransferIn,
    *,
    actor: str,
    override: bool = False,
) -> Registration:
    """Hand a registration to someone else. The category's rules are checked again for the new person
    (``transfer_rule_failures``): the first one failed is refused with 409 naming it, unless an organizer
    overrides (``override``, audited with the rules overridden). The registration's own secret links change,
    so old ones stop working, and from now on the order's link no longer opens it (``registration.links.rule``).
    Both people are mailed. The caller commits."""
    registration = await _transferable(db_session, order, registration_id)
    failures = await transfer_rule_failures(db_session, order, registration, data)
    if failures and not override:
        first = failures[0]
        raise TransferRefused(
            first.detail,
            field=first.field,
            code=first.code,
            errors=[FieldError(f.field, naming_field(f.code, f.detail)) for f in failures],
        )
    previous_email, previous_name = registration.email, registration.first_name
    # The letter named the previous holder: revoked (and they are told) before the details change hands.
    await registrations_ended(db_session, [registration], RevokedBecause.TRANSFERRED, actor=actor)
    taken = Conflict(already_registered(data.email), field="email", code="already_registered")
    async with savepoint(db_session, taken):  # the new person's email is unique per event
        _hand_over(db_session, registration, data, failures, actor)
    await enqueue_transfer_mails(db_session, order, registration, previous_email, previous_name)
    await record_documents(db_session, order, reason="transfer")
    await db_session.flush()
    return registration


async def _transferable(db_session: AsyncSession, order: Order, registration_id: UUID) -> Registration:
    """The order's registration, locked, if it may change hands (confirmed or awaiting verification)."""
    await begin_write(db_session)
    registration = await db_session.get(Registration, registration_id, with_for_update=True)
    if registration is None or registration.order_id != order.id:
        raise InvalidInput(N_("no such registration in this order"), field="registration_id")
    if registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.AWAITING_VERIFICATION):
        raise Conflict(
            gettext("a %(status)s registration can't be transferred") % {"status": status_word(registration.status)},
            field="registration_id",
        )
    return registration


def _hand_over(
    db_session: AsyncSession, registration: Registration, data: TransferIn, failures: list[RuleFailure], actor: str
) -> None:
    """The new holder's details and a new link version, audited from → to (with any rules overridden)."""
    before = f"{registration.first_name} {registration.last_name} <{registration.email}>"
    holder_before = _holder(registration)
    registration.email = normalise_email(data.email)
    registration.first_name = data.first_name.strip()
    registration.last_name = data.last_name.strip()
    registration.affiliation = data.affiliation.strip()
    registration.country = data.country
    registration.member_number = data.member_number
    registration.secret_version += 1
    registration.transferred_at = utcnow()
    after = f"{registration.first_name} {registration.last_name} <{registration.email}>"
    note = f"transferred from {before} to {after}"
    holder_after: dict[str, object] = _holder(registration)
    holder_before["holder"], holder_after["holder"] = before, after
    if failures:
        note += "; rules overridden: " + "; ".join(f"{f.code} ({f.detail})" for f in failures)
        holder_after["rules_overridden"] = [f.code for f in failures]
    audit.record_updated(
        db_session,
        "registration",
        registration.id,
        holder_before,
        holder_after,
        actor,
        event_id=registration.event_id,
        action="transferred_with_override" if failures else "transferred",
        note=note,
    )
