"""Fixtures of the data-layer tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coverbt.data.akshare_live import AkshareLive


@pytest.fixture
def no_akshare_sleep(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """akshare's own retry loops sleep (up to seconds): make them instant, clear its caches."""
    import akshare.index.index_zh_em as index_em
    import akshare.request
    import akshare.utils.func
    import akshare.utils.request

    for module in (akshare.request, akshare.utils.request, akshare.utils.func):
        monkeypatch.setattr(module.time, "sleep", lambda _s: None)
    index_em.index_code_id_map_em.cache_clear()
    yield
    index_em.index_code_id_map_em.cache_clear()


@pytest.fixture
def waits() -> list[float]:
    """The back-off waits an :class:`AkshareLive` asked for (it never really sleeps)."""
    return []


@pytest.fixture
def live(waits: list[float]) -> AkshareLive:
    """The live provider with 3 attempts per request, its waits recorded in ``waits``."""
    return AkshareLive(retries=3, backoff=2.0, sleep=waits.append)
