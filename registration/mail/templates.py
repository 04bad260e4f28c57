"""The mail templates registration sends, each with a title and a sample context for the organizers' preview.
A sample has every fact its template uses, like a real message's context; the preview puts the organizer's own
event in place of ``SAMPLE_EVENT``. Declared here as data (``MAIL_TEMPLATES``); the composition root installs them
into ``podium.mail.TEMPLATES``, so importing this module registers nothing."""

from __future__ import annotations

from typing import Any

from podium.i18n import N_
from podium.mail import MailTemplate

SAMPLE_EVENT: dict[str, Any] = {
    "id": "",
    "slug": "am2027",
    "name": "Annual Meeting 2027",
    "timezone": "America/New_York",
    "start_date": "2027-06-07",
    "end_date": "2027-06-11",
    "venue": "Convention Center",
    "city": "Boston",
    "currency": "USD",
}
_ORDER = "{order_link:00000000-0000-4000-8000-000000000001}"
_REGISTRATION = "{registration_link:00000000-0000-4000-8000-000000000002:1}"
_CLAIM = "{waitlist_link:00000000-0000-4000-8000-000000000003}"
_ATTENDEES = [
    {"name": "Ada Lovelace", "category": "Member", "add_ons": ["Grant Writing Workshop"], "waiting": False},
    {"name": "Alan Turing", "category": "Student / trainee", "add_ons": [], "waiting": True},
]
_SOON = "2027-03-01T17:30:00Z"


_OFFER = {
    "entry_id": "00000000-0000-4000-8000-000000000003",
    "offer_version": 1,
    "item": "Grant Writing Workshop",
    "expires_at": _SOON,
    "claim_link": _CLAIM,
}


def _sample(name: str, title: str, **facts: Any) -> MailTemplate:
    return MailTemplate(name, title, {"event": SAMPLE_EVENT, "name": "Ada", **facts})


