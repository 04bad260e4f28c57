"""Background jobs on procrastinate (PostgreSQL-backed, no extra server; on SQLite our own small connector).

A domain declares a job with one decorator in its ``tasks.py``::

    @job("registration.send_due_mail", every=lambda s: s.mail_drain_seconds, queueing_lock="...")
    async def send_due_mail(env: JobEnv) -> int: ...

and asks for it after its transaction commits with ``kick_after_commit(db_session, name)`` (or defers it with
arguments through the app's ``WebJobs``). ``podium worker`` runs the jobs; on SQLite the web process does.
"""

from podium.jobs.kicks import kick_after_commit
from podium.jobs.registry import JOBS, JobEnv, job

__all__ = ["JOBS", "JobEnv", "job", "kick_after_commit"]
