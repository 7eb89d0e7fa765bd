"""AES-GCM with a fresh random nonce per value, and data keys wrapped by a master key.

Every value is encrypted with its subject's 256-bit data key under a new 96-bit random nonce,
with its context (subject id and field name) as associated data, so a ciphertext moved to
another subject or field fails to decrypt. Data keys are stored wrapped: encrypted with the
application's master key (the key-encryption key), their subject id bound the same way. Each
wrapped key names its master key by a short fingerprint, so a cipher built with the new master
key and the old ones as `previous` reads keys wrapped by any of them (rotation, see the guide).

Layouts: a value is `01 | nonce (12) | ciphertext + tag (16)`; a wrapped key is
`01 | master-key fingerprint (8) | nonce (12) | wrapped key + tag (16)`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from orchestrix.core.common.exceptions import MasterKeyError, TamperedDataError

_VERSION = b"\x01"
_NONCE = 12
_TAG = 16
_FINGERPRINT = 8
_KEY_SIZES = (16, 24, 32)
MASTER_KEY_VARIABLE = "ORCHESTRIX_MASTER_KEY"


def generate_master_key() -> str:
    """A new random 256-bit master key, as the base64 text `from_base64` reads."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def _fingerprint(master_key: bytes) -> bytes:
    return hashlib.sha256(b"orchestrix master key\x00" + master_key).digest()[:_FINGERPRINT]


def _checked(master_key: object, name: str) -> bytes:
    if type(master_key) is not bytes or len(master_key) not in _KEY_SIZES:
        size = len(master_key) if isinstance(master_key, bytes | str) else None
        raise MasterKeyError(
            f"The {name} must be 16, 24 or 32 bytes (32 recommended), got "
            f"{type(master_key).__name__}{'' if size is None else f' of length {size}'}"
        )
    return master_key


class AesGcmCipher:
    """The `Cipher` of personal-data protection. `master_key`: 16, 24 or 32 random bytes that
    the application keeps apart from the database (a secrets manager, an environment
    variable); `previous`: earlier master keys still able to unwrap keys they wrapped."""

    def __init__(self, master_key: bytes, *, previous: Sequence[bytes] = ()) -> None:
        master = _checked(master_key, "master key")
        self._master = AESGCM(master)
        self._fingerprint = _fingerprint(master)
        self._unwrappers = {self._fingerprint: self._master}
        for older in previous:
            checked = _checked(older, "previous master key")
            self._unwrappers.setdefault(_fingerprint(checked), AESGCM(checked))

    @classmethod
    def from_base64(cls, master_key: str, *, previous: Sequence[str] = ()) -> AesGcmCipher:
        """A cipher from base64 text (what `generate_master_key` makes)."""
        return cls(_decoded(master_key), previous=[_decoded(key) for key in previous])

    @classmethod
    def from_environment(cls, variable: str = MASTER_KEY_VARIABLE) -> AesGcmCipher:
        """A cipher whose master key is the base64 text in the environment `variable`."""
        text = os.environ.get(variable)
        if not text:
            raise MasterKeyError(
                f"No master key: set the environment variable {variable} to a base64 key "
                "(python -c 'from orchestrix.infrastructure.crypto import generate_master_key; "
                "print(generate_master_key())')"
            )
        return cls.from_base64(text)

    def new_key(self) -> bytes:
        return AESGCM.generate_key(bit_length=256)

    def wrap_key(self, subject_id: str, key: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        sealed = self._master.encrypt(nonce, key, _key_context(subject_id))
        return _VERSION + self._fingerprint + nonce + sealed

    def unwrap_key(self, subject_id: str, wrapped: bytes) -> AesGcmKey:
        return AesGcmKey(self._unwrap(subject_id, wrapped))

    def _unwrap(self, subject_id: str, wrapped: bytes) -> bytes:
        header = 1 + _FINGERPRINT
        if len(wrapped) < header + _NONCE + _TAG or wrapped[:1] != _VERSION:
            raise TamperedDataError(f"The stored key of subject {subject_id!r} is damaged")
        unwrapper = self._unwrappers.get(bytes(wrapped[1:header]))
        if unwrapper is None:
            raise MasterKeyError(
                f"The key of subject {subject_id!r} was wrapped by a master key this cipher "
                "does not have (wrong master key, or an old one missing from `previous`)"
            )
        nonce, sealed = wrapped[header : header + _NONCE], wrapped[header + _NONCE :]
        try:
            return unwrapper.decrypt(nonce, sealed, _key_context(subject_id))
        except InvalidTag:
            raise TamperedDataError(
                f"The stored key of subject {subject_id!r} failed authentication: it was "
                "changed, or belongs to another subject"
            ) from None

    def rewrap_key(self, subject_id: str, wrapped: bytes) -> bytes | None:
        """The key wrapped by the current master key, or None if it already is (rotation)."""
        if bytes(wrapped[1 : 1 + _FINGERPRINT]) == self._fingerprint:
            return None
        return self.wrap_key(subject_id, self._unwrap(subject_id, wrapped))


class AesGcmKey:
    """One subject's data key (a `DataKey`): AES-GCM, a fresh random nonce per value."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = _nonces.take()
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, context)

    def decrypt(self, ciphertext: bytes, context: bytes) -> bytes:
        if len(ciphertext) < 1 + _NONCE + _TAG or ciphertext[:1] != _VERSION:
            raise TamperedDataError("An encrypted value is damaged (too short or unknown format)")
        try:
            return self._aead.decrypt(ciphertext[1 : 1 + _NONCE], ciphertext[1 + _NONCE :], context)
        except InvalidTag:
            raise TamperedDataError(
                "An encrypted value failed authentication: it was changed, or moved from "
                "another subject or field"
            ) from None


class _Nonces:
    """Random nonces read from the OS a page at a time: one system call per 341 values, each
    nonce still taken once and never again (under a lock, across threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool, self._next = b"", 0
        os.register_at_fork(after_in_child=self._forget)  # a child must never reuse them

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._pool, self._next = b"", 0

    def take(self) -> bytes:
        with self._lock:
            start = self._next
            if start + _NONCE > len(self._pool):
                self._pool, start = os.urandom(_NONCE * 341), 0
            self._next = start + _NONCE
            return self._pool[start : start + _NONCE]


_nonces = _Nonces()


def _key_context(subject_id: str) -> bytes:
    return b"orchestrix data key\x00" + subject_id.encode()


def _decoded(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError, ValueError) as error:
        raise MasterKeyError(f"The master key is not valid base64: {error}") from None


__all__ = ["MASTER_KEY_VARIABLE", "AesGcmCipher", "AesGcmKey", "generate_master_key"]
