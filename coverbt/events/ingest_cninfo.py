"""Rating events from 巨潮资讯's daily rating list: ``akshare.stock_rank_forecast_cninfo``.

One request per day returns every rating published that day: the broker, the analysts,
the broker's own label, whether it is a first rating, the change (维持/上调/下调...), the
previous rating and the target price range. The previous rating and the change are stored
as the site states them.

akshare names the answer's fields **by position** (``temp_df.columns = [...]``): a site
that adds, drops or reorders a field either breaks akshare (a length mismatch, reported as
a changed answer) or shifts columns silently. Every row is therefore checked: the day is
the day asked for, the code has 6 digits, the targets are numbers. A shifted answer fails
there, naming the line and the field, and nothing is stored.

The site has no report id: an event's id is ``cninfo:<day>:<broker>:<analysts>``, with
``#2``, ``#3``... for further rows of one broker, analysts and stock on one day.

An empty answer for a trading day is treated as a refusal (every trading day has ratings):
it is reported like a ban (a :class:`~coverbt.errors.FetchError` of class ``empty``), not
as a changed answer. Days that are not sessions are not asked for.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any

import pandas as pd

from coverbt.data.akshare_live import AkshareLive
from coverbt.errors import FetchError, FetchFailure, InputError
from coverbt.events.model import RatingEvent, Source

FUNCTION = "stock_rank_forecast_cninfo"
HOST = "webapi.cninfo.com.cn"
COLUMNS = (
    "证券代码",
    "证券简称",
    "发布日期",
    "研究机构简称",
    "研究员名称",
    "投资评级",
    "是否首次评级",
    "评级变化",
    "前一次投资评级",
    "目标价格-下限",
    "目标价格-上限",
)
_NO_ROWS = "Expected axis has 0 elements"  # pandas naming the columns of an empty list
_SPLIT = re.compile(r"[,，、;；/\s]+")
_FIX = ("the site or akshare changed its answer: upgrade akshare (pip install -U akshare) "
        "and run again; nothing was stored")  # fmt: skip


def fetcher(live: AkshareLive) -> Any:
    """The fetch of one day: akshare's frame. akshare cannot name the fields of an empty
    list (a length mismatch): that is the site refusing us, reported as such, not as a
    changed answer."""

    def fetch(args: dict[str, Any]) -> pd.DataFrame:
        day = str(args["date"])
        try:
            return live.call(FUNCTION, date=day.replace("-", ""))
        except InputError as exc:
            if _NO_ROWS not in exc.problem:
                raise
            raise FetchError(
                f"akshare.{FUNCTION}(date={day.replace('-', '')!r}): 巨潮 listed no rating "
                f"for {day}, a trading day; the site is probably refusing this IP. Fix: wait "
                "an hour and run again (the answers fetched so far are kept and not asked "
                "again)",
                failure=FetchFailure.EMPTY,
                host=HOST,
            ) from None

    return fetch


def _error(day: str, problem: str, *, line: int | None = None, field: str | None = None):
    return InputError(problem, source=f"akshare:{FUNCTION}(date={day.replace('-', '')!r})",
                      line=line, field=field, expected="the frame layout of akshare 1.19.5",
                      fix=_FIX)  # fmt: skip


def cninfo_events(frame: pd.DataFrame, args: dict[str, Any]) -> list[RatingEvent]:
    """The events of one day's answer (``args["date"]`` is ``YYYY-MM-DD``)."""
    day = str(args["date"])
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise _error(day, f"column {missing[0]} is missing (has {list(frame.columns)})",
                     field=missing[0])  # fmt: skip
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for i, row in enumerate(_records(frame)):
        event = _event(row, day, line=i + 1)
        if event is None:
            continue
        seen[(event.report_id, event.code)] += 1
        count = seen[(event.report_id, event.code)]
        if count > 1:
            event = _renamed(event, f"{event.report_id}#{count}")
        out.append(event)
    return out


def _renamed(event: RatingEvent, report_id: str) -> RatingEvent:
    return replace(event, report_id=report_id)


def _event(row: dict[str, Any], day: str, *, line: int) -> RatingEvent | None:
    code = str(row["证券代码"]).strip()
    if not re.fullmatch(r"\d{6}", code):
        raise _error(day, f"证券代码 {row['证券代码']!r} is not a 6-digit code", line=line,
                     field="证券代码")  # fmt: skip
    published = pd.to_datetime(row["发布日期"], errors="coerce")
    if pd.isna(published) or published.strftime("%Y-%m-%d") != day:
        raise _error(day, f"发布日期 {row['发布日期']!r} is not the day asked for", line=line,
                     field="发布日期")  # fmt: skip
    label = _text(row["投资评级"])
    if label is None:
        return None
    low, high = _number(row, "目标价格-下限", day, line), _number(row, "目标价格-上限", day, line)
    broker = _text(row["研究机构简称"]) or "(unknown broker)"
    analysts = tuple(a for a in _SPLIT.split(_text(row["研究员名称"]) or "") if a)
    change = _text(row["评级变化"])
    if change is None and _text(row["是否首次评级"]) == "是":
        change = "首次"
    return RatingEvent(
        source=Source.AKSHARE_CNINFO,
        report_id=f"cninfo:{day}:{broker}:{','.join(analysts)}",
        code=code,
        broker=broker,
        analysts=analysts,
        published=published.date(),
        label=label,
        name=_text(row["证券简称"]),
        previous_label=_text(row["前一次投资评级"]),
        rating_change=change,
        target_low=low if low is not None else high,
        target_high=high if high is not None else low,
        source_ref=f"akshare:{FUNCTION}(date={day.replace('-', '')!r})",
    )


def _number(row: dict[str, Any], field: str, day: str, line: int) -> float | None:
    value = row[field]
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
        return None
    number = pd.to_numeric(value, errors="coerce")
    if pd.isna(number) or number <= 0:
        raise _error(day, f"{field} {value!r} is not a positive price", line=line, field=field)
    return float(number)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text if text and text not in {"-", "--", "None", "nan"} else None


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
