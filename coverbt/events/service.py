"""What the commands call: gather the events, score them, group them, study them.

Events come from the store (``data_cache/events.duckdb``) and from the universe files given
(every universe file is a report, read as it is now, so ``coverbt hitrate --by`` works on a
workspace that never ran ``coverbt reports ingest``). A universe file's events win over
the stored copy of the same key (the file is the current version of the report).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from coverbt.data.provider import CSI300, MarketData
from coverbt.events import event_study as es
from coverbt.events.actions import distinct_ratings, rating_table
from coverbt.events.from_universe import ReportFile, check_unique_ids, read_reports
from coverbt.events.hitrates import DEFAULT_MIN_COUNT, GroupRate, group_rates
from coverbt.events.model import KEY_COLUMNS
from coverbt.events.panel import Panel, build_panel
from coverbt.events.scales import ScaleBook, workspace_scales
from coverbt.events.scoring import score_events
from coverbt.events.store import EventStore
from coverbt.horizon import parse_horizon
from coverbt.scorecard.convention import Convention

_LEAD = pd.Timedelta(days=20)  # before the first publication: day -5 and the prior close
_TAIL = pd.Timedelta(days=10)  # after the last horizon end


@dataclass(frozen=True)
class EventSet:
    """The distinct ratings to score, and where they came from."""

    table: pd.DataFrame
    reports: list[ReportFile]
    book: ScaleBook
    duplicates: int  # rows dropped as the same rating from another source
    stored: int  # rows read from the store

    def unknown_labels(self) -> pd.DataFrame:
        """Labels without a step: broker, label, scale, events, reason (never guessed)."""
        part = self.table.loc[self.table["step"].isna()]
        if part.empty:
            return pd.DataFrame(columns=["broker", "label", "scale", "events", "reason"])
        grouped = part.groupby(["broker", "label"], sort=True, dropna=False)
        return grouped.agg(
            scale=("scale", "first"), events=("code", "size"), reason=("label_reason", "first")
        ).reset_index()


def load_event_set(
    store: EventStore,
    report_paths: Sequence[Path],
    universe_dir: Path,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> EventSet:
    """The store's events plus the universe files' (``report_paths``: files or folders)."""
    reports = read_reports(list(report_paths))
    bad = [r for r in reports if r.error is not None]
    if bad:
        raise bad[0].error  # type: ignore[misc]
    check_unique_ids(reports)
    book = workspace_scales(universe_dir)
    for item in reports:
        if item.universe is not None:
            book = book.with_universe(item.universe)
    stored = store.known_at()
    files = pd.DataFrame([e.to_row() for r in reports for e in r.events])
    if not files.empty:
        files["seq"] = np.arange(len(files)) + int(stored["seq"].max() if len(stored) else 0) + 1
        files["published"] = pd.to_datetime(files["published"])
    frames = [f for f in (stored, files) if not f.empty]
    events = pd.concat(frames, ignore_index=True) if frames else stored
    events = events.drop_duplicates(list(KEY_COLUMNS), keep="last")
    if since is not None:
        events = events.loc[events["published"] >= pd.Timestamp(since)]
    if until is not None:
        events = events.loc[events["published"] <= pd.Timestamp(until)]
    _, duplicates = distinct_ratings(events)
    return EventSet(rating_table(events, book), reports, book, duplicates, len(stored))


def panel_for(
    table: pd.DataFrame,
    market: MarketData,
    horizons: Sequence[str],
    benchmarks: Sequence[str] = (CSI300,),
) -> Panel:
    """One panel wide enough for every event at every horizon (and the event window)."""
    published = pd.to_datetime(table["published"])
    longest = max(pd.Timestamp("2000-01-01") + parse_horizon(h) for h in horizons)
    span = longest - pd.Timestamp("2000-01-01")
    start = published.min() - _LEAD
    end = published.max() + span + pd.Timedelta(days=35) + _TAIL
    industry = sorted({v for v in table.get("industry_index", []) if isinstance(v, str) and v})
    codes = [c for c in dict.fromkeys(table["code"].astype(str)) if c.isdigit() and len(c) == 6]
    return build_panel(market, codes, benchmarks, start, end, optional_benches=industry)


def score_set(
    table: pd.DataFrame,
    market: MarketData,
    horizons: Sequence[str],
    convention: Convention | None = None,
    panel: Panel | None = None,
) -> pd.DataFrame:
    """The rating table joined with its scores, one row per event and horizon."""
    conv = convention or Convention()
    if table.empty:
        return table.assign(horizon=pd.Series(dtype=object))
    panel = panel or panel_for(table, market, horizons, (conv.benchmark_code,))
    parts = [table.join(score_events(table, panel, h, conv)) for h in horizons]
    return pd.concat(parts, ignore_index=True)


def hit_rates(scored: pd.DataFrame, by: str, min_count: int = DEFAULT_MIN_COUNT) -> list[GroupRate]:
    return group_rates(scored, by, min_count)


@dataclass(frozen=True)
class StudyGroup:
    """Averages of one group (a label or an action) at one horizon and adjustment."""

    by: str
    group: str
    horizon: str
    adjustment: str
    car: es.Average
    bhar: es.Average
    rho: float

    def to_json(self) -> dict[str, object]:
        def avg(a: es.Average) -> dict[str, object]:
            return {"n": a.n, "mean": a.mean, "std": a.std, "t_cross": a.t_cross,
                    "t_overlap": a.t_overlap, "inflation": a.inflation}  # fmt: skip

        return {"by": self.by, "group": self.group, "horizon": self.horizon,
                "adjustment": self.adjustment, "car": avg(self.car), "bhar": avg(self.bhar),
                "rho": self.rho}  # fmt: skip


@dataclass(frozen=True)
class Study:
    """Per-event CAR/BHAR, group averages, and calendar-time portfolios per label."""

    events: pd.DataFrame
    groups: list[StudyGroup]
    calendar: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
    calendar_t: dict[tuple[str, str], float | None] = field(default_factory=dict)


def run_study(
    table: pd.DataFrame,
    market: MarketData,
    horizons: Sequence[str],
    *,
    pre: int = es.PRE_DAYS,
    panel: Panel | None = None,
) -> Study:
    """The event study of every event, grouped by label and by action."""
    panel = panel or panel_for(table, market, horizons)
    cols = panel.code_index(table["code"])
    rows: list[pd.DataFrame] = []
    groups: list[StudyGroup] = []
    calendar: dict[tuple[str, str], pd.DataFrame] = {}
    calendar_t: dict[tuple[str, str], float | None] = {}
    market_col = panel.bench_index(CSI300)
    rho = es.average_correlation(panel, market_col, cols, slice(None))
    for horizon in horizons:
        for adjustment in es.ADJUSTMENTS:
            got = es.event_returns(table, panel, horizon, adjustment, pre)
            rows.append(table[["code", "broker", "label", "action"]].join(got))
            groups.extend(_groups(table, got, panel, cols, horizon, adjustment, rho))
        for label, part in table.groupby("label", sort=True):
            series = es.calendar_portfolio(part, panel, horizon, market_col)
            calendar[(str(label), horizon)] = series
            calendar_t[(str(label), horizon)] = es.newey_west_t(series["excess"])[0]
    return Study(pd.concat(rows), groups, calendar, calendar_t)


def _groups(
    table: pd.DataFrame,
    got: pd.DataFrame,
    panel: Panel,
    cols: np.ndarray,
    horizon: str,
    adjustment: str,
    rho: float,
) -> list[StudyGroup]:
    axis = panel.sessions
    start = axis.get_indexer(pd.DatetimeIndex(got["start"]))
    end = axis.get_indexer(pd.DatetimeIndex(got["end"]))
    out = []
    for by in ("label", "action"):
        for group, found in table.groupby(by, sort=True).indices.items():
            idx = np.asarray(found, dtype=np.int64)
            car, bhar = (
                es.average(got[c].to_numpy(float)[idx], start[idx], end[idx], cols[idx],
                           len(axis), rho)
                for c in ("car", "bhar")
            )  # fmt: skip
            out.append(StudyGroup(by, str(group), horizon.upper(), adjustment, car, bhar, rho))
    return out


def write_calendar(study: Study, folder: Path) -> list[Path]:
    """Each label's calendar-time daily series as ``<label>_<horizon>.csv`` (atomic)."""
    from coverbt.atomic import atomic_write_text

    written = []
    for (label, horizon), frame in study.calendar.items():
        path = Path(folder) / f"{label}_{horizon}.csv"
        atomic_write_text(path, frame.rename_axis("date").to_csv(float_format="%.10g"))
        written.append(path)
    return written