# Installed by the composition root (``podium.main``), never by importing this module.
MAIL_TEMPLATES: tuple[MailTemplate, ...] = (
    _sample(
        "order_held",
        N_("Order placed, places held until paid"),
        order_id="00000000-0000-4000-8000-000000000001",
        expires_at=_SOON,
        total=67000,
        currency="USD",
        attendees=_ATTENDEES,
        order_link=_ORDER,
    ),
    _sample(
        "hold_reminder",
        N_("Reminder before an unpaid hold ends"),
        order_id="00000000-0000-4000-8000-000000000001",
        expires_at=_SOON,
        total=67000,
        currency="USD",
        order_link=_ORDER,
        bank_reference="",  # set for an order paid by bank transfer: the invoice's reminder
        amount_due=67000,
    ),
    _sample(
        "bank_transfer_chosen",
        N_("How to pay by bank transfer (the order switched to it; invoice attached)"),
        order_id="00000000-0000-4000-8000-000000000001",
        reference="RF47 ABCD EFGH JKLM",
        amount=67000,
        currency="USD",
        due_at=_SOON,
        bank={
            "beneficiary": "Society for Science",
            "iban": "DE89 3704 0044 0532 0130 00",
            "bic": "COBADEFFXXX",  # XXX: the branch code of a primary office, as BICs print it
            "bank_name": "Commerzbank",
            "bank_address": "Kaiserplatz, Frankfurt",
            "instructions": "",
        },
        order_link=_ORDER,
    ),
    _sample(
        "hold_expired",
        N_("Unpaid hold expired (or an invoice unpaid by its due date)"),
        expires_at=_SOON,
        order_link=_ORDER,
        bank_reference="",
        bank_received=0,
        currency="USD",
    ),
    _sample(
        "order_confirmed",
        N_("Order paid (to the buyer, receipt attached); also a late payment that was honoured"),
        attendees=_ATTENDEES,
        total=67000,
        currency="USD",
        has_receipt=True,
        late=False,
        order_link=_ORDER,
        you={"waiting": False, "registration_link": _REGISTRATION},  # the buyer is one of the attendees
    ),
    _sample(
        "registered",
        N_("Registration confirmed or awaiting verification (to each attendee, badge attached)"),
        category="Member",
        add_ons=["Grant Writing Workshop"],
        waiting=False,
        buyer_name="Grace Hopper",
        registration_link=_REGISTRATION,
    ),
    _sample(
        "payment_refund",
        N_("A payment that can't be kept is refunded (late and seats gone, a second payment, wrong amount)"),
        cause="seats_gone",
        amount=67000,
        currency="USD",
        order_total=67000,
        order_status="expired",
        payment_id="pi_sample",
        order_link=_ORDER,
    ),
    _sample(
        "hold_released",
        N_("An unpaid order under the person's email was released by their own order"),
        email="ada@example.org",
        released_by="Grace Hopper",
        released_created_at="2027-02-27T09:15:00Z",
    ),
    _sample(
        "hold_released_buyer",
        N_("The buyer of such a released order"),
        emails=["ada@example.org"],
        order_link=_ORDER,
    ),
    _sample(
        "order_link",
        N_("A new order link"),
        by_organizer=False,
        order_link="{order_link:00000000-0000-4000-8000-000000000001:2}",
    ),
    _sample("registration_link", N_("A new registration link"), by_organizer=False, registration_link=_REGISTRATION),
    _sample(
        "transfer_received",
        N_("A registration transferred to this person (links, badge attached)"),
        from_name="Grace Hopper",
        category="Member",
        add_ons=[],
        waiting=False,
        registration_link=_REGISTRATION,
    ),
    _sample(
        "transfer_away",
        N_("The previous holder of a transferred registration"),
        from_name="Grace Hopper",
        new_holder="Alan Turing",
    ),
    _sample(
        "verification_approved",
        N_("Verification approved (links, badge attached)"),
        category="Student / trainee",
        registration_link=_REGISTRATION,
    ),
    _sample(
        "verification_rejected",
        N_("Verification rejected: cancelled and refunded, or moved to another category and the difference refunded"),
        category="Student / trainee",
        note="The document does not show current enrolment.",
        outcome="move_category",
        moved_to="Non-member",
        refund=15000,
        currency="USD",
        buyer_name="Grace Hopper",
        registration_link=_REGISTRATION,
    ),
    _sample(
        "order_cancelled",
        N_("Registrations cancelled (to the buyer: fee and refund)"),
        cancelled=["Ada Lovelace"],
        fee_pct=10,
        fee=5200,
        due=52000,
        refund=46800,
        currency="USD",
        by_organizer=False,
        order_link=_ORDER,
    ),
    _sample(
        "unpaid_cancelled",
        N_("An unpaid order cancelled (places given back, nothing charged)"),
        by_organizer=False,
        order_link=_ORDER,
    ),
    _sample(
        "registration_cancelled",
        N_("A registration cancelled (to the attendee, when someone else booked it)"),
        buyer_name="Grace Hopper",
        by_organizer=False,
    ),
    _sample(
        "organizer_refund",
        N_("The organizers refunded (part of) an order"),
        amount=10000,
        reason="Workshop moved online",
        refunded_total=10000,
        total=67000,
        currency="USD",
        order_link=_ORDER,
    ),
    _sample("refund_failed", N_("A refund the provider refused"), amount=10000, currency="USD", order_link=_ORDER),
    _sample(
        "badge_reprinted", N_("Badge reprinted (new badge attached, the old one void)"), registration_link=_REGISTRATION
    ),
    _sample(
        "group_invoice_changed",
        N_("A group invoice revised or withdrawn (to its contact) as orders on it are paid alone or end"),
        group_id="00000000-0000-4000-8000-000000000004",
        status="open",  # "cancelled": withdrawn, no order left on it
        reference="RF47 ABCD EFGH JKLM",
        po_number="PO-2027-118",
        total=134000,
        currency="USD",
        due_at=_SOON,
    ),
    _sample("waitlist_offer", N_("A waitlist seat is offered"), **_OFFER),
    _sample("offer_reminder", N_("Reminder before a waitlist offer ends"), **_OFFER),
)
