"""The whole story end to end, on each backend: the orders' states and histories, the sagas
(one compensated with a refund), the order cancelled by its deadline, the refused transitions,
the validation errors, what the stores keep after the run, and the story it prints."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestrix.cli.app import cli
from orchestrix.core.execution.process_instance import ProcessStatus
from orchestrix.core.execution.saga_state import SagaStatus
from orchestrix.ecommerce_demo.aggregate import IllegalTransitionError, OrderStatus
from orchestrix.ecommerce_demo.main import IN_A_TEMPORARY_FILE, Outcome, main, run
from orchestrix.ecommerce_demo.models import (
    OrderCancelled,
    OrderConfirmed,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
)
from orchestrix.ecommerce_demo.stores import ShopStores, in_memory, in_postgres, in_sqlite
from orchestrix.testing import assert_events_equal
from test.bases.orchestrix.demo_docs import assert_page_shows_real_output
from test.bases.orchestrix.demo_exits import one_line_exit


def placed(order_id: str, customer: str, line: OrderLine) -> OrderPlaced:
    return OrderPlaced(order_id=order_id, customer=customer, lines=(line,), total=line.amount)


def assert_the_story_ended_as_told(outcome: Outcome, story: str) -> None:
    ada, grace, linus = (outcome.order_ids[name] for name in ("Ada", "Grace", "Linus"))
    assert {name: order.status for name, order in outcome.orders.items()} == {
        "Ada": OrderStatus.SHIPPED,
        "Grace": OrderStatus.REFUNDED,
        "Linus": OrderStatus.CANCELLED,
    }
    assert_events_equal(
        outcome.histories["Ada"],
        [
            placed(ada, "Ada", OrderLine("keyboard", 2, Decimal("60.00"))),
            OrderPaid(order_id=ada, payment_id="PAY-1", amount=Decimal("120.00")),
            OrderConfirmed(order_id=ada, reservation_id="RES-1"),
            OrderShipped(order_id=ada),
        ],
    )
    assert_events_equal(
        outcome.histories["Grace"],
        [
            placed(grace, "Grace", OrderLine("monitor", 2, Decimal("199.00"))),
            OrderPaid(order_id=grace, payment_id="PAY-2", amount=Decimal("398.00")),
            OrderRefunded(order_id=grace, refund_id="REF-1", amount=Decimal("398.00")),
        ],
    )
    assert_events_equal(
        outcome.histories["Linus"],
        [
            placed(linus, "Linus", OrderLine("mouse", 1, Decimal("25.00"))),
            OrderCancelled(order_id=linus, reason="not paid within 30 minutes"),
        ],
    )
    # What the saga's commands caused is correlated with the checkout that started it.
    ada_saga = outcome.sagas["Ada"]
    assert {e.correlation_id for e in outcome.histories["Ada"][1:3]} == {ada_saga.saga_id}

    assert ada_saga.status is SagaStatus.COMPLETED
    assert ada_saga.step_results == {"payment": "PAY-1", "inventory": "RES-1", "confirmation": None}
    grace_saga = outcome.sagas["Grace"]
    assert grace_saga.status is SagaStatus.FAILED
    assert grace_saga.error == "only 1 x monitor in stock, 2 wanted"
    assert {name: (s.status, s.result) for name, s in grace_saga.step_statuses.items()} == {
        "payment": ("compensated", "PAY-2"),
        "inventory": ("failed", None),
    }
    linus_saga = outcome.sagas["Linus"]
    assert linus_saga.status is SagaStatus.FAILED
    assert linus_saga.error == f"Cannot pay order {linus}: it is cancelled (pay needs placed)"
    assert list(linus_saga.step_statuses) == ["payment"]

    assert {p: (c.order_id, c.amount) for p, c in outcome.payments.charges.items()} == {
        "PAY-1": (ada, Decimal("120.00")),
        "PAY-2": (grace, Decimal("398.00")),
    }
    assert [(r.refund_id, r.payment_id, r.amount) for r in outcome.payments.refunds.values()] == [
        ("REF-1", "PAY-2", Decimal("398.00"))
    ]
    assert outcome.warehouse.stock == {"keyboard": 8, "monitor": 1, "mouse": 5}
    assert outcome.deadlines_fired == 1

    assert all(isinstance(error, IllegalTransitionError) for error in outcome.refused)
    assert [str(error) for error in outcome.refused] == [
        f"Cannot ship order {grace}: it is refunded (ship needs confirmed)",
        f"Cannot pay order {linus}: it is cancelled (pay needs placed)",
    ]
    assert [error.field for error in outcome.invalid] == [
        "customer",
        "lines",
        "lines[0].product",
        "lines[1].quantity",
        "lines[0].unit_price",
        "payment_token",
    ]

    lines = story.splitlines()
    for line in (
        "  deadlines: 3 stored, due in 30 minutes",
        "  saga:      completed (payment completed, inventory completed, confirmation completed)",
        "  warehouse: cannot reserve 2 x monitor: only 1 x monitor in stock, 2 wanted",
        "  payments:  refunded 398.00 of PAY-2: REF-1",
        f"  order:     {grace} refunded 398.00 (REF-1)",
        "  saga:      failed (payment compensated, inventory failed)",
        "  checkout failed: OutOfStockError: only 1 x monitor in stock, 2 wanted",
        "  after 29 minutes: 0 deadlines due",
        f"  order:     {linus} cancelled: not paid within 30 minutes",
        "  1 deadline fired (Ada's and Grace's ended when their orders were paid)",
        f"  Linus checks out after all: Cannot pay order {linus}: it is cancelled "
        "(pay needs placed)",
        "  charges for Linus's order: 0",
        "  payment-deadline processes: 3 of 3 completed; deadlines left: 0",
        f"  {grace} (Grace): refunded; OrderPlaced → OrderPaid → OrderRefunded",
        "  payments: PAY-1 120.00, PAY-2 398.00; refunds: REF-1 398.00",
        "  stock: keyboard 8, monitor 1, mouse 5",
    ):
        assert line in lines
    # The refund comes after the failed reservation, the cancellation after the 31st minute.
    assert lines.index(
        "  warehouse: cannot reserve 2 x monitor: only 1 x monitor in stock, 2 wanted"
    ) < lines.index("  payments:  refunded 398.00 of PAY-2: REF-1")
    assert lines.index("  after 31 minutes:") < lines.index(
        f"  order:     {linus} cancelled: not paid within 30 minutes"
    )


async def assert_the_stores_keep_it(stores: ShopStores, outcome: Outcome) -> None:
    """Opened again after the run, the stores hold what the run ended with."""
    for customer, order_id in outcome.order_ids.items():
        assert await stores.events.load(order_id) == outcome.histories[customer]
        saga = outcome.sagas[customer]
        assert await stores.sagas.load_state(saga.saga_id) == saga
        instance = await stores.processes.load_instance("payment-deadline", order_id)
        assert instance is not None and instance.status is ProcessStatus.COMPLETED
        assert instance.outbox == () and instance.to_schedule == ()
        assert await stores.deadlines.list_for("payment-deadline", order_id) == []


async def test_on_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "shop.sqlite3"
    async with in_sqlite(database, IN_A_TEMPORARY_FILE) as stores:  # as the docs show it
        outcome = await run(stores)
    story = capsys.readouterr().out
    assert_the_story_ended_as_told(outcome, story)
    assert_page_shows_real_output("ecommerce.md", story)
    async with in_sqlite(database, "reopened") as stores:
        await assert_the_stores_keep_it(stores, outcome)


async def test_running_again_on_the_same_file_adds_orders_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "shop.sqlite3"
    async with in_sqlite(database, "first") as stores:
        first = await run(stores)
    async with in_sqlite(database, "second") as stores:
        second = await run(stores)
    assert set(first.order_ids.values()).isdisjoint(second.order_ids.values())
    assert_the_story_ended_as_told(second, capsys.readouterr().out)


async def test_in_memory(capsys: pytest.CaptureFixture[str]) -> None:
    async with in_memory() as stores:
        outcome = await run(stores)
        await assert_the_stores_keep_it(stores, outcome)
    assert_the_story_ended_as_told(outcome, capsys.readouterr().out)


@pytest.mark.postgres
async def test_on_postgresql(
    postgres_dsn: str, postgres_schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with in_postgres(postgres_dsn, postgres_schema) as stores:
        outcome = await run(stores)
    story = capsys.readouterr().out
    where = f"Stores: PostgreSQL, schema {postgres_schema!r} on "
    assert any(line.startswith(where) for line in story.splitlines())
    assert_the_story_ended_as_told(outcome, story)
    async with in_postgres(postgres_dsn, postgres_schema) as stores:
        await assert_the_stores_keep_it(stores, outcome)


def test_main_runs_on_the_chosen_store(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "argv", ["ecommerce", "--store", "memory"])
    main()
    assert "Stores: in memory" in capsys.readouterr().out.splitlines()

    database = tmp_path / "kept.sqlite3"
    monkeypatch.setattr(sys, "argv", ["ecommerce", "--db", str(database)])
    main()
    assert f"Stores: SQLite file {str(database)!r}" in capsys.readouterr().out.splitlines()
    assert database.exists()


def test_the_command_line_reads_what_the_demo_kept(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """As the docs page shows: `--db FILE`, then `orchestrix stream show ORDER --dsn FILE`."""
    database = tmp_path / "shop.sqlite3"
    monkeypatch.setattr(sys, "argv", ["ecommerce", "--db", str(database)])
    main()
    order_id = capsys.readouterr().out.split("order:     ")[1].split()[0]
    shown = CliRunner().invoke(cli, ["stream", "show", order_id, "--dsn", str(database)])
    assert shown.exit_code == 0, shown.output
    assert [word for word in shown.stdout.split() if word.startswith("Order")] == [
        "OrderPlaced",
        "OrderPaid",
        "OrderConfirmed",
        "OrderShipped",
    ]


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--store", "memory", "--db", "x.sqlite3"], "--db is for --store sqlite"),
        (["--store", "postgres"], "--store postgres needs --dsn"),
        (["--dsn", "postgresql://localhost/test"], "--dsn is only for --store postgres"),
    ],
)
def test_contradicting_options_are_refused(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    complaint: str,
) -> None:
    monkeypatch.setattr(sys, "argv", ["ecommerce", *arguments])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert complaint in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (  # nothing listens on port 1
            ["--store", "postgres", "--dsn", "postgresql://postgres@127.0.0.1:1/test"],
            "PostgreSQL is unavailable",
        ),
        (
            ["--store", "postgres", "--dsn", "db.internal:5432/shop"],
            "Validation failed for 'connection_string'",
        ),
        (["--db", "no/such/folder/shop.sqlite3"], "Cannot open the SQLite event store"),
    ],
    ids=["unreachable", "malformed", "unopenable"],
)
def test_a_database_it_cannot_use_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    said: str,
) -> None:
    error = one_line_exit(main, ["ecommerce", *arguments], monkeypatch, capsys)
    assert error.startswith(f"ecommerce: {said}")
