"""The periodic erasure of passport data: each event's letters lose it ``erase_after_days`` after the event ends
(``services.erase_due``); hourly, since a day's delay is the most the rule allows to go unnoticed."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from podium.jobs import JobEnv, job
from registration.letters.services import erase_due

logger = logging.getLogger("podium.registration.letters")

ERASE_JOB = "registration.erase_letter_passports"
ERASE_EVERY_SECONDS = 3600.0


async def erase_passports(session_maker: Callable[[], AsyncSession], now: dt.datetime | None = None) -> int:
    async with session_maker() as db_session:
        erased = await erase_due(db_session, now)
        await db_session.commit()
    if erased:
        logger.info("erased the passport data of %d visa letters", erased)
    return erased


@job(ERASE_JOB, every=ERASE_EVERY_SECONDS, queueing_lock=ERASE_JOB)
async def erase_letter_passports(env: JobEnv) -> int:
    """The periodic run of ``erase_passports``."""
    return await erase_passports(env.session_maker)
