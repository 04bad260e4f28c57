"""QR codes for badge tokens: the module matrix from the ``qrcode`` package, drawn by us as PNG, SVG or PDF.

Speed (measured here, one 114-character token): ``qrcode``'s default ``make(fit=True)`` takes ~10 ms,
~80 % of it scoring all eight mask patterns; with the mask fixed it takes ~2.4 ms and with the version
fixed too ~1.8 ms, the rest being its pure-Python Reed-Solomon. Any mask decodes (the scoring only avoids
patterns that are a little harder for old readers), and zbar reads our badges in the tests, so we fix
both: 10,000 badges spend ~18 s in QR encoding instead of ~100 s. Drawing from the matrix ourselves
(vector rectangles in the PDF, one path in SVG) avoids going through an image library at all.
"""

from __future__ import annotations

import io
import re
import zlib
from functools import lru_cache
from typing import cast

import qrcode
from qrcode import base
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import ALPHA_NUM, MODE_8BIT_BYTE, MODE_ALPHA_NUM, PAD0, PAD1, QRData, length_in_bits, mask_func

from badges.tokens import BASE45

QUIET_ZONE = 4  # modules of white around the code, as the standard asks
_ALPHANUMERIC = frozenset(BASE45)
_MASK = 0
_DARK_RUN = re.compile(b"\x01+")


@lru_cache(maxsize=64)
def _version_for(length: int, alphanumeric: bool) -> int:
    """The smallest version that holds text of this length (same for every token, so worked out once). The probe
    is "A"s, valid in both modes: ``qrcode`` fails on some all-"0" texts (``glog(0)``, 181 of the lengths 1 to 299)."""
    probe = qrcode.QRCode(error_correction=ERROR_CORRECT_M, mask_pattern=_MASK, border=0)
    probe.add_data(QRData("A" * length, mode=MODE_ALPHA_NUM if alphanumeric else MODE_8BIT_BYTE))
    probe.make(fit=True)
    assert probe.version is not None
    return probe.version


# GF(256) exponentials doubled in length, so a product needs no "mod 255" (Reed-Solomon below).
_EXP = [base.gexp(i) for i in range(510)]
_LOG = [0] + [base.glog(n) for n in range(1, 256)]


@lru_cache(maxsize=32)
def _generator_logs(ec_count: int) -> tuple[int, ...]:
    """The Reed-Solomon generator polynomial of ``ec_count`` error words, as logs of its coefficients
    (leading 1 left out)."""
    poly = [1]
    for i in range(ec_count):  # multiply by (x - a^i)
        poly = [a ^ (_EXP[_LOG[b] + i] if b else 0) for a, b in zip([*poly, 0], [0, *poly], strict=True)]
    return tuple(_LOG[c] for c in poly[1:])


@lru_cache(maxsize=32)
def _generator_multiples(ec_count: int) -> tuple[int, ...]:
    """The generator polynomial times each byte value, its ``ec_count`` coefficients packed into one integer
    (first coefficient in the top byte): a shift-register step is then one XOR of integers."""
    generator = _generator_logs(ec_count)
    multiples = [0]
    for factor in range(1, 256):
        shift = _LOG[factor]
        multiples.append(int.from_bytes(bytes(_EXP[shift + g] for g in generator), "big"))
    return tuple(multiples)


def _error_words(data: list[int], ec_count: int) -> list[int]:
    """The block's error-correction words: the remainder of data(x)·x^n by the generator, as a shift register
    held in one integer (a byte per word)."""
    multiples = _generator_multiples(ec_count)
    top, mask = 8 * (ec_count - 1), (1 << 8 * ec_count) - 1
    remainder = 0
    for word in data:
        remainder = ((remainder << 8) & mask) ^ multiples[word ^ (remainder >> top)]
    return list(remainder.to_bytes(ec_count, "big"))


def _data_bits(data: QRData, version: int) -> tuple[int, int]:
    """The segment's bits (mode, length, text) as one integer and its bit count: what ``QRData.write`` puts into a
    ``BitBuffer`` one bit per call, in a few integer shifts."""
    value, count = data.mode, 4
    size = length_in_bits(data.mode, version)
    value, count = (value << size) | len(data), count + size
    text = data.data
    if data.mode == MODE_ALPHA_NUM:
        codes = [ALPHA_NUM.index(c) for c in text]
        for i in range(0, len(codes) - 1, 2):
            value, count = (value << 11) | (codes[i] * 45 + codes[i + 1]), count + 11
        if len(codes) % 2:
            value, count = (value << 6) | codes[-1], count + 6
    else:
        value, count = (value << 8 * len(text)) | int.from_bytes(text, "big"), count + 8 * len(text)
    return value, count


