"""Bars of several instruments aligned on the exchange calendar (NaN where suspended)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Protocol, SupportsFloat, cast

import pandas as pd

from coverbt.data.corporate_actions import RawExecution, raw_execution
from coverbt.data.provider import MarketData
from coverbt.data.schema import Adjust, SeriesKind, SeriesMeta
from coverbt.errors import DataUnavailableError
from coverbt.market.corporate import CorporateAction, reference_prev_closes

FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class Panel:
    """One DataFrame per field (sessions x codes); a missing bar is a suspended session.

    ``meta`` holds, per code, the metadata of the series read (clipped to the window) and
    ``digest`` a SHA-256 of the bars used, so a manifest can prove a rerun saw the same data.

    Signals and paper returns read ``fields`` (adjusted). A code whose provider also has
    raw bars and its corporate actions executes on raw prices: ``execution_fields`` holds
    its raw columns, ``execution_meta`` / ``execution_digest`` their series, ``actions``
    its events (dividends and new shares, applied by the engine on their ex-dates).
    :meth:`execution` gives the prices an engine trades at: raw where known, else adjusted.
    """

    sessions: pd.DatetimeIndex
    fields: dict[str, pd.DataFrame]
    is_st: pd.DataFrame
    meta: dict[str, SeriesMeta]
    digest: dict[str, str]
    execution_fields: dict[str, pd.DataFrame] = field(default_factory=dict)
    execution_meta: dict[str, SeriesMeta] = field(default_factory=dict)
    execution_digest: dict[str, str] = field(default_factory=dict)
    actions: dict[str, list[CorporateAction]] = field(default_factory=dict)
    # stocks with raw bars that stayed on adjusted prices, and why (the manifest says so)
    raw_rejected: dict[str, str] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return list(self.fields["close"].columns)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.fields[name]

    @property
    def raw_codes(self) -> list[str]:
        """The codes that execute on raw prices."""
        return sorted(self.execution_meta)

    def execution(self, name: str) -> pd.DataFrame:
        """Field ``name`` at the prices orders fill at: raw columns where known."""
        return self.execution_fields.get(name, self.fields[name])

    def has_bar(self, code: str, day: pd.Timestamp) -> bool:
        value = value_at(self.fields["close"], day, code)
        return bool(pd.notna(value))


def value_at(frame: pd.DataFrame, day: pd.Timestamp, code: str) -> float:
    """``frame.at[day, code]`` of a numeric sessions x codes frame, as a float (NaN if missing).

    pandas-stubs types ``.at`` as any scalar (its frames carry no dtype); a panel's frames
    and the frames derived from them hold float64.
    """
    return float(cast(SupportsFloat, frame.at[day, code]))


def limit_reference_closes(panel: Panel) -> pd.DataFrame:
    """The previous close each session's price limits are computed from (sessions x codes):
    the last traded execution close, or on raw prices the exchange's ex-right reference
    price (:func:`coverbt.market.corporate.reference_prev_closes`)."""
    close = panel.execution("close")
    prev = close.ffill().shift(1)
    for code, actions in panel.actions.items():
        prev[code] = reference_prev_closes(close[code], actions)
    return prev


def load_panel(
    market: MarketData,
    wanted: dict[str, SeriesKind],
    start: dt.date,
    end: dt.date,
    *,
    raw: bool = True,
) -> tuple[Panel, dict[str, str]]:
    """Read ``wanted`` codes over the sessions of ``[start, end]``.

    Returns the panel of every code with at least one bar in the window and, for the others,
    the reason they are missing (the provider's message). With ``raw``, each stock whose
    provider has raw bars and events (:func:`~coverbt.data.corporate_actions.raw_execution`)
    gets them as its execution prices; without either nothing changes.
    """
    sessions = market.calendar(start, end)
    columns: dict[str, dict[str, pd.Series]] = {f: {} for f in FIELDS}
    is_st: dict[str, pd.Series] = {}
    metas: dict[str, SeriesMeta] = {}
    digests: dict[str, str] = {}
    missing: dict[str, str] = {}
    raws: dict[str, RawExecution] = {}
    rejected: dict[str, str] = {}
    raw_columns: dict[str, dict[str, pd.Series]] = {f: {} for f in FIELDS}
    for code, kind in wanted.items():
        try:
            series = market.bars(code, kind=kind, adjust=Adjust.QFQ, start=start, end=end)
        except DataUnavailableError as exc:
            missing[code] = str(exc)
            continue
        if series.meta.rows == 0:
            missing[code] = f"no bars between {start} and {end}"
            continue
        frame = series.frame.reindex(sessions)
        for name in FIELDS:
            columns[name][code] = frame[name].astype(float)
        flag = frame["is_st"] if "is_st" in frame.columns else pd.Series(0.0, index=sessions)
        is_st[code] = flag.fillna(0).astype(bool)
        metas[code] = series.meta
        digests[code] = _digest(series.frame)
        stock = raw and kind is SeriesKind.STOCK
        found = raw_execution(market, code, start, end) if stock else None
        raw_frame = _aligned(found, frame["close"], sessions) if found else None
        if found is not None and raw_frame is None:
            rejected[code] = (
                "raw bars trade on other sessions than the adjusted ones in the window "
                "(update both: coverbt data update --raw-prices); adjusted prices used"
            )
        if found is not None and raw_frame is not None:
            raws[code] = found
            for name in FIELDS:
                raw_columns[name][code] = raw_frame[name].astype(float)
    fields = {name: pd.DataFrame(columns[name], index=sessions, dtype=float) for name in FIELDS}
    flags = pd.DataFrame(is_st, index=sessions, dtype=bool)
    execution: dict[str, pd.DataFrame] = {}
    if raws:
        for name in FIELDS:
            frame = fields[name].copy()
            for code, values in raw_columns[name].items():
                frame[code] = values
            execution[name] = frame
    return (
        Panel(
            sessions,
            fields,
            flags,
            metas,
            digests,
            execution,
            {code: item.bars.meta for code, item in raws.items()},
            {code: _digest(item.bars.frame) for code, item in raws.items()},
            {code: list(item.actions) for code, item in raws.items()},
            rejected,
        ),
        missing,
    )


class PanelLoader(Protocol):
    """What :func:`load_panel` is: a plan reads its bars through one."""

    def __call__(
        self, market: MarketData, wanted: dict[str, SeriesKind], start: dt.date, end: dt.date
    ) -> tuple[Panel, dict[str, str]]: ...


class PanelMemo:
    """:func:`load_panel` that reads each (market, codes, window) once, then serves the same
    panel again: for a sweep, whose plans share names and windows. Panels are not modified
    by plans or engines, so sharing one is safe."""

    def __init__(self) -> None:
        self._seen: dict[tuple[object, ...], tuple[Panel, dict[str, str]]] = {}

    def __call__(
        self, market: MarketData, wanted: dict[str, SeriesKind], start: dt.date, end: dt.date
    ) -> tuple[Panel, dict[str, str]]:
        key = (id(market), tuple(sorted(wanted.items())), start, end)
        if key not in self._seen:
            self._seen[key] = load_panel(market, wanted, start, end)
        return self._seen[key]

    def __len__(self) -> int:
        return len(self._seen)


def _aligned(
    found: RawExecution, adjusted_close: pd.Series, sessions: pd.DatetimeIndex
) -> pd.DataFrame | None:
    """The raw bars on ``sessions``, or None when they trade on other days than the
    adjusted ones (two sources that disagree: the adjusted prices stay in use)."""
    frame = found.bars.frame.reindex(sessions)
    if not frame["close"].notna().equals(adjusted_close.notna()):
        return None
    return frame


def _digest(frame: pd.DataFrame) -> str:
    cols = [c for c in FIELDS if c in frame.columns]
    text = frame[cols].to_csv(float_format="%.10g", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()
