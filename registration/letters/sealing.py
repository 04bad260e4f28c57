"""Passport data sealed at rest with AES-GCM under a key derived from the app's secret (HKDF with a label of its
own, so this key is never the one that signs links or sessions). The letter's id is the associated data: a sealed
blob copied onto another letter's row does not open there."""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from uuid import UUID

import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CONTEXT = b"podium/visa-letters/passport-data/v1"
_NONCE_BYTES = 12


class PassportData(msgspec.Struct, kw_only=True, frozen=True):
    """What a letter prints about the traveller, as in their passport; never logged (no ``repr`` of it is)."""

    passport_name: str
    nationality: str
    passport_number: str
    date_of_birth: dt.date

    def __repr__(self) -> str:
        return "PassportData(<sealed>)"


@lru_cache(maxsize=8)
def _cipher(secret_key: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CONTEXT).derive(secret_key.encode())
    return AESGCM(key)


def seal(secret_key: str, letter_id: UUID, data: PassportData) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + _cipher(secret_key).encrypt(nonce, msgspec.json.encode(data), letter_id.bytes)


def unseal(secret_key: str, letter_id: UUID, sealed: bytes) -> PassportData:
    nonce, box = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    return msgspec.json.decode(_cipher(secret_key).decrypt(nonce, box, letter_id.bytes), type=PassportData)
