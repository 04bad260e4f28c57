"""What one client may do when placing orders: the rate limits and the cap on unpaid holds.

Both stop one client from holding a workshop sold out with unpaid orders (one was seen holding 785 in five
seconds): the rate limits count every attempt per client address and per email (``podium.rate_limits``, one
statement per order, in the order's own autocommit on PostgreSQL), and the cap refuses a new order while its
buyer's email, or its address, already has as many unpaid holds open at the event. Organizers' comps have
neither.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from podium.auth.services import normalise_email
from podium.errors import TooManyRequests
from podium.i18n import N_, gettext
from podium.rate_limits import Limit, seconds_until
from podium.settings import Settings
from registration.orders.snapshot import Snapshot
from registration.schemas import OrderCreate


class TooManyHolds(TooManyRequests):
    code = "too_many_holds"
    title = N_("Too many unpaid orders")


@dataclass(frozen=True, slots=True)
class OrderGuard:
    """Who is placing an order and what they may still do."""

    client_address: str
    limits: tuple[Limit, ...]
    holds_per_email: int
    holds_per_address: int

    @classmethod
    def of(cls, settings: Settings, client_address: str, data: OrderCreate) -> OrderGuard:
        window = settings.rate_limit_window_seconds
        emails = sorted({normalise_email(data.buyer_email), *(normalise_email(a.email) for a in data.attendees)})
        return cls(
            client_address=client_address,
            limits=(
                Limit(f"order-ip:{client_address}", settings.order_limit_per_address, window),
                *(Limit(f"order-email:{email}", settings.order_limit_per_email, window) for email in emails),
            ),
            holds_per_email=settings.open_holds_per_email,
            holds_per_address=settings.open_holds_per_address,
        )

    def refuse_too_many_holds(self, found: Snapshot, now: dt.datetime) -> None:
        """429 ``too_many_holds`` while the buyer's email or the address has its cap of unpaid orders open;
        Retry-After says when the first of them ends (paying one frees its place sooner)."""
        for kind, cap, who in (
            # One sentence each, so a translation need not fit either subject into a shared frame.
            (
                "email",
                self.holds_per_email,
                N_(
                    "this email already has %(count)d unpaid orders for this event: pay or cancel one first, "
                    "or wait %(seconds)d seconds for one to expire"
                ),
            ),
            (
                "address",
                self.holds_per_address,
                N_(
                    "your network address already has %(count)d unpaid orders for this event: pay or cancel one "
                    "first, or wait %(seconds)d seconds for one to expire"
                ),
            ),
        ):
            count, first_ends = found.open_holds.get(kind, (0, None))
            if count >= cap:
                retry_after = seconds_until(first_ends, now) if first_ends is not None else 60
                raise TooManyHolds(gettext(who) % {"count": count, "seconds": retry_after}, retry_after=retry_after)


def waitlist_limits(settings: Settings, client_address: str, email: str) -> list[Limit]:
    """Joining a waitlist: per address and per email, like orders (a queue of fake names pushes people back)."""
    window = settings.rate_limit_window_seconds
    return [
        Limit(f"waitlist-ip:{client_address}", settings.waitlist_limit_per_address, window),
        Limit(f"waitlist-email:{normalise_email(email)}", settings.waitlist_limit_per_email, window),
    ]
