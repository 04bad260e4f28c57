"""Payment references for bank transfers: ISO 11649 "RF" creditor references, made and recognised here only.

Why RF rather than a code of our own with a mod-97 check: it *is* a short code with a mod-97 check (the IBAN's
algorithm: any single wrong character and any swap of two neighbours is caught), and it is also the standard
structured reference European banks accept in their "reference" field and carry through to the statement
(CAMT.053 ``CdtrRefInf``), often checking it as the payer types it. The body is 12 characters drawn at random
(``secrets``) from 32 that can't be misread in print (no 0/O, 1/I): 60 random bits, so a reference reveals
nothing of the order and can't be guessed. It prints in groups of four: ``RF47 ABCD EFGH JKLM``.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
BODY_LENGTH = 12
REFERENCE_LENGTH = 4 + BODY_LENGTH
# "RF", two check digits, then the body, each character possibly separated by spaces, dashes or dots (as
# people and bank exports write them); matched on upper-cased text, every possible start tried.
_CANDIDATE = re.compile(rf"(?=(R[\s.\-]*F[\s.\-]*\d[\s.\-]*\d(?:[\s.\-]*[A-Z0-9]){{{BODY_LENGTH}}}))")
_SEPARATORS = re.compile(r"[\s.\-]+")


def _as_number(text: str) -> int:
    """ISO 7064 mod 97-10 over letters as numbers (A=10 … Z=35), as for IBANs."""
    return int("".join(str(int(c, 36)) for c in text))


def check_digits(body: str) -> str:
    return f"{98 - _as_number(body + 'RF00') % 97:02d}"


def is_valid(reference: str) -> bool:
    """Whether a compact reference (``RF`` + check digits + our body) passes the mod-97 check."""
    if len(reference) != REFERENCE_LENGTH or not reference.startswith("RF"):
        return False
    body = reference[4:]
    if any(c not in ALPHABET for c in body):
        return False
    return _as_number(body + reference[:4]) % 97 == 1


def new_reference() -> str:
    """A fresh random reference, compact (``RF47ABCDEFGHJKLM``); uniqueness is the database's (a unique index)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return f"RF{check_digits(body)}{body}"


def normalize_reference(text: str) -> str | None:
    """One of our references found in free text (a statement's remittance information, a typed field), compact,
    or None. Spaces, dashes, dots and case don't matter; a reference whose check fails (a typo) is not one."""
    for match in _CANDIDATE.finditer(text.upper()):
        compact = _SEPARATORS.sub("", match.group(1))
        if is_valid(compact):
            return compact
    return None
