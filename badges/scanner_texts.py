"""What the scanner page's script says, in the page's language: the page carries these in a JSON data block
(``badges/scanner.html``) that ``podium/static/js/scanner.js`` reads, so the answers at the door read in the
language the staff member chose, offline too (the service worker keeps the page with its texts), and the page
needs no inline script, which its Content-Security-Policy forbids (``podium.security_headers``).

Placeholders stay as ``%(name)s`` for the script to fill. A count's forms are given for one and for many: the
script picks between them with the browser's plural rules for the page's language (``Intl.PluralRules``), which
agree with the catalogs' for the languages we ship (French counts 0 as one in both).
"""

from __future__ import annotations

from badges.models import ScanReason
from podium.i18n import N_, gettext, ngettext

# A scan's answer as its headline says it, by reason code (the API's ``reason``).
REASONS = {
    ScanReason.ADMITTED.value: N_("admitted"),
    ScanReason.ALREADY_ADMITTED.value: N_("already admitted"),
    ScanReason.CHECKED_OUT.value: N_("checked out"),
    ScanReason.NOT_PAID.value: N_("not paid"),
    ScanReason.CANCELLED.value: N_("cancelled"),
    ScanReason.REVOKED.value: N_("revoked"),
    ScanReason.WRONG_EVENT.value: N_("wrong event"),
    ScanReason.NO_ACCESS.value: N_("no access"),
    ScanReason.OUTSIDE_WINDOW.value: N_("outside window"),
    ScanReason.INVALID.value: N_("invalid"),
}

# What an answer decided offline means, by reason (online, the server's message says it).
OFFLINE_MEANINGS = {
    ScanReason.ADMITTED.value: N_("Kept on this device; uploaded when the network returns"),
    ScanReason.ALREADY_ADMITTED.value: N_("This device admitted this badge here before"),
    ScanReason.CHECKED_OUT.value: N_("Kept on this device; uploaded when the network returns"),
    ScanReason.INVALID.value: N_("Unknown or altered code"),
    ScanReason.WRONG_EVENT.value: N_("This badge is for another event"),
    ScanReason.REVOKED.value: N_("Badge replaced: this one no longer works"),
    ScanReason.NOT_PAID.value: N_("Not paid"),
    ScanReason.CANCELLED.value: N_("Registration cancelled"),
    ScanReason.NO_ACCESS.value: N_("No ticket for this checkpoint"),
    ScanReason.OUTSIDE_WINDOW.value: N_("This checkpoint admits nobody now"),
}

# A looked-up attendee's standing (``AttendeeMatch.status``, ``BundleBadge.status``).
STANDINGS = {"ok": N_("ok"), "not_paid": N_("not paid"), "cancelled": N_("cancelled")}


def _waiting(count: int) -> str:
    """The queue's line in the form for ``count`` (its ``%(count)s`` left for the script to fill)."""
    return ngettext("%(count)s scan waiting to upload", "%(count)s scans waiting to upload", count)


def scanner_texts() -> dict[str, object]:
    """Every text the scanner's script shows, in the current language, keyed as the script reads them."""
    return {
        "queue_one": _waiting(1),
        "queue_other": _waiting(2),
        "online": gettext("Online"),
        "offline": gettext("Offline — scans are checked on this device and kept"),
        "log_in_again": gettext("Online — log in again to upload the waiting scans"),
        "choose_checkpoint": gettext("Choose a checkpoint first"),
        "not_checked": gettext("Not checked"),
        "error": gettext("error %(status)s"),
        "offline_result": gettext("%(result)s offline"),
        "check_in_person": gettext("Check in %(name)s"),
        "nobody_found": gettext("Nobody found."),
        "start_camera": gettext("Start camera"),
        "stop_camera": gettext("Stop camera"),
        "no_camera": gettext("No camera"),
        "allow_camera": gettext("Allow the camera, or scan into the code field."),
        "reasons": {code: gettext(text) for code, text in REASONS.items()},
        "offline_meanings": {code: gettext(text) for code, text in OFFLINE_MEANINGS.items()},
        "standings": {code: gettext(text) for code, text in STANDINGS.items()},
    }
