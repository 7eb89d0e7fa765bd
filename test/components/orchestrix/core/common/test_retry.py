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
    return [policy.get_delay(attempt) for attempt in range(1, count + 1)]


# Policies: attempts are 1-based (the number of the attempt that just failed)

COUNTED = [
    lambda max_retries: ExponentialBackoff(max_retries=max_retries),
    lambda max_retries: LinearBackoff(max_retries=max_retries),
    lambda max_retries: FixedDelay(max_retries=max_retries),
]


@pytest.mark.parametrize("build", COUNTED)
def test_policies_allow_exactly_max_retries(build: Callable[[int], RetryPolicy]) -> None:
    policy = build(3)

    assert [policy.should_retry(attempt) for attempt in range(6)] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]


@pytest.mark.parametrize("build", COUNTED)
def test_zero_max_retries_never_retries_a_failed_attempt(
    build: Callable[[int], RetryPolicy],
) -> None:
    policy = build(0)

    assert policy.should_retry(0)
    assert not policy.should_retry(1)


@pytest.mark.parametrize(
    "policy",
    [ExponentialBackoff(), ExponentialBackoff(jitter=False), LinearBackoff(), FixedDelay()],
    ids=["exponential", "exponential-no-jitter", "linear", "fixed"],
)
@pytest.mark.parametrize("attempt", [0, -1, -100])
def test_attempts_up_to_zero_wait_the_int_zero(policy: RetryPolicy, attempt: int) -> None:
    delay = policy.get_delay(attempt)

    assert delay == 0
    assert type(delay) is int


def test_no_retry_never_retries_and_waits_the_int_zero() -> None:
    policy = NoRetry()

    assert [policy.should_retry(attempt) for attempt in (0, 1, 2)] == [False] * 3
    assert [type(policy.get_delay(attempt)) for attempt in (0, 1, 5)] == [int] * 3
    assert policy.get_delay(3) == 0


def test_constructor_arguments_are_public_attributes() -> None:
    exponential = ExponentialBackoff(5, 0.5, 30.0, 3.0, False)
    linear = LinearBackoff(4, 2.0, 0.5, 10.0)
    fixed = FixedDelay(2, 0.25)

    assert (
        exponential.max_retries,
        exponential.initial_delay,
        exponential.max_delay,
        exponential.multiplier,
        exponential.jitter,
    ) == (5, 0.5, 30.0, 3.0, False)
    assert (linear.max_retries, linear.initial_delay, linear.increment, linear.max_delay) == (
        4,
        2.0,
        0.5,
        10.0,
    )
    assert (fixed.max_retries, fixed.delay) == (2, 0.25)


def test_defaults_match_the_seed() -> None:
    exponential, linear, fixed = ExponentialBackoff(), LinearBackoff(), FixedDelay()

    assert vars(exponential) == {
        "max_retries": 3,
        "initial_delay": 1.0,
        "max_delay": 60.0,
        "multiplier": 2.0,
        "jitter": True,
    }
    assert vars(linear) == {
        "max_retries": 3,
        "initial_delay": 1.0,
        "increment": 1.0,
        "max_delay": 60.0,
    }
    assert vars(fixed) == {"max_retries": 3, "delay": 1.0}


def test_exponential_default_delays_are_the_documented_ones_capped() -> None:
    # The first release: 1.0, 2.2, 3.6, 8.0, 17.6, 28.8, 60.0, 66.0, 54.0, 60.0; attempt 8
    # went past max_delay (defect #15), which no delay does any more.
    assert delays(ExponentialBackoff(), 10) == [
        1.0,
        2.2,
        3.6,
        8.0,
        17.6,
        28.8,
        60.0,
        60.0,
        54.0,
        60.0,
    ]


def test_exponential_default_delays_repeat_for_the_same_attempt() -> None:
    policy = ExponentialBackoff()

    assert [policy.get_delay(2) for _ in range(5)] == [2.2] * 5


@pytest.mark.parametrize(("jitter", "second"), [(1, 2.2), ("yes", 2.2), (0, 2.0), (None, 2.0)])
def test_jitter_other_than_a_float_counts_by_its_truth(jitter: object, second: float) -> None:
    assert ExponentialBackoff(jitter=jitter).get_delay(2) == second  # type: ignore[arg-type]


def test_exponential_without_jitter_doubles_up_to_the_cap() -> None:
    assert delays(ExponentialBackoff(jitter=False), 8) == [
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        60.0,
        60.0,
    ]
    policy = ExponentialBackoff(initial_delay=1, max_delay=10, multiplier=2, jitter=False)
    assert delays(policy, 6) == [1, 2, 4, 8, 10, 10]


@pytest.mark.parametrize("jitter", [True, 0.25, 1.0])
def test_exponential_never_waits_beyond_max_delay(jitter: bool | float) -> None:
    policy = ExponentialBackoff(max_retries=100, initial_delay=1, max_delay=10, jitter=jitter)

    assert max(policy.get_delay(attempt) for attempt in range(1, 101)) <= 10


def test_exponential_never_overflows_past_the_cap() -> None:
    policy = ExponentialBackoff(initial_delay=1, max_delay=30, jitter=False)

    assert policy.get_delay(10_000) == 30


