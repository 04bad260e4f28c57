"""The unit of work as the composition root builds it: the kernel's session maker (``podium.db.session_maker``,
with its own hooks) plus what the domains add to every transaction, attached here and nowhere else.

The kernel can't name a domain, so every maker the composition root builds (the app's, the job worker's, the
CLI commands') gets the domains' hooks from ``install_domain_hooks``; nothing listens on SQLAlchemy's global
``Session``, and importing a domain module installs nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from badges import hooks as badge_hooks
from podium import audit, db
from registration.audit.services import AUDITED_ENTITIES
from sessions import hooks as session_hooks


def install_domain_hooks(maker: Callable[[], AsyncSession]) -> None:
    """Seats given back when a registration ends, on every path that ends one (``sessions/hooks.py``); a
    transferred registration's badge revoked, whichever path transfers it (``badges/hooks.py``); registration's
    audit entries given their event at flush (``registration.audit.services.AUDITED_ENTITIES``)."""
    session_hooks.install(maker)
    badge_hooks.install(maker)
    install_audited_entities()


def install_audited_entities() -> None:
    """Which registration entities the kernel's audit hook finds the event of (idempotent)."""
    for entity, model in AUDITED_ENTITIES.items():
        audit.register_entity(entity, model)


def session_maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The jobs' and the CLI's unit of work: the same hooks as a request's (the app's maker is advanced-alchemy's,
    given the same by ``create_app``)."""
    maker = db.session_maker(engine)
    install_domain_hooks(maker)
    return maker
