"""Badge tokens: what a badge's QR code says, and how anyone holding the event's public key checks it.

THE TOKEN FORMAT (version 1) — the offline scanner page implements exactly this.

Binary token, 76 bytes::

    offset  size  field
    0       1     format       0x01
    1       4     kid          the event's key id: 4 random bytes naming the event's signing key
    5       5     serial       the badge serial: 5 random bytes (40 bits), unique within the event
    10      2     version      the badge version, unsigned big-endian, 1..65535; a reprint bumps it
    12      64    signature    Ed25519 (RFC 8032, pure) over bytes 0..11 exactly

Nothing in it is a database id: ``kid`` and ``serial`` are drawn at random, so a token tells nothing about
how many badges exist or which registration row it belongs to.

Text form (what the QR code holds): base45 (RFC 9285) of the 76 bytes, 114 characters, all from the QR
alphanumeric set ``0-9 A-Z space $ % * + - . / :``. Base45 takes 2 bytes to 3 characters: for bytes
``a, b`` let ``n = a*256 + b`` and write ``n % 45, (n // 45) % 45, n // 2025`` as characters of
``"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"`` (a trailing single byte ``a`` gives ``a % 45, a // 45``).
A decoder refuses a character outside that set, a length that leaves one character over (``len % 3 == 1``)
and a triple worth more than 65535. The text may contain spaces, also at its ends: never trim it.

Why base45: a QR code's alphanumeric mode spends 5.5 bits per character, so base45 costs 16.5 bits per
2 bytes (3 % overhead) where base64url in byte mode costs 32 bits per 3 bytes (33 %). At error correction
level M (what badges print with; a creased badge still scans) the 114 characters fit QR version 5
(37x37 modules) and base64url's 102 characters need version 6 (41x41); at level L it is version 4
against 5. Base32 ties with base45 at level M but loses at L and leaves less room.

Checking a token (the server does the same, see ``badges.services``):

1. base45-decode; anything but 76 bytes with ``format == 0x01`` is ``invalid``;
2. find the public key for ``kid`` (the scanner bundle's ``key.kid``, 8 lowercase hex characters);
   an unknown ``kid`` is ``invalid`` to an offline scanner (the server also knows other events' keys and
   answers ``wrong_event`` when the signature verifies with one of them);
3. verify the signature over bytes 0..11 with that key (the bundle's ``key.public_key``: the raw 32-byte
   Ed25519 public key, base64url without padding); a failure is ``invalid``;
4. the serial's printed and bundle form is 8 characters of Crockford base32: the 40 bits big-endian, cut
   into 5-bit groups from the most significant end, each written with
   ``"0123456789ABCDEFGHJKMNPQRSTVWXYZ"`` (so bytes ``00 00 00 00 21`` are ``"00000011"``);
5. a ``version`` lower than the badge's current one (the bundle's ``badges[].version``) is ``revoked``.

Keys: one Ed25519 key pair per event, made on first use. The private key is stored encrypted with
AES-256-GCM under a key derived (HKDF-SHA256) from the app's secret key, so a database dump alone can't
sign badges; changing the app's secret key therefore needs the event keys re-made (and badges reprinted).
"""

from __future__ import annotations

import base64
import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

FORMAT = 0x01
KID_BYTES = 4
SERIAL_BYTES = 5
SIGNED_BYTES = 1 + KID_BYTES + SERIAL_BYTES + 2
SIGNATURE_BYTES = 64
TOKEN_BYTES = SIGNED_BYTES + SIGNATURE_BYTES
TOKEN_CHARS = TOKEN_BYTES // 2 * 3
MAX_VERSION = 0xFFFF

BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_NOT_BASE45 = 0xFF
_BASE45_TABLE = bytes(BASE45.index(chr(i)) if chr(i) in BASE45 else _NOT_BASE45 for i in range(256))
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RFC4648_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", CROCKFORD)
# What people type for a serial: Crockford's look-alikes read as the digits they resemble.
_CROCKFORD_VALUE = {c: i for i, c in enumerate(CROCKFORD)} | {"O": 0, "I": 1, "L": 1}

_ENCRYPTION_INFO = b"podium badge signing key v1"
_ENCRYPTED_PREFIX = "v1."


class TokenError(ValueError):
    """The text is not a well-formed, correctly signed token (the scan answer is ``invalid``)."""


@dataclass(frozen=True, slots=True)
class BadgeClaims:
    """What a token says: whose key signed it, which badge, which printing of it."""

    kid: bytes
    serial: bytes
    version: int

    @property
    def kid_hex(self) -> str:
        return self.kid.hex()

    @property
    def serial_text(self) -> str:
        return serial_to_text(self.serial)