@pytest.mark.parametrize(("draw", "expected"), [(0.0, 1.5), (0.5, 2.0), (0.999_999, 2.5)])
def test_fractional_jitter_draws_within_the_fraction(
    monkeypatch: pytest.MonkeyPatch, draw: float, expected: float
) -> None:
    monkeypatch.setattr(retry_module.random, "random", lambda: draw)
    policy = ExponentialBackoff(initial_delay=1, multiplier=2, jitter=0.25)

    assert policy.get_delay(2) == pytest.approx(expected, abs=1e-5)


def test_fractional_jitter_spreads_delays() -> None:
    policy = ExponentialBackoff(initial_delay=1, max_delay=100, multiplier=2, jitter=0.25)

    samples = [policy.get_delay(5) for _ in range(200)]

    assert all(12 <= sample <= 20 for sample in samples)
    assert len(set(samples)) > 1


def test_linear_backoff_adds_the_increment_up_to_the_cap() -> None:
    assert delays(LinearBackoff(), 4) == [1.0, 2.0, 3.0, 4.0]
    assert delays(LinearBackoff(initial_delay=1, increment=2, max_delay=6), 5) == [1, 3, 5, 6, 6]
    assert delays(LinearBackoff(increment=0), 3) == [1.0, 1.0, 1.0]


def test_fixed_delay_is_constant() -> None:
    assert delays(FixedDelay(delay=0.25), 4) == [0.25] * 4
    assert delays(FixedDelay(delay=0), 2) == [0, 0]


@pytest.mark.parametrize(
    ("build", "text"),
    [
        (lambda: ExponentialBackoff(max_retries=-1), "max_retries must be >= 0"),
        (lambda: ExponentialBackoff(initial_delay=0), "initial_delay must be > 0"),
        (lambda: ExponentialBackoff(initial_delay=-1), "initial_delay must be > 0"),
        (
            lambda: ExponentialBackoff(initial_delay=2, max_delay=1),
            "max_delay must be >= initial_delay",
        ),
        (lambda: ExponentialBackoff(multiplier=0), "multiplier must be > 0"),
        (
            lambda: ExponentialBackoff(jitter=1.5),
            "jitter must be True, False or a fraction between 0.0 and 1.0",
        ),
        (lambda: ExponentialBackoff(max_retries=-1, initial_delay=0), "max_retries must be >= 0"),
        (lambda: ExponentialBackoff(initial_delay=0, multiplier=0), "initial_delay must be > 0"),
        (lambda: LinearBackoff(max_retries=-1), "max_retries must be >= 0"),
        (lambda: LinearBackoff(initial_delay=0), "initial_delay must be > 0"),
        (lambda: LinearBackoff(increment=-1), "increment must be >= 0"),
        (lambda: LinearBackoff(initial_delay=0, increment=-1), "initial_delay must be > 0"),
        (lambda: FixedDelay(max_retries=-2), "max_retries must be >= 0"),
        (lambda: FixedDelay(delay=-0.1), "delay must be >= 0"),
        (lambda: FixedDelay(max_retries=-1, delay=-1), "max_retries must be >= 0"),
    ],
)
def test_invalid_settings_are_rejected_in_order(
    build: Callable[[], RetryPolicy], text: str
) -> None:
    with pytest.raises(ValueError) as info:
        build()

    assert str(info.value).startswith(text)


def test_linear_backoff_does_not_check_max_delay() -> None:
    assert LinearBackoff(max_delay=0.5).get_delay(3) == 0.5


def test_custom_policies_implement_both_methods() -> None:
    class EveryOther(RetryPolicy):
        def should_retry(self, attempt: int) -> bool:
            return attempt < 3

        def get_delay(self, attempt: int) -> float:
            return 0.0

    flaky = Flaky(failures=2)

    assert retry_sync(flaky, policy=EveryOther()) == 3

    class Incomplete(RetryPolicy):
        def should_retry(self, attempt: int) -> bool:
            return False

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]


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


def test_retry_sync_returns_the_functions_value() -> None:
    assert retry_sync(lambda a, b: a + b, 2, b=3, policy=NoRetry()) == 5


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


def test_retry_sync_does_not_sleep_for_zero_delays(sleeps: list[float]) -> None:
    retry_sync(Flaky(failures=2), policy=FixedDelay(delay=0))

    assert sleeps == []


def test_retry_sync_defaults_to_exponential_backoff(sleeps: list[float]) -> None:
    flaky = Flaky(failures=100)

    with pytest.raises(ConnectionError):
        retry_sync(flaky)

    assert flaky.calls == 4
    assert sleeps == [1.0, 2.2, 3.6]


def test_retry_sync_sleeps_through_time_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)

    retry_sync(Flaky(failures=1), policy=FixedDelay(delay=0.5))

    assert recorded == [0.5]


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


async def test_retry_async_defaults_to_exponential_backoff(sleeps: list[float]) -> None:
    flaky = Flaky(failures=100)

    with pytest.raises(ConnectionError):
        await retry_async(flaky.call_async)

    assert flaky.calls == 4
    assert sleeps == [1.0, 2.2, 3.6]
