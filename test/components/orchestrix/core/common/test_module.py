import inspect
import subprocess
import sys

from orchestrix.core.common.module import Module


class FakeBus:
    def __init__(self) -> None:
        self.subscriptions: list[tuple[str, object]] = []

    def subscribe(self, message_type: str, handler: object) -> None:
        self.subscriptions.append((message_type, handler))


class OrdersModule:
    """A feature module as an application writes one: no base class."""

    def __init__(self) -> None:
        self.store: object = None

    def register(self, bus: FakeBus, store: object) -> None:
        self.store = store
        bus.subscribe("PlaceOrder", self.place_order)

    def place_order(self, command: object) -> None:
        pass


class NotAModule:
    def setup(self) -> None:
        pass


def test_a_class_with_register_is_a_module() -> None:
    assert isinstance(OrdersModule(), Module)
    assert not isinstance(NotAModule(), Module)


def test_register_wires_handlers_into_the_given_bus_and_store() -> None:
    bus, store, module = FakeBus(), object(), OrdersModule()

    module.register(bus, store)

    assert bus.subscriptions == [("PlaceOrder", module.place_order)]
    assert module.store is store


def test_register_takes_bus_then_store() -> None:
    assert list(inspect.signature(Module.register).parameters) == ["self", "bus", "store"]


def test_importing_module_does_not_import_messaging_or_eventsourcing() -> None:
    code = (
        "import sys, orchestrix.core.common.module;"
        "loaded = [m for m in sys.modules if m.startswith(("
        "'orchestrix.core.messaging', 'orchestrix.core.eventsourcing'))];"
        "assert not loaded, loaded"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
