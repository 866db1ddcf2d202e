"""Today's forecast snapshots from akshare (同花顺 / 东方财富), validated at the edge.

These functions only return *today's* numbers, so history exists only if we record it:
``coverbt revisions snapshot`` stores each day's figures with ``as_of`` = today.

akshare builds some column names from the current year and assigns others by position, so a
site change can shift every column silently. Every frame is checked against the schema we
expect; a mismatch raises :class:`~coverbt.errors.InputError` naming the akshare function
and the field. Years whose annual report is already due (see :mod:`coverbt.revisions.fiscal`)
are dropped: they are actuals, not forecasts.

Sources:

* ``ths_consensus``: ``stock_profit_forecast_ths`` (mean EPS across institutions, and mean
  net profit, printed in 亿元 by 同花顺, stored in CNY).
* ``em_consensus``: ``stock_profit_forecast_em`` (whole market, filtered to our codes).
* ``em_report:<broker>``: ``stock_research_report_em`` (one row per research report, dated
  by its publication date). Only reports published in the year the site calls "current" are
  kept: the site labels its three EPS columns relative to that year, and for an older report
  that labelling cannot be checked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import pandas as pd

from coverbt.data.netfail import FetchGuard
from coverbt.data.schema import YI
from coverbt.errors import InputError
from coverbt.revisions.fiscal import fiscal_year_ahead
from coverbt.revisions.records import (
    EM_CONSENSUS,
    EM_REPORT_PREFIX,
    THS_CONSENSUS,
    ForecastRecord,
)

if TYPE_CHECKING:
    from pandas.api.typing.aliases import Scalar

Fetch = Callable[..., pd.DataFrame]
_EM_EPS = re.compile(r"^(\d{4})预测每股收益$")
_EM_REPORT_EPS = re.compile(r"^(\d{4})-盈利预测-收益$")
_THS_COLUMNS = ("年度", "预测机构数", "均值")
_EM_COLUMNS = ("代码", "名称", "研报数")
_REPORT_COLUMNS = ("股票代码", "东财评级", "机构", "日期")


def _ak(name: str) -> Fetch:
    import akshare as ak

    return getattr(ak, name)


def call(
    function: str, fetch: Fetch | None = None, guard: FetchGuard | None = None, **kwargs: object
) -> pd.DataFrame:
    """Call an akshare function once under ``guard`` (the run's circuit breaker and failure
    budget, see :mod:`coverbt.data.netfail`): a network failure is a classified
    :class:`~coverbt.errors.FetchError`, a shape change an InputError naming the function."""
    func = fetch or _ak(function)
    what = f"akshare:{function}({_args(kwargs)})"
    try:
        frame = (guard or FetchGuard()).once(function, what, lambda: func(**kwargs))
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        problem = f"akshare could not parse the reply ({exc!r})"
        raise _schema_error(function, kwargs, problem) from exc
    if not isinstance(frame, pd.DataFrame):
        raise _schema_error(function, kwargs, f"returned {type(frame).__name__}, not a frame")
    return frame


def ths_records(
    code: str, today: dt.date, fetch: Fetch | None = None, guard: FetchGuard | None = None
) -> list[ForecastRecord]:
    """Mean EPS (and net profit) of the institutions 同花顺 tracks, one record per year."""
    function = "stock_profit_forecast_ths"
    eps = call(function, fetch, guard, symbol=code, indicator="预测年报每股收益")
    if eps.empty:  # the page says 本年度暂无机构做出业绩预测
        return []
    eps = _ths_table(eps, function, code)
    profit = _ths_table(
        call(function, fetch, guard, symbol=code, indicator="预测年报净利润"), function, code
    )
    profits = dict(zip(profit["年度"], profit["均值"], strict=True))
    fy1 = fiscal_year_ahead(today)
    return [
        ForecastRecord(
            source=THS_CONSENSUS,
            as_of=today,
            code=code,
            fiscal_year=int(year),
            eps=float(mean),
            net_profit=_opt(profits.get(year), YI),
        )
        for year, mean in zip(eps["年度"], eps["均值"], strict=True)
        if int(year) >= fy1 and pd.notna(mean)
    ]


def _ths_table(frame: pd.DataFrame, function: str, code: str) -> pd.DataFrame:
    _require_columns(frame, _THS_COLUMNS, function, code)
    years = frame["年度"].astype(str).str.strip()
    if not years.str.fullmatch(r"\d{4}").all():
        raise _schema_error(function, {"symbol": code}, "年度 holds non-years", field="年度")
    means = pd.to_numeric(frame["均值"], errors="coerce")
    if means.isna().all():
        raise _schema_error(function, {"symbol": code}, "均值 holds no numbers", field="均值")
    return pd.DataFrame({"年度": years.astype(int), "均值": means})


def em_consensus_records(
    codes: Iterable[str],
    today: dt.date,
    fetch: Fetch | None = None,
    guard: FetchGuard | None = None,
) -> list[ForecastRecord]:
    """The 东方财富 consensus EPS of ``codes`` (one whole-market request, filtered)."""
    function = "stock_profit_forecast_em"
    frame = call(function, fetch, guard)
    if frame.empty:
        raise _schema_error(function, {}, "returned no rows for the whole market")
    _require_columns(frame, _EM_COLUMNS, function, "")
    years = _year_columns(frame, _EM_EPS, 4, function, {})
    code_col = frame["代码"].astype(str)
    if not code_col.str.fullmatch(r"\d{6}").mean() > 0.99:
        raise _schema_error(function, {}, "代码 does not hold 6-digit codes", field="代码")
    if pd.to_numeric(frame["研报数"], errors="coerce").isna().mean() > 0.01:
        raise _schema_error(function, {}, "研报数 does not hold counts", field="研报数")
    wanted = frame.loc[code_col.isin(set(codes))]
    fy1 = fiscal_year_ahead(today)
    out = []
    for _, row in wanted.iterrows():
        for year, column in years:
            value = pd.to_numeric(row[column], errors="coerce")
            if year >= fy1 and pd.notna(value):
                out.append(ForecastRecord(EM_CONSENSUS, today, str(row["代码"]), year, value))
    return out


def em_report_records(
    code: str, today: dt.date, fetch: Fetch | None = None, guard: FetchGuard | None = None
) -> list[ForecastRecord]:
    """One record per research report and forecast year (source ``em_report:<broker>``)."""
    function = "stock_research_report_em"
    try:
        frame = call(function, fetch, guard, symbol=code)
    except InputError as exc:
        # akshare fails on 'infoCode' when the list is empty (a code nobody covers)
        if "'infoCode'" in exc.problem:
            return []
        raise
    if frame.empty:
        return []
    _require_columns(frame, _REPORT_COLUMNS, function, code)
    years = _year_columns(frame, _EM_REPORT_EPS, 3, function, {"symbol": code})
    if not (frame["股票代码"].astype(str) == code).all():
        raise _schema_error(function, {"symbol": code}, "股票代码 is not the code asked for")
    dates = pd.to_datetime(frame["日期"], errors="coerce")
    if dates.isna().all():
        raise _schema_error(function, {"symbol": code}, "日期 holds no dates", field="日期")
    current = years[0][0]
    out: dict[tuple[object, ...], ForecastRecord] = {}
    for (_, row), date in zip(frame.iterrows(), dates, strict=True):
        if pd.isna(date) or date.year != current or date.date() > today:
            continue
        fy1 = fiscal_year_ahead(date.date())
        for year, column in years:
            value = pd.to_numeric(row[column], errors="coerce")
            if year < fy1 or pd.isna(value):
                continue
            record = ForecastRecord(
                source=f"{EM_REPORT_PREFIX}{str(row['机构']).strip()}",
                as_of=date.date(),
                code=code,
                fiscal_year=year,
                eps=float(value),
                rating=_text(row["东财评级"]),
            )
            out.setdefault(record.key, record)  # the site lists the newest report first
    return list(out.values())


def _year_columns(
    frame: pd.DataFrame, pattern: re.Pattern[str], count: int, function: str, args: dict
) -> list[tuple[int, str]]:
    found = sorted((int(m.group(1)), c) for c in frame.columns if (m := pattern.match(str(c))))
    years = [y for y, _ in found]
    if len(found) != count or years != list(range(years[0], years[0] + count)):
        raise _schema_error(
            function,
            args,
            f"expected {count} consecutive year columns like {pattern.pattern}, got {years}",
            field=pattern.pattern,
        )
    return found


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], function: str, code: str):
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise _schema_error(
            function,
            {"symbol": code} if code else {},
            f"column(s) {', '.join(missing)} missing (got {list(frame.columns)})",
            field=missing[0],
        )


def _schema_error(function: str, args: dict, problem: str, field: str | None = None) -> InputError:
    return InputError(
        problem,
        source=f"akshare:{function}({_args(args)})",
        field=field,
        expected="the frame layout of akshare 1.19.5",
        fix="the site or akshare changed; upgrade akshare (pip install -U akshare) and "
        "re-run, or report it with the akshare version",
    )


def _args(kwargs: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


def _opt(value: Scalar | None, scale: float) -> float | None:
    if value is None:
        return None
    number = pd.to_numeric(value, errors="coerce")
    return None if pd.isna(number) else float(number) * scale


def _text(value: Scalar | None) -> str | None:
    return None if pd.isna(value) or not str(value).strip() else str(value).strip()
