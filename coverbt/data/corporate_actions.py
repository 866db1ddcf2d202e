"""Corporate actions (dividends, bonus shares, transfers) as data: schema, parsing, cache.

An actions frame has a ``DatetimeIndex`` named ``ex_date`` (unique, increasing) and the
float columns of :data:`ACTION_COLUMNS`, amounts **per share** (vendors quote per 10
shares: 10派3.5 is ``cash_per_share`` 0.35), and ``announced``, the date the
implementation was last announced (when known). Only implemented events (with an
ex-date) are kept; plans without an ex-date are not events yet.

Source: akshare ``stock_fhps_detail_em`` (eastmoney datacenter ``RPT_SHAREBONUS_DET``).
akshare names its 30 columns *by position*, so a shifted answer is caught here: the
total bonus+transfer ratio must equal bonus plus transfer, the ratios must be
non-negative, announcement dates must parse and the record date may not follow the
ex-date.

:func:`raw_execution` is what an engine calls: raw bars plus events of a stock, or
``None`` when the provider lacks either (then adjusted prices stay in use).

The cache keeps one parquet file per stock under ``<cache>/corporate_actions/``, written
atomically (:mod:`coverbt.atomic`); it is separate from the bar segments and their
catalog, so no bar cache operation reads or removes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coverbt.atomic import atomic_path
from coverbt.data.provider import MarketData, corporate_actions
from coverbt.data.schema import Adjust, Series, SeriesKind, SeriesMeta
from coverbt.errors import DataUnavailableError, InputError
from coverbt.market.corporate import SHARES_PER_TEN, CorporateAction

ACTION_COLUMNS: tuple[str, ...] = ("cash_per_share", "bonus_per_share", "transfer_per_share")
ANNOUNCED = "announced"
ACTION_DIR = "corporate_actions"
RATIO_TOLERANCE = 1e-6  # bonus + transfer vs the stated total, per 10 shares
# eastmoney column names as akshare 1.19.5 labels them (by position)
EM_TOTAL, EM_BONUS, EM_TRANSFER = "送转股份-送转总比例", "送转股份-送股比例", "送转股份-转股比例"
EM_CASH, EM_RECORD, EM_EX = "现金分红-现金分红比例", "股权登记日", "除权除息日"
EM_NOTICE = "最新公告日期"
EM_COLUMNS: tuple[str, ...] = (
    EM_TOTAL,
    EM_BONUS,
    EM_TRANSFER,
    EM_CASH,
    EM_RECORD,
    EM_EX,
    "方案进度",
    EM_NOTICE,
)


def empty_actions() -> pd.DataFrame:
    """An actions frame with no event: known to have distributed nothing (``None`` is
    "unknown")."""
    frame = pd.DataFrame(
        {c: pd.Series(dtype=float) for c in ACTION_COLUMNS}
        | {ANNOUNCED: pd.Series(dtype="datetime64[ns]")},
        index=pd.DatetimeIndex([], name="ex_date"),
    )
    return frame


def _error(problem: str, source: str, field: str, expected: str) -> InputError:
    return InputError(
        problem,
        source=source,
        field=field,
        expected=expected,
        fix="the site changed its answer: upgrade akshare (pip install -U akshare) and fetch again",
    )


def validate_actions(frame: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Check an actions frame against the schema; return it sorted by ex-date.

    >>> ok = pd.DataFrame({"cash_per_share": [0.35], "bonus_per_share": [0.0],
    ...                    "transfer_per_share": [0.4]},
    ...                   index=pd.DatetimeIndex(["2024-06-14"], name="ex_date"))
    >>> len(validate_actions(ok, source="test"))
    1
    """
    missing = [c for c in ACTION_COLUMNS if c not in frame.columns]
    if missing:
        raise _error(f"no column {missing[0]}", source, missing[0], f"columns {ACTION_COLUMNS}")
    if not isinstance(frame.index, pd.DatetimeIndex) or frame.index.hasnans:
        raise _error("ex-dates are not all dates", source, "ex_date", "a date per event")
    if frame.index.has_duplicates:
        day = frame.index[frame.index.duplicated()][0]
        raise _error(f"two different events on {day:%Y-%m-%d}", source, "ex_date", "one per day")
    for column in ACTION_COLUMNS:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            day = frame.index[int(np.argmax(bad))]
            raise _error(
                f"{column} is {frame[column].iloc[int(np.argmax(bad))]!r} on {day:%Y-%m-%d}",
                source,
                column,
                "a finite amount >= 0 per share",
            )
    out = frame.astype({c: float for c in ACTION_COLUMNS}).sort_index(kind="stable")
    if ANNOUNCED not in out.columns:
        out[ANNOUNCED] = pd.NaT
    out.index.name = "ex_date"
    return out[[*ACTION_COLUMNS, ANNOUNCED]]


