"""Our Reed-Solomon for QR codes writes exactly the codewords the ``qrcode`` library computes itself."""

from __future__ import annotations

import random

import pytest
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM, QRData, create_data

from badges.qr import _codewords
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