def _codewords(data: QRData, version: int) -> list[int]:
    """``qrcode.util.create_data`` with a table-driven Reed-Solomon: the same codewords (a test compares them)
    in a fraction of the time; the library's polynomial arithmetic was most of a badge's QR cost."""
    blocks = base.rs_blocks(version, ERROR_CORRECT_M)
    bit_limit = sum(block.data_count * 8 for block in blocks)
    value, count = _data_bits(data, version)
    terminator = min(bit_limit - count, 4)
    value, count = value << terminator, count + terminator
    if count % 8:  # to a whole byte
        value, count = value << (8 - count % 8), count + 8 - count % 8
    words = list(value.to_bytes(count // 8, "big"))
    words += [PAD1 if i % 2 else PAD0 for i in range(bit_limit // 8 - len(words))]
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        chunk = words[offset : offset + block.data_count]
        offset += block.data_count
        data_blocks.append(chunk)
        ec_blocks.append(_error_words(chunk, block.total_count - block.data_count))
    interleaved = [b[i] for i in range(max(map(len, data_blocks))) for b in data_blocks if i < len(b)]
    return interleaved + [b[i] for i in range(max(map(len, ec_blocks))) for b in ec_blocks if i < len(b)]


@lru_cache(maxsize=16)
def _layout(version: int) -> tuple[tuple[tuple[bool | None, ...], ...], tuple[tuple[int, int, bool], ...]]:
    """A version's symbol before its data: the library's function patterns and format information (mask fixed),
    with ``None`` where data goes; and those data modules in the order the library fills them, each with
    whether the mask flips it. The same for every token, so the per-token work is only placing bits."""
    code = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M, mask_pattern=_MASK, border=0)
    code.map_data = lambda data, mask_pattern: None  # stop before the data: leave its modules None
    code.makeImpl(False, _MASK)
    modules, size = code.modules, code.modules_count
    flips = mask_func(_MASK)
    order: list[tuple[int, int, bool]] = []
    row, step = size - 1, -1
    for col in range(size - 1, 0, -2):  # qrcode's ``map_data`` walk: two columns at a time, up then down
        if col <= 6:
            col -= 1  # the vertical timing pattern's column is skipped
        while 0 <= row < size:
            order += [(row, c, bool(flips(row, c))) for c in (col, col - 1) if modules[row][c] is None]
            row += step
        row, step = row - step, -step
    return tuple(tuple(line) for line in modules), tuple(order)


def qr_matrix(text: str) -> list[list[bool]]:
    """Dark (True) and light modules, without the quiet zone; alphanumeric mode when the text allows. The same
    matrix ``qrcode`` makes for this version and mask (a test compares them), its data placed from a table."""
    alphanumeric = bool(text) and all(c in _ALPHANUMERIC for c in text)
    data = QRData(text if alphanumeric else text.encode(), mode=MODE_ALPHA_NUM if alphanumeric else MODE_8BIT_BYTE)
    version = _version_for(len(data), alphanumeric)
    template, order = _layout(version)
    matrix = [list(line) for line in template]
    bits = "".join(f"{word:08b}" for word in _codewords(data, version)).ljust(len(order), "0")
    for (row, column, flip), bit in zip(order, bits, strict=False):  # remainder bits past the words are light
        matrix[row][column] = (bit == "1") is not flip
    return cast(list[list[bool]], matrix)


def dark_runs(matrix: list[list[bool]]) -> list[tuple[int, int, int]]:
    """Each row's horizontal runs of dark modules as (row, first column, length): fewer shapes to draw."""
    return [
        (y, run.start(), run.end() - run.start())
        for y, row in enumerate(matrix)
        for run in _DARK_RUN.finditer(bytes(row))  # a row's modules as bytes 0 and 1
    ]


def qr_svg(text: str, *, module_px: int = 8) -> str:
    """A standalone SVG: one path for all dark modules, crisp at any size."""
    matrix = qr_matrix(text)
    size = len(matrix) + 2 * QUIET_ZONE
    path = "".join(f"M{x + QUIET_ZONE} {y + QUIET_ZONE}h{n}v1h-{n}z" for y, x, n in dark_runs(matrix))
    pixels = size * module_px
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{pixels}" height="{pixels}" '
        f'shape-rendering="crispEdges" role="img" aria-label="badge QR code">'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    )


def qr_png(text: str, *, module_px: int = 8) -> bytes:
    """A greyscale PNG written directly (zlib only): no image library, ~1 ms for a badge-sized code."""
    matrix = qr_matrix(text)
    modules = len(matrix) + 2 * QUIET_ZONE
    light = b"\xff" * (modules * module_px)
    rows: list[bytes] = []
    for y in range(modules):
        inner = y - QUIET_ZONE
        if 0 <= inner < len(matrix):
            cells = [False] * QUIET_ZONE + matrix[inner] + [False] * QUIET_ZONE
            line = b"".join((b"\x00" if dark else b"\xff") * module_px for dark in cells)
        else:
            line = light
        rows.extend([b"\x00" + line] * module_px)  # filter byte 0 (none) before each scanline
    pixels = modules * module_px
    return _png(pixels, pixels, b"".join(rows))


def _png(width: int, height: int, scanlines: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])  # 8-bit grey
    out = io.BytesIO()
    out.write(b"\x89PNG\r\n\x1a\n")
    out.write(chunk(b"IHDR", header))
    out.write(chunk(b"IDAT", zlib.compress(scanlines, 6)))
    out.write(chunk(b"IEND", b""))
    return out.getvalue()
