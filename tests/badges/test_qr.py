"""Our Reed-Solomon and data placement for QR codes write exactly the codewords and modules the ``qrcode`` library
computes itself."""

from __future__ import annotations

import random

import pytest
import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM, QRData, create_data

from badges.qr import _codewords, _version_for, qr_matrix
from badges.tokens import BASE45


@pytest.mark.parametrize(("length", "alphanumeric", "version"), [(114, True, 5), (40, True, 3), (200, False, 11)])
def test_codewords_match_the_library_for_badge_sized_texts(length: int, alphanumeric: bool, version: int) -> None:
    rng = random.Random(length)
    for _ in range(25):
        if alphanumeric:
            data = QRData("".join(rng.choice(BASE45) for _ in range(length)), mode=MODE_ALPHA_NUM)
        else:
            data = QRData(bytes(rng.randrange(256) for _ in range(length)), mode=MODE_8BIT_BYTE)

        ours = _codewords(data, version)

        assert ours == create_data(version, ERROR_CORRECT_M, [data])


@pytest.mark.parametrize(("length", "alphanumeric"), [(114, True), (41, True), (1, True), (200, False), (3, False)])
def test_the_matrix_is_the_librarys_for_the_same_version_and_mask(length: int, alphanumeric: bool) -> None:
    """``qr_matrix`` places the data from a per-version table; ``qrcode`` makes the same symbol itself."""
    rng = random.Random(length)
    for _ in range(10):
        if alphanumeric:
            text = "".join(rng.choice(BASE45) for _ in range(length))
        else:
            text = "".join(rng.choice("abcdefghé€ ") for _ in range(length))
        ours = qr_matrix(text)

        data = QRData(text if alphanumeric else text.encode(), mode=MODE_ALPHA_NUM if alphanumeric else MODE_8BIT_BYTE)
        library = qrcode.QRCode(version=len(ours) // 4 - 4, error_correction=ERROR_CORRECT_M, mask_pattern=0, border=0)
        library.add_data(data)
        library.make(fit=False)
        assert ours == library.get_matrix()


def test_the_version_is_the_librarys_own_choice_for_every_length() -> None:
    """Tokens of any length get a code: the version worked out once per length is the one ``qrcode`` picks for a
    real text of that length (an all-"0" probe used to crash it for 181 lengths)."""
    rng = random.Random(7)
    for length in range(1, 300):
        for alphanumeric in (True, False):
            text = "".join(rng.choice(BASE45) for _ in range(length))
            library = qrcode.QRCode(error_correction=ERROR_CORRECT_M, mask_pattern=0, border=0)
            library.add_data(QRData(text, mode=MODE_ALPHA_NUM if alphanumeric else MODE_8BIT_BYTE))
            library.make(fit=True)

            assert _version_for(length, alphanumeric) == library.version, (length, alphanumeric)
