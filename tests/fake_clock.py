"""A clock for tests that wait: monotonic seconds that move only when slept on or told to."""

from __future__ import annotations


class FakeClock:
    """Monotonic seconds that move only when the test says so; ``sleep`` is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
