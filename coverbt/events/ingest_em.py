"""Rating events from 东方财富's research reports: ``akshare.stock_research_report_em``.

One request per stock returns every report on it (broker, 东财评级, date, the EPS and PE
forecasts of three fiscal years). Each row with a rating becomes one event:

* ``report_id`` is 东方财富's ``infoCode`` (read from the PDF link akshare builds from it);
* ``label`` is 东财评级, 东方财富's own normalised rating (买入/增持/中性/减持/卖出, scale
  ``eastmoney``), not the broker's label, which akshare does not return; nor does it
  return the analysts, so events from this feed have none;
* **fiscal years (akshare issue #5515).** akshare names the three forecast columns after
  the answer's ``currentYear`` (``2025-盈利预测-收益``, ``2026-...``, ``2027-...``) for every
  row, but each row holds *its own report's* "this year, next year, the year after". A
  report of 2023-08 forecasts FY2023..FY2025 whatever akshare's labels say. The year a
  row means is FY1 on its publication date (:func:`coverbt.revisions.fiscal.fiscal_year_ahead`:
  the first year whose annual report is not yet due by April 30), then FY1 + 1 and FY1 + 2.
  That is what is stored; akshare's labels stay only in the raw answer.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from coverbt.data.akshare_live import AkshareLive
from coverbt.errors import InputError
from coverbt.events.model import RatingEvent, Source
from coverbt.revisions.fiscal import fiscal_year_ahead

FUNCTION = "stock_research_report_em"
SCALE = "eastmoney"
REQUIRED = ("股票代码", "股票简称", "东财评级", "机构", "行业", "日期", "报告PDF链接")
_EPS = re.compile(r"^(\d{4})-盈利预测-收益$")
_PE = re.compile(r"^(\d{4})-盈利预测-市盈率$")
_INFO_CODE = re.compile(r"/H3_([A-Za-z0-9]+)_1\.pdf$")
_FIX = ("the site or akshare changed its answer: upgrade akshare (pip install -U akshare) "
        "and run again; nothing was stored")  # fmt: skip


def fetcher(live: AkshareLive) -> Any:
    """The fetch of one stock: akshare's frame, or an empty frame for a stock no report
    covers.

    akshare fails on the missing ``infoCode`` column of an empty list (``TotalPage`` 0),
    and just as well on a list whose records lost the field (the site renamed it). Only
    the first is "no reports": it is told apart by akshare's own page count, read from its
    frame in the traceback; anything else stays a changed answer.
    """

    def fetch(args: dict[str, Any]) -> pd.DataFrame:
        try:
            return live.call(FUNCTION, symbol=args["symbol"])
        except InputError as exc:
            if exc.field == "infoCode" and _empty_list(exc.__context__):
                return pd.DataFrame(columns=list(REQUIRED))
            raise

    return fetch


def _empty_list(error: BaseException | None) -> bool:
    """Whether akshare's ``error`` was raised on an answer of no pages (``total_page`` of
    akshare 1.19.5's function is 0); unknown is False."""
    trace = error.__traceback__ if error is not None else None
    while trace is not None:
        frame = trace.tb_frame
        if frame.f_code.co_name == FUNCTION:
            return frame.f_locals.get("total_page") == 0
        trace = trace.tb_next
    return False


def _error(code: str, problem: str, *, line: int | None = None, field: str | None = None):
    return InputError(
        problem,
        source=f"akshare:{FUNCTION}(symbol={code!r})",
        line=line,
        field=field,
        expected="the frame layout of akshare 1.19.5",
        fix=_FIX,
    )


def year_columns(frame: pd.DataFrame, pattern: re.Pattern[str], code: str) -> list[str]:
    """The three forecast columns in order (this year, next, the year after)."""
    found = sorted((int(m.group(1)), c) for c in frame.columns if (m := pattern.match(str(c))))
    years = [y for y, _ in found]
    if len(found) != 3 or years != list(range(years[0], years[0] + 3)):
        raise _error(code, f"expected 3 consecutive year columns like {pattern.pattern}, got "
                     f"{years}", field=pattern.pattern)  # fmt: skip
    return [c for _, c in found]


def em_events(frame: pd.DataFrame, args: dict[str, Any]) -> list[RatingEvent]:
    """The events of one stock's answer (see the module docstring for the fiscal years)."""
    code = str(args["symbol"])
    if frame.empty:
        return []
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise _error(code, f"column {missing[0]} is missing (has {list(frame.columns)})",
                     field=missing[0])  # fmt: skip
    eps_cols, pe_cols = year_columns(frame, _EPS, code), year_columns(frame, _PE, code)
    out = []
    for i, row in enumerate(_records(frame)):
        event = _event(row, code, eps_cols, pe_cols, line=i + 1)
        if event is not None:
            out.append(event)
    return out


def _event(
    row: dict[str, Any], code: str, eps_cols: list[str], pe_cols: list[str], *, line: int
) -> RatingEvent | None:
    if str(row["股票代码"]).strip() != code:
        raise _error(code, f"股票代码 {row['股票代码']!r} is not the code asked for", line=line,
                     field="股票代码")  # fmt: skip
    label = _text(row["东财评级"])
    if label is None:
        return None  # a report without a rating is no rating event
    day = pd.to_datetime(row["日期"], errors="coerce")
    if pd.isna(day):
        raise _error(code, f"日期 {row['日期']!r} is not a date", line=line, field="日期")
    link = _INFO_CODE.search(str(row["报告PDF链接"]))
    if link is None:
        raise _error(code, f"报告PDF链接 {row['报告PDF链接']!r} holds no infoCode", line=line,
                     field="报告PDF链接")  # fmt: skip
    fy1 = fiscal_year_ahead(day.date())
    return RatingEvent(
        source=Source.AKSHARE_EM,
        report_id=link.group(1),
        code=code,
        broker=_text(row["机构"]) or "(unknown broker)",
        analysts=(),
        published=day.date(),
        label=label,
        name=_text(row["股票简称"]),
        eps=_by_year(row, eps_cols, fy1),
        pe=_by_year(row, pe_cols, fy1),
        industry=_text(row["行业"]),
        scale=SCALE,
        source_ref=f"akshare:{FUNCTION}(symbol={code!r})",
    )


def _by_year(row: dict[str, Any], columns: list[str], fy1: int) -> dict[int, float]:
    out = {}
    for offset, column in enumerate(columns):
        value = pd.to_numeric(row[column], errors="coerce")
        if pd.notna(value):
            out[fy1 + offset] = float(value)
    return out


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
