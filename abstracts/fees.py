"""The submission fee: when a call names a fee category (``CallForAbstracts.submission_fee_category_id``),
submitting needs a paid order for that registration category, bought through the ordinary catalog and order
flow (``registration``), by the submitter: the order's buyer or the registration's attendee has the submitter's
email address.

One fee covers all of a submitter's abstracts in the call: an event allows one active registration per email
address, so a person can hold one fee registration, not one per abstract. Drafts never need it; submitting
without it answers 402 ``submission_fee_unpaid`` with the catalog link, the category chosen (also in a
``Link`` header, ``rel="payment"``). The check is made at submit: a fee refunded or cancelled later leaves the
abstracts already submitted as they are (organizers decide on them), while the next submit needs a fee again.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.calls import CallView
from podium.errors import DomainError
from podium.i18n import N_, gettext
from registration.models import Category, Order, OrderStatus, Registration, RegistrationStatus

FIELD = "submission_fee"
# A registration that paid: confirmed, or paid and waiting for its verification document.
PAID_REGISTRATIONS = (RegistrationStatus.CONFIRMED.value, RegistrationStatus.AWAITING_VERIFICATION.value)


class SubmissionFeeUnpaid(DomainError):
    status_code = 402
    code = "submission_fee_unpaid"
    title = N_("Payment required")


@dataclass(frozen=True)
class FeeStanding:
    """The call's fee as one submitter stands with it."""

    category: str  # the category's name
    paid: bool
    pay_url: str  # the catalog with the fee's category chosen


def pay_url(slug: str, category_code: str) -> str:
    return f"/events/{slug}/register?category={quote(category_code)}"


async def fee_standing(db_session: AsyncSession, view: CallView, email: str) -> FeeStanding | None:
    """None when the call has no fee; else whether ``email`` has paid it."""
    category_id = view.call.submission_fee_category_id
    if category_id is None:
        return None
    category = await db_session.get_one(Category, category_id)
    address = email.strip().lower()
    paid = await db_session.scalar(
        select(Registration.id)
        .join(Order, Order.id == Registration.order_id)
        .where(
            Registration.event_id == view.event.id,
            Registration.category_id == category_id,
            Registration.status.in_(PAID_REGISTRATIONS),
            Order.status == OrderStatus.PAID.value,
            or_(Order.total == 0, Order.amount_refunded < Order.total),  # not refunded in full
            or_(func.lower(Order.buyer_email) == address, func.lower(Registration.email) == address),
        )
        .limit(1)
    )
    return FeeStanding(category.name, paid is not None, pay_url(view.event.slug, category.code))


async def require_fee(db_session: AsyncSession, view: CallView, email: str) -> None:
    """402 ``submission_fee_unpaid`` (naming ``submission_fee``) unless the submitter paid the call's fee."""
    standing = await fee_standing(db_session, view, email)
    if standing is None or standing.paid:
        return
    raise SubmissionFeeUnpaid(
        gettext(
            "submitting needs the submission fee (%(category)s) paid first: register in that category at "
            "%(url)s, with this email address, then submit again"
        )
        % {"category": standing.category, "url": standing.pay_url},
        field=FIELD,
        headers={"Link": f'<{standing.pay_url}>; rel="payment"'},
    )
