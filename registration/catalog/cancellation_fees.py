"""The event's cancellation fee schedule (e.g. 10 % until A, 50 % until B): set by organizers with the rest of
the catalog, read by ``registration.cancellations.services`` when someone cancels."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import get_event
from podium import audit
from podium.errors import InvalidInput
from podium.i18n import N_
from registration.models import CancellationFeeRule
from registration.schemas import CancellationPolicy, FeeRule


async def get_policy(db_session: AsyncSession, event_slug: str) -> CancellationPolicy:
    event = await get_event(db_session, event_slug, with_children=False)
    rows = await db_session.scalars(
        select(CancellationFeeRule).where(CancellationFeeRule.event_id == event.id).order_by(CancellationFeeRule.until)
    )
    return CancellationPolicy(rules=[FeeRule(until=r.until, fee_pct=r.fee_pct) for r in rows.all()])


async def set_policy(db_session: AsyncSession, event_slug: str, policy: CancellationPolicy) -> CancellationPolicy:
    event = await get_event(db_session, event_slug, with_children=False)
    days = [r.until for r in policy.rules]
    if len(set(days)) != len(days):
        raise InvalidInput(N_("two rules end on the same day"), field="rules")
    fees = [r.fee_pct for r in sorted(policy.rules, key=lambda r: r.until)]
    if fees != sorted(fees):
        raise InvalidInput(N_("fees can only grow as the event comes closer"), field="rules")
    before = (await get_policy(db_session, event_slug)).rules
    await db_session.execute(delete(CancellationFeeRule).where(CancellationFeeRule.event_id == event.id))
    db_session.add_all(CancellationFeeRule(event_id=event.id, until=r.until, fee_pct=r.fee_pct) for r in policy.rules)
    # One entry for the whole schedule (the rules are replaced together), keyed by the event.
    audit.record_updated(
        db_session,
        "cancellation_fee_rule",
        event.id,
        {"rules": [[r.until, r.fee_pct] for r in before]},
        {"rules": [[r.until, r.fee_pct] for r in sorted(policy.rules, key=lambda r: r.until)]},
        None,
        event_id=event.id,
    )
    return await get_policy(db_session, event_slug)
