"""The token format of ``badges.tokens``: what the offline scanner implements must hold byte for byte."""

from __future__ import annotations

import secrets

import pytest

from badges import tokens


@pytest.fixture(scope="module")
def key() -> tokens.Ed25519PrivateKey:
    return tokens.generate_private_key()


def test_base45_matches_the_rfc_9285_examples() -> None:
    assert tokens.base45_encode(b"AB") == "BB8"
    assert tokens.base45_encode(b"Hello!!") == "%69 VD92EX0"
    assert tokens.base45_encode(b"base-45") == "UJCLQE7W581"
    assert tokens.base45_decode("QED8WEX0") == b"ietf!"


def _reference_decode(text: str) -> bytes:
    """RFC 9285 read one triple at a time, the plain way the fast decoder must agree with."""
    values = [tokens.BASE45.index(c) for c in text]
    out = bytearray()
    for i in range(0, len(values) - 2, 3):
        out += (values[i] + values[i + 1] * 45 + values[i + 2] * 2025).to_bytes(2, "big")
    if len(values) % 3 == 2:
        out.append(values[-2] + values[-1] * 45)
    return bytes(out)


def test_base45_decoding_agrees_with_the_plain_reading_at_every_length_and_extreme() -> None:
    samples = [bytes(range(n)) for n in range(80)] + [b"\xff" * n for n in range(80)] + [b"\x00" * 77]
    samples += [secrets.token_bytes(n) for n in range(80) for _ in range(5)]

    decoded = [(tokens.base45_decode(tokens.base45_encode(raw)), raw) for raw in samples]

    assert all(got == raw == _reference_decode(tokens.base45_encode(raw)) for got, raw in decoded)
    assert tokens.base45_decode("FGW" * 38) == b"\xff" * 76


@pytest.mark.parametrize("text", ["GGW", "A", "ab", "::::", "AB#", "FGW" * 37 + "GGW", "GGW" + "FGW" * 37, "FGWé0"])
def test_base45_refuses_what_no_encoder_writes(text: str) -> None:
    with pytest.raises(tokens.TokenError):
        tokens.base45_decode(text)


def test_a_token_is_114_qr_alphanumeric_characters_carrying_its_claims(key: tokens.Ed25519PrivateKey) -> None:
    kid, serial = bytes.fromhex("0a0b0c0d"), bytes.fromhex("0000000021")

    token = tokens.issue(key, kid, serial, 3)
    claims = tokens.verify(token, key.public_key())

    assert len(token) == tokens.TOKEN_CHARS == 114
    assert set(token) <= set(tokens.BASE45)
    assert (claims.kid_hex, claims.serial_text, claims.version) == ("0a0b0c0d", "00000011", 3)
    assert tokens.base45_decode(token)[:12] == bytes.fromhex("01") + kid + serial + (3).to_bytes(2, "big")


def test_changing_any_byte_or_any_character_breaks_the_token(key: tokens.Ed25519PrivateKey) -> None:
    token = tokens.issue(key, tokens.new_kid(), tokens.new_serial(), 1)
    raw = tokens.base45_decode(token)
    altered_bytes = [raw[:i] + bytes([raw[i] ^ flip]) + raw[i + 1 :] for i in range(len(raw)) for flip in (1, 0x80)]
    altered_chars = [
        token[:i] + (tokens.BASE45[(tokens.BASE45.index(c) + 1) % 45]) + token[i + 1 :] for i, c in enumerate(token)
    ]

    survivors = []
    for candidate in [tokens.base45_encode(b) for b in altered_bytes] + altered_chars:
        try:
            tokens.verify(candidate, key.public_key())
        except tokens.TokenError:
            continue
        survivors.append(candidate)

    assert survivors == []


def test_another_key_does_not_verify(key: tokens.Ed25519PrivateKey) -> None:
    token = tokens.issue(key, tokens.new_kid(), tokens.new_serial(), 1)

    with pytest.raises(tokens.TokenError):
        tokens.verify(token, tokens.generate_private_key().public_key())


def test_serials_print_in_crockford_base32_and_read_back_forgivingly() -> None:
    serial = bytes.fromhex("ffeeddccbb")
    text = tokens.serial_to_text(serial)

    assert text == "ZZQDVK5V"
    assert tokens.serial_from_text(" zzqd-vk5v ") == serial
    assert tokens.serial_from_text("0O1IL000") == tokens.serial_from_text("00111000")
    with pytest.raises(ValueError):
        tokens.serial_from_text("UUUUUUUU")


def test_the_private_key_opens_only_with_the_same_secret_and_kid(key: tokens.Ed25519PrivateKey) -> None:
    kid = tokens.new_kid()
    sealed = tokens.encrypt_private_key("a" * 48, kid, key)

    opened = tokens.decrypt_private_key("a" * 48, kid, sealed)

    assert tokens.public_key_bytes(opened) == tokens.public_key_bytes(key)
    assert tokens.public_key_bytes(key).hex() not in sealed
    with pytest.raises(ValueError, match="secret key"):
        tokens.decrypt_private_key("b" * 48, kid, sealed)
    with pytest.raises(ValueError, match="secret key"):
        tokens.decrypt_private_key("a" * 48, tokens.new_kid(), sealed)
