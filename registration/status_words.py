"""Order and registration statuses as words a person reads, in the request's language: ``awaiting_verification``
is "awaiting verification" in English and "en attente de vérification" in French, in refusals and on pages."""

from __future__ import annotations

from podium.i18n import N_, gettext

# Every status of an order (registration.models.OrderStatus) and of a registration (RegistrationStatus), with
# spaces for underscores, marked for the catalogs.
STATUS_WORDS = (
    N_("held"),
    N_("confirmed"),
    N_("awaiting verification"),
    N_("expired"),
    N_("cancelled"),
    N_("pending"),
    N_("paid"),
)


def status_word(status: str) -> str:
    """The status in the current locale (one added without a word here shows in English)."""
    return gettext(status.replace("_", " "))