def base45_encode(data: bytes) -> str:
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        out += (BASE45[n % 45], BASE45[n // 45 % 45], BASE45[n // 2025])
    if len(data) % 2:
        out += (BASE45[data[-1] % 45], BASE45[data[-1] // 45])
    return "".join(out)


def base45_decode(text: str) -> bytes:
    """Decode with a handful of C-level steps instead of a Python loop per triple (a scanner checks every
    badge it sees): each character becomes its value through one ``bytes.translate``; the three values of
    every triple are spread into 24-bit slots of three big integers, one sum ``low + 45 mid + 2025 high``
    gives every triple's number at once, and a slot whose top byte is not zero is a triple over 65535."""
    triples, rest = divmod(len(text), 3)
    if rest == 1:
        raise TokenError("base45 text of impossible length")
    try:
        values = text.encode("ascii").translate(_BASE45_TABLE)
    except UnicodeEncodeError as exc:
        raise TokenError("a character outside base45") from exc
    if _NOT_BASE45 in values:
        raise TokenError("a character outside base45")
    end = 3 * triples
    slots = bytearray(end)
    slots[2::3] = values[0:end:3]
    low = int.from_bytes(slots, "big")
    slots[2::3] = values[1:end:3]
    mid = int.from_bytes(slots, "big")
    slots[2::3] = values[2:end:3]
    high = int.from_bytes(slots, "big")
    numbers = (low + 45 * mid + 2025 * high).to_bytes(end, "big")
    if numbers[0::3].count(0) != triples:
        raise TokenError("base45 triple out of range")
    out = bytearray(2 * triples + rest // 2)
    out[0 : 2 * triples : 2] = numbers[1::3]
    out[1 : 2 * triples : 2] = numbers[2::3]
    if rest == 2:
        n = values[-2] + values[-1] * 45
        if n > 0xFF:
            raise TokenError("base45 pair out of range")
        out[-1] = n
    return bytes(out)


def serial_to_text(serial: bytes) -> str:
    """The 40-bit serial as 8 Crockford base32 characters, the form printed on the badge.

    Base32 of RFC 4648 cuts the bits the same way, so its text only needs Crockford's letters swapped in."""
    if len(serial) != SERIAL_BYTES:
        raise ValueError("a serial is 5 bytes")
    return base64.b32encode(serial).decode("ascii").translate(_RFC4648_TO_CROCKFORD)


def serial_from_text(text: str) -> bytes:
    """Read a typed serial: case, dashes and spaces don't matter; O/I/L read as 0/1/1."""
    cleaned = text.strip().upper().replace("-", "").replace(" ", "")
    if len(cleaned) != 8 or any(c not in _CROCKFORD_VALUE for c in cleaned):
        raise ValueError("a serial is 8 characters of 0-9 and A-Z (no U)")
    n = 0
    for c in cleaned:
        n = n << 5 | _CROCKFORD_VALUE[c]
    return n.to_bytes(SERIAL_BYTES, "big")


def new_serial() -> bytes:
    return os.urandom(SERIAL_BYTES)


def new_kid() -> bytes:
    return os.urandom(KID_BYTES)


def signed_part(kid: bytes, serial: bytes, version: int) -> bytes:
    if len(kid) != KID_BYTES or len(serial) != SERIAL_BYTES or not 1 <= version <= MAX_VERSION:
        raise ValueError("kid is 4 bytes, serial 5 bytes, version 1..65535")
    return struct.pack(">B4s5sH", FORMAT, kid, serial, version)


def issue(private_key: Ed25519PrivateKey, kid: bytes, serial: bytes, version: int) -> str:
    """The token text for one printing of one badge."""
    body = signed_part(kid, serial, version)
    return base45_encode(body + private_key.sign(body))


def parse(text: str) -> tuple[BadgeClaims, bytes, bytes]:
    """Split a token into its claims, the signed bytes and the signature, without checking the signature."""
    raw = base45_decode(text)
    if len(raw) != TOKEN_BYTES or raw[0] != FORMAT:
        raise TokenError("not a version-1 badge token")
    _, kid, serial, version = struct.unpack(">B4s5sH", raw[:SIGNED_BYTES])
    if version == 0:
        raise TokenError("badge version 0 is never issued")
    return BadgeClaims(kid=kid, serial=serial, version=version), raw[:SIGNED_BYTES], raw[SIGNED_BYTES:]


def verifying_key(public_key: VerifyKey | Ed25519PublicKey) -> VerifyKey:
    if isinstance(public_key, VerifyKey):
        return public_key
    return VerifyKey(public_key.public_bytes_raw())


def verify_signature(public_key: VerifyKey | Ed25519PublicKey, signed: bytes, signature: bytes) -> bool:
    """Ed25519 (RFC 8032) verification through libsodium (PyNaCl): about twice as fast here as OpenSSL's
    (~55 against ~120 µs), which is most of what checking a badge costs. Signing stays with ``cryptography``."""
    try:
        verifying_key(public_key).verify(signed, signature)
    except BadSignatureError:
        return False
    return True


def verify(text: str, public_key: VerifyKey | Ed25519PublicKey) -> BadgeClaims:
    """The claims of a token signed by ``public_key``; ``TokenError`` for anything else."""
    claims, signed, signature = parse(text)
    if not verify_signature(public_key, signed, signature):
        raise TokenError("the signature does not match")
    return claims


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_key_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_from_bytes(raw: bytes) -> VerifyKey:
    """The key scanners and the server verify with (a raw 32-byte Ed25519 public key)."""
    return VerifyKey(raw)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _wrapping_key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_ENCRYPTION_INFO).derive(secret_key.encode())


def encrypt_private_key(secret_key: str, kid: bytes, private_key: Ed25519PrivateKey) -> str:
    """The private key sealed with the app's secret; the kid is bound in, so sealed keys can't be swapped."""
    raw = private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    nonce = os.urandom(12)
    sealed = AESGCM(_wrapping_key(secret_key)).encrypt(nonce, raw, b"podium-badge-key:" + kid)
    return _ENCRYPTED_PREFIX + b64url(nonce + sealed)


def decrypt_private_key(secret_key: str, kid: bytes, sealed: str) -> Ed25519PrivateKey:
    if not sealed.startswith(_ENCRYPTED_PREFIX):
        raise ValueError("unknown sealed-key format")
    blob = b64url_decode(sealed[len(_ENCRYPTED_PREFIX) :])
    try:
        raw = AESGCM(_wrapping_key(secret_key)).decrypt(blob[:12], blob[12:], b"podium-badge-key:" + kid)
    except InvalidTag as exc:
        raise ValueError("the badge signing key does not open with this app's secret key") from exc
    return Ed25519PrivateKey.from_private_bytes(raw)
