"""Process-manager instances in process memory, with the durable stores' guarantees.

The instance objects are kept as they are (they are frozen), but what a durable store could
not keep is refused the same way, so code tested here behaves the same in production.
"""

from __future__ import annotations

from orchestrix.core.execution.errors import ProcessConcurrencyError
from orchestrix.core.execution.process_instance import ProcessInstance
from orchestrix.core.execution.process_records import instance_values


class InMemoryProcessStateStore:
    """`ProcessStateStore` in a dict."""

    def __init__(self) -> None:
        self._instances: dict[tuple[str, str], ProcessInstance] = {}

    async def load_instance(self, process_type: str, process_id: str) -> ProcessInstance | None:
        return self._instances.get((process_type, process_id))

    async def save_instance(self, instance: ProcessInstance, expected_version: int) -> None:
        instance_values(instance)  # refuse what a durable store could not keep
        key = (instance.process_type, instance.process_id)
        stored = self._instances.get(key)
        actual = 0 if stored is None else stored.version
        if actual != expected_version:
            raise ProcessConcurrencyError("/".join(key), expected_version, actual)
        self._instances[key] = instance

    async def list_with_pending(self, process_type: str) -> list[ProcessInstance]:
        found = [
            instance
            for (kind, _), instance in self._instances.items()
            if kind == process_type and instance.has_pending
        ]
        return sorted(found, key=lambda instance: (instance.created_at, instance.process_id))


__all__ = ["InMemoryProcessStateStore"]
