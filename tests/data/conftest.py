"""Fixtures of the data-layer tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


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
