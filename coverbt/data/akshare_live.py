"""The live akshare provider: daily bars, valuation, calendar and code list from the sites.

Every akshare answer is checked against the columns we expect *before* it is used:
akshare assigns column names by position, so a site that drops or renames a field either
breaks akshare (a ``KeyError`` or a length mismatch) or silently shifts columns. Both
become an :class:`~coverbt.errors.InputError` naming the akshare function and the field;
a shifted column is then caught by :func:`~coverbt.data.validate.validate_bars` (high
below close, ...). Network trouble is classified by :mod:`coverbt.data.netfail`: a DNS
failure or a refused connection fails at once, a timeout, an HTTP 5xx or an empty answer
(the typical reply to a banned IP) is retried with exponential backoff while the run's
budget lasts; each ends as a :class:`~coverbt.errors.FetchError` carrying its class.
Nothing here writes to the cache.

Functions used: ``stock_zh_a_hist`` (qfq/hfq/raw), ``index_zh_a_hist`` (CSI 300),
``index_hist_sw`` (Shenwan 801750), ``stock_value_em`` (PE TTM, PB),
``tool_trade_date_hist_sina``, ``stock_info_a_code_name`` and ``stock_fhps_detail_em``
(dividends, bonus shares, transfers: :mod:`coverbt.data.corporate_actions`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pandas as pd

from coverbt.data.corporate_actions import EM_COLUMNS, actions_from_fhps_em, empty_actions
from coverbt.data.netfail import NOT_RETRIED, EmptyAnswer, FetchGuard, fetch_error
from coverbt.data.provider import SW_COMPUTER
from coverbt.data.schema import Adjust, Series, SeriesKind, SeriesMeta
from coverbt.data.validate import validate_valuation
from coverbt.data.vendor import FORMATS, VendorFormat, series_from_raw
from coverbt.errors import FetchError, InputError

DEFAULT_START = dt.date(2018, 1, 1)
REQUEST_TIMEOUT = 15.0

_STOCK_COLUMNS = ("日期", "股票代码", "开盘", "收盘", "最高", "最低", "成交量", "成交额", "换手率")
_INDEX_COLUMNS = ("日期", "开盘", "收盘", "最高", "最低", "成交量", "成交额")
_SW_COLUMNS = ("代码", "日期", "收盘", "开盘", "最高", "最低", "成交量", "成交额")
_VALUE_COLUMNS = ("数据日期", "PE(TTM)", "市净率")

# eastmoney's index klines have the stock klines' fields (less the code), volume in lots
INDEX_EM_FORMAT = replace(
    FORMATS["akshare"],
    name="akshare_index_em",
    signature=_INDEX_COLUMNS,
    kind=SeriesKind.INDEX,
    adjust=Adjust.NONE,
    code_column=None,
)
_ADJUST_ARG = {Adjust.QFQ: "qfq", Adjust.HFQ: "hfq", Adjust.NONE: ""}


def _default_api() -> Any:
    import akshare  # imported lazily: it is slow to import and needs no network to load

    return akshare


class AkshareLive:
    """:class:`~coverbt.data.provider.MarketData` served live by akshare.

    Parameters
    ----------
    api : object with akshare's functions as attributes (default: the akshare module).
    retries : attempts per call before :class:`FetchError`.
    backoff : seconds before the 2nd attempt; doubles each time.
    sleep : how to wait (tests pass a recorder).
    guard : the run's circuit breaker and failure budget (default: a new one, so one
        provider serves one run).
    """

    def __init__(
        self,
        api: Any = None,
        *,
        retries: int = 3,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        guard: FetchGuard | None = None,
    ) -> None:
        self._api = api
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.guard = guard or FetchGuard()

    @property
    def api(self) -> Any:
        if self._api is None:
            self._api = _default_api()
        return self._api

    def call(self, function: str, **kwargs: Any) -> pd.DataFrame:
        """Call ``akshare.<function>(**kwargs)`` under the run's :class:`FetchGuard`; never
        returns an empty frame.

        A DNS failure or a refused connection fails at once (and opens the guard's
        circuit); a timeout, an HTTP 5xx or an empty answer is retried with exponential
        backoff while the guard's budget lasts; a changed answer is an :class:`InputError`.
        """
        what = f"akshare.{function}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"

        def fetch() -> pd.DataFrame:
            try:
                frame = getattr(self.api, function)(**kwargs)
            except TypeError as exc:  # akshare subscripting a null answer
                raise EmptyAnswer(f"null data ({exc})") from exc
            if frame is None or len(frame) == 0:
                raise EmptyAnswer("the site returned no rows")
            return frame

        return self._retrying(function, what, fetch)

    def _retrying(
        self, function: str, what: str, fetch: Callable[[], pd.DataFrame]
    ) -> pd.DataFrame:
        """Run ``fetch`` under the guard with :meth:`call`'s retries and error mapping."""
        for attempt in range(1, self.retries + 1):
            try:
                return self.guard.once(function, what, fetch)
            except FetchError as error:
                last = error.__cause__  # None: not tried (circuit open or budget spent)
                if last is None or error.failure in NOT_RETRIED:
                    raise
                delay = self.backoff * 2 ** (attempt - 1)
                if attempt == self.retries or not self.guard.wait(delay, self.sleep):
                    raise fetch_error(what, last, error.failure, attempts=attempt) from None
            except (KeyError, ValueError, IndexError) as exc:
                raise _schema_error(function, exc) from None
        raise AssertionError("unreachable: the loop returns or raises")

    # --- MarketData ---------------------------------------------------------------------

    def bars(
        self,
        code: str,
        *,
        kind: SeriesKind = SeriesKind.STOCK,
        adjust: Adjust = Adjust.QFQ,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Series:
        start = start or DEFAULT_START
        end = end or dt.date.today()
        if SeriesKind(kind) is SeriesKind.INDEX:
            return self._index(code, start, end)
        function = "stock_zh_a_hist"
        raw = self.call(
            function,
            symbol=code,
            period="daily",
            start_date=_ymd(start),
            end_date=_ymd(end),
            adjust=_ADJUST_ARG[Adjust(adjust)],
            timeout=REQUEST_TIMEOUT,
        )
        _require(raw, _STOCK_COLUMNS, function)
        origin = f"akshare:{function}({code}, {Adjust(adjust)})"
        return _series(raw, FORMATS["akshare"], origin, code=code, adjust=Adjust(adjust))

    def _index(self, code: str, start: dt.date, end: dt.date) -> Series:
        if code == SW_COMPUTER or code.startswith("8"):
            function = "index_hist_sw"
            raw = self.call(function, symbol=code, period="day")
            _require(raw, _SW_COLUMNS, function)
            fmt = FORMATS["sw_index"]
        else:
            function = "index_zh_a_hist"
            raw = self.call(
                function, symbol=code, period="daily", start_date=_ymd(start), end_date=_ymd(end)
            )
            _require(raw, _INDEX_COLUMNS, function)
            fmt = INDEX_EM_FORMAT
        series = _series(raw, fmt, f"akshare:{function}({code})", code=code)
        return series.between(start, end)

    def valuation(
        self, code: str, *, start: dt.date | None = None, end: dt.date | None = None
    ) -> pd.DataFrame:
        """Daily ``pe_ttm``/``pb`` of ``code`` in ``[start, end]``, validated.

        The site has no date filter: one request returns the whole history (newest
        first); the window is cut here. Missing values stay NaN; negative PE (losses)
        is kept.
        """
        function = "stock_value_em"
        raw = self.call(function, symbol=code)
        _require(raw, _VALUE_COLUMNS, function)
        dates = pd.to_datetime(raw["数据日期"].astype(str), errors="coerce")
        frame = pd.DataFrame(
            {"pe_ttm": raw["PE(TTM)"].to_numpy(), "pb": raw["市净率"].to_numpy()},
            index=pd.DatetimeIndex(dates, name="date"),
        ).sort_index(kind="stable")
        frame = validate_valuation(frame, source=f"akshare:{function}({code})")
        lo = pd.Timestamp(start) if start else None
        hi = pd.Timestamp(end) if end else None
        return frame.loc[lo:hi]

    def calendar(self, start: dt.date, end: dt.date) -> pd.DatetimeIndex:
        function = "tool_trade_date_hist_sina"
        raw = self.call(function)
        _require(raw, ("trade_date",), function)
        days = pd.DatetimeIndex(pd.to_datetime(raw["trade_date"].astype(str)), name="date")
        if not days.is_monotonic_increasing or days.has_duplicates:
            raise InputError(
                "trade dates are not strictly increasing",
                source=f"akshare:{function}",
                field="trade_date",
                expected="sorted unique dates",
                fix="report the site change to akshare",
            )
        return days[(days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))]

    def code_names(self) -> pd.DataFrame:
        function = "stock_info_a_code_name"
        raw = self.call(function)
        _require(raw, ("code", "name"), function)
        codes = raw["code"].astype(str).str.strip()
        bad = codes[~codes.str.fullmatch(r"[0-9]{6}")]
        if len(bad):
            raise InputError(
                f"code {bad.iloc[0]!r} is not 6 digits",
                source=f"akshare:{function}",
                line=int(bad.index[0]) + 2,
                field="code",
                expected="a 6-digit A-share code",
                fix="report the site change to akshare",
            )
        return pd.DataFrame({"code": codes, "name": raw["name"].astype(str).str.strip()})

    def catalog(self) -> list[SeriesMeta]:
        return []

    # --- corporate actions (:class:`~coverbt.data.provider.CorporateActionSource`) -----

    def corporate_actions(self, code: str) -> pd.DataFrame:
        """Implemented dividends, bonus shares and transfers of ``code``, validated.

        The site answers a stock that never distributed anything with null data, the
        same answer a blocked IP gets; here (only here) a null answer therefore means
        "no events" and is not retried. A ban shows in the bars fetched in the same run.
        """
        function = "stock_fhps_detail_em"
        what = f"akshare.{function}(symbol={code!r})"

        def fetch() -> pd.DataFrame:
            try:
                frame = getattr(self.api, function)(symbol=code)
            except TypeError:  # akshare subscripting eastmoney's null "result"
                return empty_actions()
            if frame is None or len(frame) == 0:
                return empty_actions()
            _require(frame, EM_COLUMNS, function)
            return actions_from_fhps_em(frame, code=code)

        return self._retrying(function, what, fetch)


