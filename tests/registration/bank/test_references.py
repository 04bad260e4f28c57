"""Payment references: ISO 11649 check digits, printer-safe random bodies, and finding one in free text."""

from __future__ import annotations

from podium.formatting import in_fours
from registration.bank.references import ALPHABET, is_valid, new_reference, normalize_reference


def test_new_reference_passes_its_own_check_and_uses_the_printer_safe_alphabet() -> None:
    references = {new_reference() for _ in range(200)}

    assert len(references) == 200
    assert all(is_valid(r) and r.startswith("RF") and len(r) == 16 for r in references)
    assert set("".join(r[4:] for r in references)) <= set(ALPHABET)
    assert not set("".join(r[4:] for r in references)) & set("01IO")


def test_known_iso_11649_example_is_valid_when_it_fits_our_alphabet() -> None:
    # Our own body, check digits computed by hand: RF + 98 - (body + "RF00" mod 97).
    body = "ABCDEFGHJKLM"
    as_number = int("".join(str(int(c, 36)) for c in body + "RF00"))

    reference = f"RF{98 - as_number % 97:02d}{body}"

    assert is_valid(reference)


def test_normalize_reference_finds_it_in_remittance_text_whatever_the_spacing_and_case() -> None:
    reference = new_reference()

    found = [
        normalize_reference(f"Payment {in_fours(reference)} conference"),
        normalize_reference(in_fours(reference).lower()),
        normalize_reference(f"ref:{reference}/INV"),
        normalize_reference("-".join(in_fours(reference).split())),
    ]

    assert found == [reference] * 4


def test_normalize_reference_refuses_a_typo_a_swap_and_text_without_one() -> None:
    reference = new_reference()
    typo = reference[:8] + ALPHABET[(ALPHABET.index(reference[8]) + 1) % len(ALPHABET)] + reference[9:]
    swapped = reference[:8] + reference[9] + reference[8] + reference[10:]

    results = [normalize_reference(typo), normalize_reference("no reference here"), normalize_reference("")]

    assert results == [None, None, None]
    assert swapped == reference or normalize_reference(swapped) is None
