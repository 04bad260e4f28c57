"""The review's background job: reminding reviewers of open assignments (``abstracts.review_reminders``),
periodic on ``PODIUM_REVIEW_REMINDER_CHECK_SECONDS``. Like every job it owns its transaction."""

from __future__ import annotations

import datetime as dt
import logging

from abstracts.review_reminders import remind_reviewers
from podium.jobs import JobEnv, job

logger = logging.getLogger("podium.abstracts.review")

REMIND_JOB = "abstracts.remind_reviewers"


@job(REMIND_JOB, every=lambda settings: settings.review_reminder_check_seconds, queueing_lock=REMIND_JOB)
async def remind_late_reviewers(env: JobEnv) -> int:
    """Mail each reviewer with open assignments once per reminder window."""
    async with env.session_maker() as db_session:
        reminded = await remind_reviewers(db_session, window=dt.timedelta(days=env.settings.review_reminder_days))
        await db_session.commit()
    if reminded:
        logger.info("reminded %d reviewers", reminded)
    return reminded