def _ymd(day: dt.date) -> str:
    return pd.Timestamp(day).strftime("%Y%m%d")


def _require(raw: pd.DataFrame, columns: tuple[str, ...], function: str) -> None:
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise InputError(
            f"the answer lacks column {missing[0]} (has {list(raw.columns)})",
            source=f"akshare:{function}",
            field=missing[0],
            expected=f"columns {list(columns)}",
            fix="the site changed its answer: upgrade akshare (pip install -U akshare) "
            "or import vendor files instead",
        )


def _schema_error(function: str, exc: Exception) -> InputError:
    field = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else None
    return InputError(
        f"akshare could not shape the answer ({type(exc).__name__}: {exc})",
        source=f"akshare:{function}",
        field=field,
        expected="the fields akshare's parser expects (a field was renamed or removed)",
        fix="the site changed its answer: upgrade akshare (pip install -U akshare) "
        "or import vendor files instead",
    )


def _series(
    raw: pd.DataFrame, fmt: VendorFormat, origin: str, *, code: str, adjust: Adjust | None = None
) -> Series:
    raw = raw.copy()
    raw["日期"] = pd.to_datetime(raw["日期"].astype(str)).dt.strftime("%Y-%m-%d")
    raw = raw.sort_values("日期", kind="stable").reset_index(drop=True)
    series = series_from_raw(raw, fmt, origin, code=code, adjust=adjust)
    return Series(replace(series.meta, source="akshare"), series.frame)
