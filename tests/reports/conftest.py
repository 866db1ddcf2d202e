"""A run folder in the engine's layout (common contract 2), built here from the shared data.

The portfolio is an equal-weight buy-and-hold of the 12 rated names, entered at the open of
2024-06-24 and valued at each close to 2024-12-31; the benchmarks over the same span.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from coverbt.data.schema import SeriesKind

START, END = "2024-06-24", "2024-12-31"


def _growth(frame: pd.DataFrame) -> pd.Series:
    window = frame.loc[START:END]
    return window["close"] / window["open"].iloc[0]


def make_run_folder(root: Path, run_id: str, universe, provider) -> Path:
    rated = [item for item in universe.names if item.rating]
    paths = {
        item.code: _growth(provider.bars(item.code, start=START, end=END).frame) for item in rated
    }
    stocks = pd.DataFrame(paths)
    equity = pd.DataFrame(
        {
            "portfolio": stocks.mean(axis=1),
            "csi300": _growth(provider.bars("000300", kind=SeriesKind.INDEX).frame),
            "sw_computer": _growth(provider.bars("801750", kind=SeriesKind.INDEX).frame),
        }
    ).loc[START:END]
    equity.index.name = "date"
    folder = root / run_id
    folder.mkdir(parents=True)
    equity.to_csv(folder / "equity.csv")
    returns = equity.pct_change()
    returns.iloc[0] = equity.iloc[0] - 1.0
    returns.to_csv(folder / "returns.csv")
    weight = 1.0 / len(rated)
    per_name = pd.DataFrame(
        {
            "code": [i.code for i in rated],
            "name": [i.name for i in rated],
            "rating": [i.rating for i in rated],
            "theme": [i.theme for i in rated],
            "weight": weight,
            "return": [float(stocks[i.code].iloc[-1] - 1.0) for i in rated],
        }
    )
    per_name["contribution"] = per_name["weight"] * per_name["return"]
    per_name.to_csv(folder / "per_name.csv", index=False)
    for name in ("trades.csv", "positions.csv"):
        (folder / name).write_text("date,code\n", encoding="utf-8")
    manifest = {
        "run_id": run_id,
        "strategy": {"name": "equal_weight_rated", "file": "strategies/equal_weight.yaml"},
        "start": START,
        "end": END,
        "command": f"coverbt backtest strategies/equal_weight.yaml --run-id {run_id}",
        "summary": {"total_return": float(equity["portfolio"].iloc[-1] - 1.0)},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return folder


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, universe, report_market) -> Path:
    return make_run_folder(
        tmp_path_factory.mktemp("reports"), "2024-equal-weight", universe, report_market
    )
