"""The organizers' button for a bank payment seen on the account, on the registrations page: one form per
pending order, sent with a key made when the page was drawn, so a double click or a resent form records it once."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import get_event
from podium.auth.guards import requires_organizer
from podium.auth.schemas import CurrentUser
from podium.errors import DomainError, NotFound
from podium.formatting import format_money, parse_money
from podium.forms import FormData
from podium.i18n import N_, gettext, known_or_as_is
from podium.pages import redirect
from registration.bank.payments import Outcome, record_bank_payment
from registration.models import Order

_SAID = {
    Outcome.CONFIRMED: N_("paid in full: the order is confirmed"),
    Outcome.PARTIAL: N_("partly paid"),
    Outcome.ALREADY_PAID: N_("the order was already paid: the excess is to refund"),
    Outcome.HONOURED_LATE: N_("paid after the hold ended; the seats were still free: confirmed"),
    Outcome.REFUND_NEEDED: N_("the order is no longer open: the money is to refund"),
    Outcome.UNKNOWN_ORDER: N_("no such order"),
}


class OrganizerBankPages(Controller):
    path = "/organizer/events/{slug:str}"
    include_in_schema = False
    guards = [requires_organizer]

    @post("/orders/{order_id:uuid}/bank-payment")
    async def record(
        self,
        slug: FromPath[str],
        order_id: FromPath[UUID],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Redirect:
        event = await get_event(db_session, slug, with_children=False)
        order = await db_session.get(Order, order_id)
        if order is None or order.event_id != event.id:
            raise NotFound(N_("no such order at this event"), field="order_id")
        user = request.scope.get("user")
        actor = f"organizer:{user.email}" if isinstance(user, CurrentUser) else "organizer"
        try:
            amount = parse_money(data.get("amount", ""), order.currency)
            booked_on = dt.date.fromisoformat(data.get("booked_on", "") or dt.date.today().isoformat())
        except ValueError:
            asked = gettext("Enter an amount in %(currency)s (e.g. 120.00) and the booking date.")
            return _back(slug, asked % {"currency": order.currency})
        try:
            result = await record_bank_payment(
                db_session,
                order_id=order.id,
                amount=amount,
                currency=order.currency,
                booked_on=booked_on,
                source="manual",
                source_line_id=(data.get("key", "").strip()[:150] or None),
                actor=actor,
                note=" ".join(data.get("note", "").split())[:1000],
            )
        except DomainError as exc:
            await db_session.rollback()
            return _back(slug, gettext("Not recorded: %(reason)s") % {"reason": known_or_as_is(exc.detail)})
        await db_session.commit()
        said = gettext("already recorded") if result.duplicate else gettext(_SAID[result.outcome])
        figures = {
            "amount": format_money(amount, order.currency),
            "outcome": said,
            "received": format_money(result.received, order.currency),
            "total": format_money(result.total, order.currency),
            "excess": format_money(result.excess, order.currency),
        }
        if result.excess:
            told = gettext(
                "Bank payment of %(amount)s: %(outcome)s (%(received)s of %(total)s; excess to refund %(excess)s)."
            )
        else:
            told = gettext("Bank payment of %(amount)s: %(outcome)s (%(received)s of %(total)s).")
        return _back(slug, told % figures)


def _back(slug: str, notice: str) -> Redirect:
    return redirect(f"/organizer/events/{slug}/registrations?{urlencode({'notice': notice[:200]})}")
