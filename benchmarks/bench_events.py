"""Events per second: the vectorised scoring and event study of many rating events.

Usage::

    python benchmarks/bench_events.py                   # the report + 100,000 generated events
    python benchmarks/bench_events.py --events 20000 --horizons 6M

Two sets, each timed in this one process (best of ``--repeat``):

1. **The report**: the 12 rated A-share names of the shared report as events (its universe
   file, an empty store), scored at every horizon and studied (CAR/BHAR, both adjustments,
   calendar-time portfolios), on the ``../shared`` vendor files.
2. **GENERATED events** (not real ratings): ``--events`` distinct ratings built from the
   real price series of the report's 25 names with random publication days (2023-01 ..
   2024-06), 20 made-up brokers and labels from the shipped common scales (and 平安证券's
   banded scale), seeded. Only the *dates and labels* are random; every return comes from real bars.

For each it prints the rows, the time of the rating table (steps, previous ratings,
actions), of the scoring (verdicts at every horizon) and of the event study, and events per
second of each. The scoring of the report is also checked against the per-name scorecard
(``tests/events/test_scoring.py`` proves it equal; here the hit counts are printed).
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from bench_engine_vectorized import best_of  # the scripts' one timer (benchmarks/ is on the path)

from coverbt.data.memory import provider_from_vendor_paths
from coverbt.data.provider import MarketData
from coverbt.data.schema import SeriesKind
from coverbt.events.actions import rating_table
from coverbt.events.model import RatingEvent, Source
from coverbt.events.scales import load_scales
from coverbt.events.service import load_event_set, panel_for, run_study, score_set
from coverbt.events.store import EventStore

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "market-data"
UNIVERSE = ROOT / "universe" / "pingan_computer_2024_midyear.yaml"
SCALES = (  # the labels a broker uses (the shipped scales; 平安证券's is banded)
    ("强烈推荐", "推荐", "中性", "回避"),
    ("买入", "增持", "中性", "减持", "卖出"),
    ("买入", "增持", "中性", "减持"),
    ("强烈推荐", "推荐", "中性"),
    ("谨慎推荐", "中性", "回避"),
)
BROKERS = {"平安证券": SCALES[0]} | {f"某{i:02d}证券": SCALES[i % 5] for i in range(1, 20)}


def market() -> MarketData:
    if not DATA.is_dir():
        raise SystemExit(f"bench_events: {DATA} is missing (the shared vendor snapshot)")
    return provider_from_vendor_paths(DATA / "stock", DATA / "index")


def generated_events(codes: list[str], n: int, seed: int) -> pd.DataFrame:
    """``n`` GENERATED events: distinct (broker, code, day) drawn at random, each with a
    random label of the broker's scale and one of six analysts, on real codes."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2023-01-03", "2024-06-28")
    brokers = list(BROKERS)
    cells = len(brokers) * len(codes) * len(days)
    if n > cells:
        raise SystemExit(f"bench_events: at most {cells:,} distinct events here, not {n:,}")
    picked = rng.choice(cells, size=n, replace=False)
    b, rest = np.divmod(picked, len(codes) * len(days))
    c, d = np.divmod(rest, len(days))
    rows = []
    for i in range(n):
        broker = brokers[b[i]]
        labels = BROKERS[broker]
        rows.append(
            RatingEvent(
                Source.CSV, f"gen-{i // 20}", codes[c[i]], broker,
                (f"{broker[:3]}分析师{rng.integers(6)}",), days[d[i]].date(),
                labels[rng.integers(len(labels))], source_ref="generated",
            ).to_row()
        )  # fmt: skip
    frame = pd.DataFrame(rows)
    frame["seq"] = np.arange(len(frame)) + 1
    frame["published"] = pd.to_datetime(frame["published"])
    return frame


def measure(label: str, build: Callable[[], pd.DataFrame], data: MarketData,
            horizons: list[str], repeat: int) -> None:  # fmt: skip
    table_t, table = best_of(repeat, build)
    panel = panel_for(table, data, horizons)
    score_t, scored = best_of(repeat, lambda: score_set(table, data, horizons, panel=panel))
    study_t, study = best_of(repeat, lambda: run_study(table, data, horizons, panel=panel))
    n = len(table)
    scored_n = int(scored["reason"].isna().sum())
    hits = int(scored["direction_hit"].fillna(False).astype(bool).sum())
    print(f"\n{label}: {n:,} events x {len(horizons)} horizons ({', '.join(horizons)}), "
          f"panel {len(panel.codes)} codes x {len(panel.sessions)} sessions")  # fmt: skip
    print(f"  rating table : {table_t * 1000:9.1f} ms   {n / table_t:12,.0f} events/s")
    print(f"  scoring      : {score_t * 1000:9.1f} ms   {n * len(horizons) / score_t:12,.0f} "
          f"event-horizons/s  ({scored_n:,} scored, {hits:,} direction hits)")  # fmt: skip
    print(f"  event study  : {study_t * 1000:9.1f} ms   {n * len(horizons) / study_t:12,.0f} "
          f"event-horizons/s  ({len(study.groups)} group averages, "
          f"{len(study.calendar)} calendar portfolios)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--horizons", default="1M,3M,6M,12M")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240623)
    args = parser.parse_args()
    horizons = [h.strip().upper() for h in args.horizons.split(",")]
    data = market()
    print(f"market data: {DATA}")
    with tempfile.TemporaryDirectory() as tmp:
        store = EventStore(Path(tmp) / "events.duckdb")
        found = load_event_set(store, [UNIVERSE], ROOT / "universe")
        measure("the report (real events)",
                lambda: load_event_set(store, [UNIVERSE], ROOT / "universe").table,
                data, horizons, args.repeat)  # fmt: skip
        codes = sorted({m.code for m in data.catalog() if m.kind == SeriesKind.STOCK})
        book = load_scales().with_universe(found.reports[0].universe)  # type: ignore[arg-type]
        raw = generated_events(codes, args.events, args.seed)
        measure(f"GENERATED events (seed {args.seed}, real bars of {len(codes)} names)",
                lambda: rating_table(raw, book), data, horizons, args.repeat)  # fmt: skip


if __name__ == "__main__":
    main()
