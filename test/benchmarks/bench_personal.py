"""What personal-data protection costs: sealing and opening personal fields.

    uv run python test/benchmarks/bench_personal.py           # median of 5 runs
    uv run python test/benchmarks/bench_personal.py --quick   # smoke mode

Each row times an event with three personal fields beside its twin without markers (the same
fields, the same values) in the same run, so the difference is what the protection adds: per
event and per personal field. Sealing is `encode_event` with a sealer whose keys are fetched
already (what a save does after its one key-store call); opening is `decode_columns` of a
batch of 1,000 sealed payloads with an opener, beside the twin's fast path. The raw
`cryptography` AES-GCM encryption of one value is printed as the floor of a field's cost, and
a save and a load through the in-memory store (keys in an `InMemoryKeyStore`) show it end to end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

if __package__ in (None, ""):  # run as a script: make `test.` and the bricks importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from orchestrix.core.eventsourcing.personal_data import PersonalData
from orchestrix.core.messaging.codec import decode_columns, encode_event, stored_type
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.personal import Personal
from orchestrix.infrastructure.crypto import AesGcmCipher, generate_master_key
from orchestrix.infrastructure.memory import InMemoryEventStore, InMemoryKeyStore

type Mine = Annotated[str, Personal("customer_id")]
FIELDS = 3


@dataclass(frozen=True, kw_only=True)
class Marked(Event):
    customer_id: str
    name: Mine
    email: Mine
    phone: Mine
    plan: str


@dataclass(frozen=True, kw_only=True)
class Unmarked(Event):
    customer_id: str
    name: str
    email: str
    phone: str
    plan: str


VALUES = {
    "customer_id": "c-1",
    "name": "Ann Smith",
    "email": "ann.smith@example.org",
    "phone": "+44 113 496 0000",
    "plan": "basic",
}


def best_of(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(label: str, ours: float, floor: float, count: int) -> None:
    per_ours, per_floor = ours / count * 1e6, floor / count * 1e6
    extra = (per_ours - per_floor) / FIELDS
    print(
        f"{label:<44} {per_ours:>9.2f} {per_floor:>9.2f} {per_floor / per_ours:>6.2f}"
        f" {extra:>+10.2f}"
    )


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke mode: small and one run")
    args = parser.parse_args(argv)
    count, runs = (1000, 1) if args.quick else (10_000, 5)
    personal = PersonalData(InMemoryKeyStore(), AesGcmCipher.from_base64(generate_master_key()))
    marked, unmarked = Marked(**VALUES), Unmarked(**VALUES)
    sealer = personal.sealer_for("c-1", [marked])  # the one key-store call of a save

    print(f"Personal-data protection, µs per event ({count:,} events, median of {runs} run(s))")
    print(f"{'workload':<44} {'ours':>9} {'twin':>9} {'ratio':>6} {'per field':>10}")
    print("-" * 82)
    seal = best_of(lambda: [encode_event(marked, sealer=sealer) for _ in range(count)], runs)
    plain = best_of(lambda: [encode_event(unmarked) for _ in range(count)], runs)
    row(f"seal on save, {FIELDS} personal fields", seal, plain, count)

    sealed = [encode_event(marked, sealer=sealer).decode()] * count
    twins = [encode_event(unmarked).decode()] * count
    opener = personal.opener(personal.key_store.find(["c-1"]))
    opened = best_of(lambda: _decode(sealed, marked, opener), runs)
    fast = best_of(lambda: _decode(twins, unmarked, None), runs)
    row(f"open on load, {FIELDS} personal fields", opened, fast, count)

    store, twin_store = InMemoryEventStore(personal_data=personal), InMemoryEventStore()
    saves = best_of(lambda: _save(store, Marked, count), 1)
    twin_saves = best_of(lambda: _save(twin_store, Unmarked, count), 1)
    row("memory store, 1 event per save (keys looked up)", saves, twin_saves, count)
    loads = best_of(lambda: store.load("stream"), runs)
    twin_loads = best_of(lambda: twin_store.load("stream"), runs)
    row(f"memory store, load a {count:,}-event stream", loads, twin_loads, count)

    key, nonce = AESGCM.generate_key(bit_length=256), os.urandom(12)
    value = VALUES["email"].encode()
    raw = best_of(lambda: [AESGCM(key).encrypt(nonce, value, b"c") for _ in range(count)], runs)
    print(f"{'floor: raw AES-GCM encryption of one value':<44} {raw / count * 1e6:>9.2f}")
    return 0


def _decode(raws: list[str], event: Event, opener: object) -> object:
    kept = stored_type(event)
    columns = ([kept.schema_version] * 1000, [kept.type_name] * 1000, [kept.hint] * 1000)
    return [
        decode_columns(raws[start : start + 1000], *columns, opener)  # type: ignore[arg-type]
        for start in range(0, len(raws), 1000)
    ]


def _save(store: InMemoryEventStore, cls: type[Marked] | type[Unmarked], count: int) -> None:
    for _ in range(count):
        store.save("stream", [cls(**VALUES)])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
