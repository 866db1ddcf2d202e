"""``ensure_data``: offline never fetches; online asks the updater for exactly the gaps."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverbt.data.store import import_path
from coverbt.errors import DataUnavailableError
from coverbt.pipeline import data_window, ensure_data
from coverbt.workspace import Workspace


def test_online_fills_exactly_the_gaps(tmp_path: Path, universe, market_data_dir: Path) -> None:
    ws = Workspace.at(tmp_path)
    import_path(ws.cache_dir, market_data_dir / "index")
    asked: list[list[str] | None] = []

    def fake_update(cache_dir: Path, _universe, missing) -> None:  # type: ignore[no-untyped-def]
        asked.append(None if missing is None else sorted(row.code for row in missing))
        import_path(cache_dir, market_data_dir / "stock")  # stands in for akshare

    window = data_window(universe, ["6M"])
    assert [str(d) for d in window] == ["2024-06-24", "2024-12-24"]
    ensure_data(ws, universe, window, offline=False, update=fake_update)
    a_shares = sorted(item.code for item in universe.names if item.a_share)
    assert asked == [a_shares]  # both benchmarks were cached; EH is never asked for


def test_offline_never_calls_the_updater(tmp_path: Path, universe, market_data_dir: Path) -> None:
    ws = Workspace.at(tmp_path)
    import_path(ws.cache_dir, market_data_dir / "stock")

    def refuse(*_args: object) -> None:
        raise AssertionError("offline must not fetch")

    with pytest.raises(DataUnavailableError) as info:
        ensure_data(ws, universe, data_window(universe, ["6M"]), offline=True, update=refuse)
    assert "index 000300 csi300: not in the cache" in str(info.value)
    assert "index 801750 sw_computer: not in the cache" in str(info.value)
