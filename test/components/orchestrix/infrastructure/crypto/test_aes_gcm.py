"""The AES-GCM cipher: values bound to their context, keys bound to their subject and master
key, and a clear error for every way a key or a value can be wrong."""

from __future__ import annotations

import base64

import pytest

from orchestrix.core.common.exceptions import MasterKeyError, TamperedDataError
from orchestrix.infrastructure.crypto import AesGcmCipher, generate_master_key
from orchestrix.infrastructure.crypto.aes_gcm import MASTER_KEY_VARIABLE, AesGcmKey


@pytest.fixture
def cipher() -> AesGcmCipher:
    return AesGcmCipher.from_base64(generate_master_key())


def test_values_round_trip_under_a_fresh_nonce_each_time(cipher: AesGcmCipher) -> None:
    secret = cipher.new_key()
    key = AesGcmKey(secret)
    sealed = [key.encrypt(b"Ann Smith", b"c-1\x00name") for _ in range(1000)]
    assert len({value[1:13] for value in sealed}) == 1000  # no nonce twice
    assert b"Ann Smith" not in sealed[0]
    assert key.decrypt(sealed[0], b"c-1\x00name") == b"Ann Smith"
    assert len(secret) == 32 and cipher.new_key() != secret


@pytest.mark.parametrize("context", [b"c-2\x00name", b"c-1\x00email", b""])
def test_a_value_moved_to_another_context_fails(cipher: AesGcmCipher, context: bytes) -> None:
    key = AesGcmKey(cipher.new_key())
    sealed = key.encrypt(b"Ann", b"c-1\x00name")
    with pytest.raises(TamperedDataError, match="moved from another subject or field"):
        key.decrypt(sealed, context)


def test_a_changed_value_fails(cipher: AesGcmCipher) -> None:
    key = AesGcmKey(cipher.new_key())
    sealed = bytearray(key.encrypt(b"Ann", b"ctx"))
    sealed[-1] ^= 1
    with pytest.raises(TamperedDataError):
        key.decrypt(bytes(sealed), b"ctx")
    for damaged in (b"", b"\x01short", b"\x02" + bytes(40)):
        with pytest.raises(TamperedDataError, match="damaged"):
            key.decrypt(damaged, b"ctx")


def roundtrips(key: AesGcmKey, other: AesGcmKey) -> bool:
    return other.decrypt(key.encrypt(b"value", b"ctx"), b"ctx") == b"value"


def test_keys_are_wrapped_for_their_subject(cipher: AesGcmCipher) -> None:
    secret = cipher.new_key()
    wrapped = cipher.wrap_key("c-1", secret)
    assert secret not in wrapped
    assert roundtrips(cipher.unwrap_key("c-1", wrapped), AesGcmKey(secret))
    with pytest.raises(TamperedDataError, match="another subject"):
        cipher.unwrap_key("c-2", wrapped)
    with pytest.raises(TamperedDataError, match="damaged"):
        cipher.unwrap_key("c-1", wrapped[:20])


def test_another_master_key_cannot_unwrap(cipher: AesGcmCipher) -> None:
    wrapped = cipher.wrap_key("c-1", cipher.new_key())
    with pytest.raises(MasterKeyError, match="does not have"):
        AesGcmCipher.from_base64(generate_master_key()).unwrap_key("c-1", wrapped)


def test_rotation_reads_old_keys_and_rewraps_them() -> None:
    old, new = generate_master_key(), generate_master_key()
    secret = AesGcmCipher.from_base64(old).new_key()
    wrapped = AesGcmCipher.from_base64(old).wrap_key("c-1", secret)
    rotated = AesGcmCipher.from_base64(new, previous=[old])
    assert roundtrips(rotated.unwrap_key("c-1", wrapped), AesGcmKey(secret))
    rewrapped = rotated.rewrap_key("c-1", wrapped)
    assert rewrapped is not None and rotated.rewrap_key("c-1", rewrapped) is None
    only_new = AesGcmCipher.from_base64(new)
    assert roundtrips(only_new.unwrap_key("c-1", rewrapped), AesGcmKey(secret))


@pytest.mark.parametrize("master", [b"", b"short", b"x" * 33, "x" * 32, None])
def test_a_malformed_master_key_is_refused(master: object) -> None:
    with pytest.raises(MasterKeyError, match="16, 24 or 32 bytes"):
        AesGcmCipher(master)  # type: ignore[arg-type]


def test_master_keys_of_every_aes_size_work() -> None:
    for size in (16, 24, 32):
        cipher = AesGcmCipher(bytes(range(size)))
        unwrapped = cipher.unwrap_key("s", cipher.wrap_key("s", b"k" * 32))
        assert roundtrips(unwrapped, AesGcmKey(b"k" * 32))


def test_a_missing_master_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MASTER_KEY_VARIABLE, raising=False)
    with pytest.raises(MasterKeyError, match=MASTER_KEY_VARIABLE):
        AesGcmCipher.from_environment()
    monkeypatch.setenv(MASTER_KEY_VARIABLE, "not base64 !")
    with pytest.raises(MasterKeyError, match="not valid base64"):
        AesGcmCipher.from_environment()
    monkeypatch.setenv(MASTER_KEY_VARIABLE, base64.b64encode(bytes(32)).decode())
    assert isinstance(AesGcmCipher.from_environment(), AesGcmCipher)