def _dates(raw: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_datetime(raw[column].astype(str), errors="coerce")


def _ratio(raw: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(raw[column], errors="coerce").fillna(0.0).astype(float)


def actions_from_fhps_em(raw: pd.DataFrame, *, code: str) -> pd.DataFrame:
    """The implemented events of akshare ``stock_fhps_detail_em(code)``'s answer.

    Raises :class:`InputError` naming the field when the answer does not fit the schema
    (a column shifted or renamed by the site).
    """
    source = f"akshare:stock_fhps_detail_em({code})"
    missing = [c for c in EM_COLUMNS if c not in raw.columns]
    if missing:
        raise _error(
            f"the answer lacks column {missing[0]} (has {list(raw.columns)})",
            source,
            missing[0],
            f"columns {list(EM_COLUMNS)}",
        )
    notice = _dates(raw, EM_NOTICE)
    if notice.isna().all():
        raise _error("no row has an announcement date", source, EM_NOTICE, "dates")
    ex_date, record = _dates(raw, EM_EX), _dates(raw, EM_RECORD)
    done = ex_date.notna().to_numpy()
    total, bonus = _ratio(raw, EM_TOTAL)[done], _ratio(raw, EM_BONUS)[done]
    transfer, cash = _ratio(raw, EM_TRANSFER)[done], _ratio(raw, EM_CASH)[done]
    _check_event_rows(raw[done], total, bonus, transfer, cash, source)
    late = (record[done] > ex_date[done]).to_numpy()
    if late.any():
        row = raw[done].iloc[int(np.argmax(late))]
        raise _error(
            f"record date {row[EM_RECORD]} after ex-date {row[EM_EX]}",
            source,
            EM_RECORD,
            "a record date on or before the ex-date",
        )
    frame = pd.DataFrame(
        {
            "cash_per_share": (cash / SHARES_PER_TEN).to_numpy(),
            "bonus_per_share": (bonus / SHARES_PER_TEN).to_numpy(),
            "transfer_per_share": (transfer / SHARES_PER_TEN).to_numpy(),
            ANNOUNCED: notice[done].to_numpy(),
        },
        index=pd.DatetimeIndex(ex_date[done].to_numpy(), name="ex_date"),
    )
    frame = frame[~(frame.reset_index().duplicated().to_numpy())]  # a plan listed twice
    return validate_actions(frame, source=source)


def _check_event_rows(
    rows: pd.DataFrame,
    total: pd.Series,
    bonus: pd.Series,
    transfer: pd.Series,
    cash: pd.Series,
    source: str,
) -> None:
    for name, values in ((EM_BONUS, bonus), (EM_TRANSFER, transfer), (EM_CASH, cash)):
        bad = (values < 0).to_numpy() | ~np.isfinite(values.to_numpy())
        if bad.any():
            value = rows[name].iloc[int(np.argmax(bad))]
            raise _error(f"{name} is {value!r}", source, name, "a ratio >= 0 per 10 shares")
    off = (total - bonus - transfer).abs().to_numpy() > RATIO_TOLERANCE
    if off.any():
        i = int(np.argmax(off))
        raise _error(
            f"送转总比例 {total.iloc[i]} is not 送股 {bonus.iloc[i]} + 转股 {transfer.iloc[i]}"
            f" (ex-date {rows[EM_EX].iloc[i]})",
            source,
            EM_TOTAL,
            "the total equal to bonus plus transfer (columns shifted?)",
        )


def to_actions(frame: pd.DataFrame) -> list[CorporateAction]:
    """The events of a validated actions frame, oldest first."""
    return [
        CorporateAction(
            stamp.date(),
            float(row.cash_per_share),
            float(row.bonus_per_share),
            float(row.transfer_per_share),
        )
        for stamp, row in frame.iterrows()
        if isinstance(stamp, pd.Timestamp)
    ]


def action_path(cache_dir: Path, code: str) -> Path:
    if not (len(code) == 6 and code.isdigit()):
        raise InputError(
            f"code {code!r} is not 6 digits", field="code", expected="a 6-digit A-share code"
        )
    return Path(cache_dir) / ACTION_DIR / f"{code}.parquet"


def save_actions(cache_dir: Path, code: str, frame: pd.DataFrame) -> Path:
    """Store ``code``'s actions (validated) atomically; returns the file written."""
    frame = validate_actions(frame, source=f"corporate actions of {code}")
    path = action_path(cache_dir, code)
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp)
    return path


def load_actions(cache_dir: Path, code: str) -> pd.DataFrame | None:
    """``code``'s cached actions, or ``None`` when none were ever fetched for it."""
    path = action_path(cache_dir, code)
    if not path.exists():
        return None
    frame = pd.read_parquet(path)
    return validate_actions(frame, source=str(path))


def refresh_actions(source: object, cache_dir: Path, codes: list[str]) -> dict[str, int]:
    """Fetch each code's events from ``source`` and cache them; the count per code.

    ``source`` is a :class:`~coverbt.data.provider.CorporateActionSource` (the live akshare
    provider); codes it knows nothing about are skipped (absent from the result).
    """
    counts: dict[str, int] = {}
    for code in codes:
        frame = corporate_actions(source, code)
        if frame is not None:
            save_actions(cache_dir, code, frame)
            counts[code] = len(frame)
    return counts


@dataclass(frozen=True)
class RawExecution:
    """Raw bars of a stock with its known events: what a raw-price engine needs."""

    bars: Series
    actions: list[CorporateAction]


def raw_execution(
    market: MarketData, code: str, start: dt.date | None = None, end: dt.date | None = None
) -> RawExecution | None:
    """Raw bars and events of ``code``, or ``None`` when ``market`` lacks either.

    Raw prices are only usable with the events (else a dividend looks like a loss and a
    10-for-10 transfer like a halving); without them the caller keeps adjusted prices
    and says so.
    """
    frame = corporate_actions(market, code)
    if frame is None:
        return None
    try:
        bars = market.bars(code, kind=SeriesKind.STOCK, adjust=Adjust.NONE, start=start, end=end)
    except DataUnavailableError:
        return None
    if bars.meta.adjust is not Adjust.NONE or bars.meta.rows == 0:
        return None
    return RawExecution(bars, to_actions(frame))


@dataclass(frozen=True)
class WithActions:
    """``market`` plus known events per code: a :class:`MarketData` that is also a
    :class:`~coverbt.data.provider.CorporateActionSource` (tests, in-memory raw bars).

    Codes absent from ``actions`` are "unknown" (``None``), not "no events".
    """

    market: MarketData
    actions: dict[str, pd.DataFrame]

    def bars(
        self,
        code: str,
        *,
        kind: SeriesKind = SeriesKind.STOCK,
        adjust: Adjust = Adjust.QFQ,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Series:
        return self.market.bars(code, kind=kind, adjust=adjust, start=start, end=end)

    def valuation(
        self, code: str, *, start: dt.date | None = None, end: dt.date | None = None
    ) -> pd.DataFrame:
        return self.market.valuation(code, start=start, end=end)

    def calendar(self, start: dt.date, end: dt.date) -> pd.DatetimeIndex:
        return self.market.calendar(start, end)

    def code_names(self) -> pd.DataFrame:
        return self.market.code_names()

    def catalog(self) -> list[SeriesMeta]:
        return self.market.catalog()

    def corporate_actions(self, code: str) -> pd.DataFrame | None:
        frame = self.actions.get(code)
        return None if frame is None else validate_actions(frame, source=f"actions of {code}")
