"""An abstract's status and an abstract book's state as words a person reads, in the request's language
("accepted poster" for ``accepted_poster``): refusals name the status they found."""

from __future__ import annotations

from podium.i18n import N_, gettext

STATUS_WORDS = {
    "draft": N_("draft"),
    "submitted": N_("submitted"),
    "withdrawn": N_("withdrawn"),
    "accepted_oral": N_("accepted oral"),
    "accepted_poster": N_("accepted poster"),
    "rejected": N_("rejected"),
}
BOOK_STATE_WORDS = {"queued": N_("queued"), "running": N_("running"), "done": N_("done"), "failed": N_("failed")}


def status_word(status: str) -> str:
    """The abstract status in the current locale (one without a word here shows as stored)."""
    word = STATUS_WORDS.get(status)
    return gettext(word) if word else status
