import asyncio
from collections.abc import Callable

import pytest

from orchestrix.core.common import retry as retry_module
from orchestrix.core.common.retry import (
    ExponentialBackoff,
    FixedDelay,
    LinearBackoff,
    NoRetry,
    RetryPolicy,
    retry_async,
    retry_sync,
)

NO_WAIT = FixedDelay(max_retries=3, delay=0)


class Flaky:
    """Fails with `error` for the first `failures` calls, then returns the call count."""

    def __init__(self, failures: int, error: BaseException | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionError("transient")
        self.calls = 0

    def __call__(self, *args: object, **kwargs: object) -> int:
        self.calls += 1
        self.last_arguments = (args, kwargs)
        if self.calls <= self.failures:
            raise self.error
        return self.calls

    async def call_async(self, *args: object, **kwargs: object) -> int:
        return self(*args, **kwargs)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the delays retry_sync and retry_async wait for, without waiting."""
    recorded: list[float] = []

    async def fake_async_sleep(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(retry_module.time, "sleep", recorded.append)
    monkeypatch.setattr(retry_module.asyncio, "sleep", fake_async_sleep)
    return recorded


def delays(policy: RetryPolicy, count: int) -> list[float]:
    return [policy.get_delay(attempt) for attempt in range(count)]


# Policies


@pytest.mark.parametrize(
    "policy",
    [ExponentialBackoff(max_retries=3), LinearBackoff(max_retries=3), FixedDelay(max_retries=3)],
)
def test_policies_allow_exactly_max_retries(policy: RetryPolicy) -> None:
    assert [policy.should_retry(attempt) for attempt in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_default_policies_match_the_seed() -> None:
    assert ExponentialBackoff() == ExponentialBackoff(3, 1.0, 60.0, 2.0, True)
    assert LinearBackoff() == LinearBackoff(3, 1.0, 1.0, 60.0)
    assert FixedDelay() == FixedDelay(3, 1.0)


def test_exponential_backoff_doubles_up_to_the_cap() -> None:
    policy = ExponentialBackoff(initial_delay=1, max_delay=10, multiplier=2, jitter=False)

    assert delays(policy, 6) == [1, 2, 4, 8, 10, 10]


def test_exponential_backoff_never_overflows_past_the_cap() -> None:
    policy = ExponentialBackoff(initial_delay=1, max_delay=30, jitter=False)

    assert policy.get_delay(10_000) == 30


@pytest.mark.parametrize(("draw", "expected"), [(0.0, 2.0), (0.5, 3.0), (0.999_999, 4.0)])
def test_exponential_jitter_stays_in_the_upper_half(
    monkeypatch: pytest.MonkeyPatch, draw: float, expected: float
) -> None:
    monkeypatch.setattr(retry_module.random, "random", lambda: draw)
    policy = ExponentialBackoff(initial_delay=1, multiplier=2)

    assert policy.get_delay(2) == pytest.approx(expected, abs=1e-5)


def test_exponential_jitter_spreads_delays_within_bounds() -> None:
    policy = ExponentialBackoff(initial_delay=1, max_delay=8, multiplier=2)

    samples = [policy.get_delay(5) for _ in range(200)]

    assert all(4 <= sample <= 8 for sample in samples)
    assert len(set(samples)) > 1


def test_linear_backoff_adds_the_increment_up_to_the_cap() -> None:
    policy = LinearBackoff(initial_delay=1, increment=2, max_delay=6)

    assert delays(policy, 5) == [1, 3, 5, 6, 6]


def test_fixed_delay_is_constant() -> None:
    assert delays(FixedDelay(delay=0.25), 4) == [0.25] * 4


def test_no_retry_never_retries() -> None:
    assert not NoRetry().should_retry(0)
    assert NoRetry().get_delay(0) == 0


@pytest.mark.parametrize(
    "build",
    [
        lambda: ExponentialBackoff(max_retries=-1),
        lambda: ExponentialBackoff(initial_delay=-1),
        lambda: ExponentialBackoff(max_delay=-1),
        lambda: LinearBackoff(increment=-1),
        lambda: FixedDelay(delay=-0.1),
        lambda: FixedDelay(max_retries=-2),
    ],
)
def test_negative_settings_are_rejected(build: Callable[[], RetryPolicy]) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        build()


# retry_sync


def test_retry_sync_returns_once_the_call_succeeds() -> None:
    flaky = Flaky(failures=2)

    assert retry_sync(flaky, policy=NO_WAIT) == 3
    assert flaky.calls == 3


def test_retry_sync_passes_arguments_through() -> None:
    flaky = Flaky(failures=1)

    retry_sync(flaky, 1, "two", policy=NO_WAIT, key="value")

    assert flaky.last_arguments == ((1, "two"), {"key": "value"})


def test_retry_sync_reraises_the_last_error_when_retries_run_out() -> None:
    flaky = Flaky(failures=100)

    with pytest.raises(ConnectionError) as info:
        retry_sync(flaky, policy=FixedDelay(max_retries=2, delay=0))

    assert info.value is flaky.error
    assert flaky.calls == 3


def test_retry_sync_with_no_retry_calls_once() -> None:
    flaky = Flaky(failures=1)

    with pytest.raises(ConnectionError):
        retry_sync(flaky, policy=NoRetry())

    assert flaky.calls == 1


def test_retry_sync_does_not_retry_errors_outside_retry_on() -> None:
    flaky = Flaky(failures=1, error=KeyError("missing"))

    with pytest.raises(KeyError):
        retry_sync(flaky, policy=NO_WAIT, retry_on=(ConnectionError,))

    assert flaky.calls == 1


def test_retry_sync_never_retries_or_swallows_keyboard_interrupt() -> None:
    flaky = Flaky(failures=1, error=KeyboardInterrupt())

    with pytest.raises(KeyboardInterrupt):
        retry_sync(flaky, policy=NO_WAIT)

    assert flaky.calls == 1


def test_retry_sync_waits_the_policy_delays(sleeps: list[float]) -> None:
    retry_sync(Flaky(failures=3), policy=LinearBackoff(initial_delay=1, increment=2))

    assert sleeps == [1, 3, 5]


def test_retry_sync_defaults_to_jittered_exponential_backoff(sleeps: list[float]) -> None:
    flaky = Flaky(failures=3)

    retry_sync(flaky)

    assert flaky.calls == 4
    assert [0.5 <= sleeps[0] <= 1, 1 <= sleeps[1] <= 2, 2 <= sleeps[2] <= 4] == [True] * 3


# retry_async


async def test_retry_async_returns_once_the_call_succeeds() -> None:
    flaky = Flaky(failures=2)

    assert await retry_async(flaky.call_async, "a", policy=NO_WAIT, b=2) == 3
    assert flaky.calls == 3
    assert flaky.last_arguments == (("a",), {"b": 2})


async def test_retry_async_reraises_the_last_error_when_retries_run_out() -> None:
    flaky = Flaky(failures=100)

    with pytest.raises(ConnectionError) as info:
        await retry_async(flaky.call_async, policy=FixedDelay(max_retries=2, delay=0))

    assert info.value is flaky.error
    assert flaky.calls == 3


@pytest.mark.parametrize("error", [KeyboardInterrupt(), asyncio.CancelledError()])
async def test_retry_async_never_retries_interrupts_or_cancellation(error: BaseException) -> None:
    flaky = Flaky(failures=1, error=error)

    with pytest.raises(type(error)):
        await retry_async(flaky.call_async, policy=NO_WAIT)

    assert flaky.calls == 1


async def test_retry_async_does_not_retry_errors_outside_retry_on() -> None:
    flaky = Flaky(failures=1, error=KeyError("missing"))

    with pytest.raises(KeyError):
        await retry_async(flaky.call_async, policy=NO_WAIT, retry_on=(ConnectionError,))

    assert flaky.calls == 1


async def test_retry_async_waits_the_policy_delays(sleeps: list[float]) -> None:
    await retry_async(Flaky(failures=2).call_async, policy=FixedDelay(delay=0.5))

    assert sleeps == [0.5, 0.5]
