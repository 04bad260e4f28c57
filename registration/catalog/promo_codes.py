"""Promo codes: percent (100 = comp) or fixed off, optionally only for some items, a number of uses and dates."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from uuid import UUID, uuid4

from sqlalchemy import select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import editable_event, get_event
from podium import audit
from podium.db import begin_write
from podium.errors import Conflict, InvalidInput
from podium.i18n import N_, gettext, ngettext
from podium.rows import rows_changed
from registration.catalog import schemas as s
from registration.catalog.rows import PromoCodes, changes, codes_to_ids, ids_to_codes
from registration.models import AddOn, Category, PromoCode

# What the audit trail keeps of a code (``podium.audit``): the organizer-set fields, never the use counter.
_PROMO_FIELDS = ("code", "kind", "value", "category_ids", "add_on_ids", "max_uses", "valid_from", "valid_until")


async def promo_read(db_session: AsyncSession, promo: PromoCode) -> s.PromoCodeRead:
    return s.PromoCodeRead(
        id=promo.id,
        code=promo.code,
        kind=cast(Any, promo.kind),
        value=promo.value,
        category_codes=await ids_to_codes(db_session, Category, promo.category_ids),
        add_on_codes=await ids_to_codes(db_session, AddOn, promo.add_on_ids),
        max_uses=promo.max_uses,
        used=promo.used,
        valid_from=promo.valid_from,
        valid_until=promo.valid_until,
    )


def _check_promo(kind: str, value: int, valid_from: dt.datetime | None, valid_until: dt.datetime | None) -> None:
    if kind == "percent" and value > 100:
        raise InvalidInput(N_("a percentage is at most 100 (100 is a free comp code)"), field="value")
    if valid_from and valid_until and valid_until <= valid_from:
        raise InvalidInput(N_("the code must stop being valid after it starts"), field="valid_until")


async def _limit_uses(db_session: AsyncSession, promo: PromoCode, max_uses: int | None) -> None:
    """Conditional, like a quota's size: orders may have used the code since it was read."""
    limit = true() if max_uses is None else PromoCode.used <= max_uses
    if not await rows_changed(
        db_session, update(PromoCode).where(PromoCode.id == promo.id, limit).values(max_uses=max_uses)
    ):
        used = await db_session.scalar(select(PromoCode.used).where(PromoCode.id == promo.id))
        detail = ngettext(
            "the code was already used %(num)d time", "the code was already used %(num)d times", used or 0
        )
        raise Conflict(detail % {"num": used or 0}, field="max_uses")
    await db_session.refresh(promo, ["max_uses", "used"])


async def list_promo_codes(db_session: AsyncSession, slug: str) -> list[s.PromoCodeRead]:
    event = await get_event(db_session, slug)
    return [await promo_read(db_session, p) for p in await PromoCodes(db_session).of(event)]


async def create_promo_code(db_session: AsyncSession, slug: str, data: s.PromoCodeCreate) -> s.PromoCodeRead:
    event = await editable_event(db_session, slug)
    _check_promo(data.kind, data.value, data.valid_from, data.valid_until)
    category_ids = await codes_to_ids(db_session, Category, event, data.category_codes, "category_codes")
    add_on_ids = await codes_to_ids(db_session, AddOn, event, data.add_on_codes, "add_on_codes")
    promo = PromoCode(
        id=uuid4(),  # known before the flush, for its audit entry
        event_id=event.id,
        code=data.code.upper(),
        kind=data.kind,
        value=data.value,
        category_ids=[str(i) for i in category_ids],
        add_on_ids=[str(i) for i in add_on_ids],
        max_uses=data.max_uses,
        used=0,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
    )
    await PromoCodes(db_session).add_unique(promo, gettext("the code %(code)s exists") % {"code": promo.code})
    audit.record_created(
        db_session, "promo_code", promo.id, audit.snapshot(promo, _PROMO_FIELDS), None, event_id=event.id
    )
    return await promo_read(db_session, promo)


async def update_promo_code(
    db_session: AsyncSession, slug: str, promo_id: UUID, data: s.PromoCodeUpdate
) -> s.PromoCodeRead:
    await begin_write(db_session)
    event = await editable_event(db_session, slug)
    promo = await PromoCodes(db_session).of_event(event, promo_id)
    before = audit.snapshot(promo, _PROMO_FIELDS)
    sent = changes(data)
    has_limit, max_uses = "max_uses" in sent, sent.pop("max_uses", None)
    for name, value in sent.items():
        setattr(promo, name, value)
    _check_promo(promo.kind, promo.value, promo.valid_from, promo.valid_until)
    if has_limit:
        await _limit_uses(db_session, promo, max_uses)
    after = audit.snapshot(promo, _PROMO_FIELDS)
    audit.record_updated(db_session, "promo_code", promo.id, before, after, None, event_id=event.id)
    return await promo_read(db_session, promo)


async def delete_promo_code(db_session: AsyncSession, slug: str, promo_id: UUID) -> None:
    event = await editable_event(db_session, slug)
    promo_codes = PromoCodes(db_session)
    promo = await promo_codes.of_event(event, promo_id)
    if promo.used:
        raise Conflict(N_("the code has been used: end its validity instead"), field="promo_code_id")
    await promo_codes.refuse_if_used(promo)
    before = audit.snapshot(promo, _PROMO_FIELDS)
    audit.record_deleted(db_session, "promo_code", promo.id, before, None, event_id=event.id)
    await promo_codes.remove(promo)
