"""The key store contract: one abstract suite every key store of personal-data protection passes.

A backend's test module subclasses `KeyStoreContract` and provides the `key_store` fixture: a
fresh, empty store behind the async face `AsyncKeys` (sync stores are wrapped by `SyncKeys`),
so every backend is held to exactly the same checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from orchestrix.core.common.exceptions import UnknownSubjectError
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.personal_keys import Rewrap, StoredKeys


@dataclass
class SyncKeys:
    """A sync `KeyStore` behind the async face the contract drives."""

    store: Any

    async def find(self, subjects: Collection[str]) -> StoredKeys:
        found: StoredKeys = self.store.find(subjects)
        return found

    async def claim(self, stream_id: str, subjects: Collection[str]) -> StoredKeys:
        found: StoredKeys = self.store.claim(stream_id, subjects)
        return found

    async def add(self, keys: Mapping[str, bytes]) -> StoredKeys:
        found: StoredKeys = self.store.add(keys)
        return found

    async def subjects_of(self, stream_id: str) -> StoredKeys:
        found: StoredKeys = self.store.subjects_of(stream_id)
        return found

    async def streams_of(self, subject_id: str) -> list[str]:
        found: list[str] = self.store.streams_of(subject_id)
        return found

    async def erase(self, subject_id: str) -> datetime:
        erased_at: datetime = self.store.erase(subject_id)
        return erased_at

    async def rewrap(self, rewrap: Rewrap) -> int:
        count: int = self.store.rewrap(rewrap)
        return count


type AsyncKeys = Any
"""A key store with the async methods of `AsyncKeyStore` (or a `SyncKeys`)."""

KEY_A, KEY_B = b"wrapped-key-a" * 4, b"wrapped-key-b" * 4


class KeyStoreContract:
    """Every key store passes these; subclasses provide the `key_store` fixture."""

    @pytest.fixture
    def key_store(self) -> AsyncKeys:
        raise NotImplementedError("subclasses provide a key_store fixture")

    async def test_unknown_subjects_are_absent(self, key_store: AsyncKeys) -> None:
        assert await key_store.find(["nobody"]) == {}
        assert await key_store.find([]) == {}

    async def test_an_added_key_is_found(self, key_store: AsyncKeys) -> None:
        assert await key_store.add({"ann": KEY_A}) == {"ann": KEY_A}
        assert await key_store.find(["ann", "bob"]) == {"ann": KEY_A}

    async def test_the_first_key_of_a_subject_stays(self, key_store: AsyncKeys) -> None:
        await key_store.add({"ann": KEY_A})
        assert await key_store.add({"ann": KEY_B, "bob": KEY_B}) == {"ann": KEY_A, "bob": KEY_B}

    async def test_claims_record_the_streams_of_each_subject(self, key_store: AsyncKeys) -> None:
        await key_store.add({"ann": KEY_A})
        assert await key_store.claim("order-2", ["ann", "bob"]) == {"ann": KEY_A}
        await key_store.claim("order-1", ["ann"])
        await key_store.claim("order-1", ["ann"])  # again: no duplicate
        await key_store.add({"bob": KEY_B})
        assert await key_store.streams_of("ann") == ["order-1", "order-2"]
        assert await key_store.streams_of("bob") == ["order-2"]
        assert await key_store.streams_of("carol") == []
        assert await key_store.subjects_of("order-2") == {"ann": KEY_A, "bob": KEY_B}
        assert await key_store.subjects_of("order-3") == {}

    async def test_erasure_deletes_the_key_for_good(self, key_store: AsyncKeys) -> None:
        await key_store.add({"ann": KEY_A, "bob": KEY_B})
        await key_store.claim("order-1", ["ann", "bob"])
        erased_at = await key_store.erase("ann")
        assert erased_at.tzinfo is not None
        assert await key_store.find(["ann", "bob"]) == {"ann": None, "bob": KEY_B}
        assert await key_store.add({"ann": KEY_B}) == {"ann": None}  # never made again
        assert await key_store.claim("order-2", ["ann"]) == {"ann": None}
        assert await key_store.subjects_of("order-1") == {"ann": None, "bob": KEY_B}

    async def test_erasing_again_returns_the_first_erasure(self, key_store: AsyncKeys) -> None:
        await key_store.add({"ann": KEY_A})
        first = await key_store.erase("ann")
        await asyncio.sleep(0.002)
        assert await key_store.erase("ann") == first

    async def test_an_unknown_subject_cannot_be_erased(self, key_store: AsyncKeys) -> None:
        with pytest.raises(UnknownSubjectError) as raised:
            await key_store.erase("nobody")
        assert raised.value.subject_id == "nobody"
        assert await key_store.find(["nobody"]) == {}

    @pytest.mark.parametrize("subject", ["", "a\x00b", None, 7])
    async def test_subject_ids_must_be_text(self, key_store: AsyncKeys, subject: Any) -> None:
        with pytest.raises(ValidationError):
            await key_store.erase(subject)
        with pytest.raises(ValidationError):
            await key_store.add({subject: KEY_A})

    async def test_hostile_subject_ids_are_plain_data(self, key_store: AsyncKeys) -> None:
        hostile = "x'); DROP TABLE personal_data_keys; --"
        await key_store.add({hostile: KEY_A})
        await key_store.claim("s'; --", [hostile])
        assert await key_store.find([hostile]) == {hostile: KEY_A}
        assert await key_store.streams_of(hostile) == ["s'; --"]

    async def test_rewrapping_replaces_live_keys_only(self, key_store: AsyncKeys) -> None:
        await key_store.add({"ann": KEY_A, "bob": KEY_B, "carol": KEY_A})
        await key_store.erase("carol")

        def rewrap(subject: str, wrapped: bytes) -> bytes | None:
            assert subject != "carol"  # erased keys are never handed out
            return None if subject == "bob" else b"rewrapped-" + wrapped

        assert await key_store.rewrap(rewrap) == 1
        found = await key_store.find(["ann", "bob", "carol"])
        assert found == {"ann": b"rewrapped-" + KEY_A, "bob": KEY_B, "carol": None}
