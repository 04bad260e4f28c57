"""Group invoices on the wire."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec

from podium.schema import Struct, line, paragraph


class GroupInvoiceIn(Struct):
    """Pending orders of one event, and the institution that pays them (as it wants to be billed)."""

    order_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=500)]
    organization: Annotated[str, line(200)]
    address: Annotated[str, paragraph(500)] = ""
    country: Annotated[str, msgspec.Meta(pattern="^([A-Za-z]{2})?$")] = ""
    tax_id: Annotated[str, line(40, 0)] = ""
    po_number: Annotated[str, line(60, 0)] = ""
    contact_email: Annotated[str, line(320, 0)] = ""
    # The language the invoice prints in; the event's default language when not given.
    locale: Annotated[
        str, msgspec.Meta(max_length=16, description="a shipped locale: en, es, fr, pt_BR, zh_Hans", examples=["es"])
    ] = ""


class GroupInvoiceCancel(Struct):
    note: Annotated[str, paragraph(1000)] = ""


class GroupInvoiceOrderRead(Struct):
    order_id: UUID
    buyer_name: str
    status: str
    amount: int


class GroupInvoiceRead(Struct):
    id: UUID
    status: str  # open, paid, cancelled
    reference: str
    due_at: dt.datetime
    currency: str
    total: int
    organization: str
    address: str
    country: str
    tax_id: str
    po_number: str
    contact_email: str
    locale: str
    orders: list[GroupInvoiceOrderRead]
