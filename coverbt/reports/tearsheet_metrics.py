"""The tearsheet's metrics table and headline, shaped to the run's window (pure).

quantstats computes every figure (``qs.reports.metrics``); this module only chooses, orders
and labels its rows, so that nothing annual poses as the result of a short run:

* the headline is the **total return over the window** (quantstats' "Cumulative Return",
  renamed :data:`HEADLINE_ROW` and moved first);
* a trailing-period row (MTD, 3M, 6M, YTD, 1Y, 3Y/5Y/10Y (ann.)) is dropped when the run
  does not cover the whole period, where quantstats would show the run's own return under
  the period's name (on a 6-month run "1Y" and "5Y (ann.)" are the run itself);
* under one year, the rows of a single partial year (:data:`YEAR_ROWS`) are dropped and the
  annualised rows (:data:`ANNUALISED_ROWS`, CAGR first) move to a last section whose title
  says they are extrapolated from the run's sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import pandas as pd

from coverbt.data import trading_calendar
from coverbt.reports.window import TearsheetWindow

CUMULATIVE_ROW = "Cumulative Return"  # quantstats' name
HEADLINE_ROW = "Total Return (window)"
CAGR_ROW = "CAGR\ufe6a"  # quantstats writes "CAGR" with a small percent sign
SEPARATOR = ""  # quantstats' separator rows have an empty name and empty cells
ANNUALISED_ROWS: tuple[str, ...] = (
    CAGR_ROW, "Sharpe", "Smart Sharpe", "Sortino", "Smart Sortino", "Sortino/\u221a2",
    "Smart Sortino/\u221a2", "Volatility (ann.)", "Calmar", "Risk-Adjusted Return", "Alpha",
    "Treynor Ratio",
)  # fmt: skip
YEAR_ROWS: tuple[str, ...] = (
    "Expected Yearly", "Best Year", "Worst Year", "Win Year", "All-time (ann.)",
)  # fmt: skip


def _months_back(months: int) -> Callable[[pd.Timestamp], pd.Timestamp]:
    return lambda end: end - pd.DateOffset(months=months)


# where quantstats starts each trailing period, from the run's last session (its definitions)
TRAILING_STARTS: dict[str, Callable[[pd.Timestamp], pd.Timestamp]] = {
    "MTD": lambda end: pd.Timestamp(year=end.year, month=end.month, day=1),
    "3M": _months_back(3),
    "6M": _months_back(6),
    "YTD": lambda end: pd.Timestamp(year=end.year, month=1, day=1),
    "1Y": _months_back(12),
    "3Y (ann.)": _months_back(35),
    "5Y (ann.)": _months_back(59),
    "10Y (ann.)": _months_back(119),
}


def covers(window: TearsheetWindow, period_start: pd.Timestamp) -> bool:
    """Whether the run holds every session from ``period_start`` to its end."""
    before = window.start - pd.Timedelta(days=1)
    return (
        period_start >= window.start
        or len(trading_calendar.trading_days(period_start, before)) == 0
    )


def annualised_title(window: TearsheetWindow) -> str:
    return (
        f"Annualised from {window.sessions} sessions at {window.sessions_per_year}/year "
        "(extrapolated, not a result)"
    )


def shape_metrics(table: pd.DataFrame, window: TearsheetWindow) -> pd.DataFrame:
    """``table`` (quantstats' metrics, one row per metric) with rows fit for ``window``.

    The input is not modified.
    """
    uncovered = [
        name for name, start in TRAILING_STARTS.items() if not covers(window, start(window.end))
    ]
    drop = set(uncovered) | (set(YEAR_ROWS) if window.under_one_year else set())
    kept = table[~table.index.isin(list(drop))]
    headline = kept[kept.index == CUMULATIVE_ROW].rename(index={CUMULATIVE_ROW: HEADLINE_ROW})
    rest = kept[kept.index != CUMULATIVE_ROW]
    if not window.under_one_year:
        return _tidy(pd.concat([headline, rest]))
    moved = [name for name in ANNUALISED_ROWS if name in rest.index]
    annual = rest.loc[moved].rename(index=_extrapolated_label)
    blank = pd.DataFrame([[""] * len(table.columns)], columns=table.columns)
    title = blank.set_axis([annualised_title(window)])
    others = rest[~rest.index.isin(moved)]
    return _tidy(pd.concat([headline, others, blank.set_axis([SEPARATOR]), title, annual]))


def _extrapolated_label(name: str) -> str:
    if name == CAGR_ROW:
        return "CAGR (extrapolated)"
    return name if "(ann.)" in name else f"{name} (ann.)"


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    """No separator first, last or twice in a row (rows dropped around it)."""
    names = list(table.index)
    keep = [
        not (name == SEPARATOR and (i == 0 or i == len(names) - 1 or names[i - 1] == SEPARATOR))
        for i, name in enumerate(names)
    ]
    return table[keep]


def metrics_html(table: pd.DataFrame) -> str:
    """``table`` as the tearsheet's metrics table (separators as rules, headline in bold)."""
    width = len(table.columns) + 1
    head = "".join(f"<th>{escape(str(c))}</th>" for c in ["Metric", *table.columns])
    rows = []
    for name, values in table.iterrows():
        if name == SEPARATOR:
            rows.append(f'<tr><td colspan="{width}"><hr></td></tr>')
            continue
        cells = "".join(f"<td>{escape(str(v))}</td>" for v in [name, *values])
        if name == HEADLINE_ROW:
            cells = "".join(f"<td><strong>{escape(str(v))}</strong></td>" for v in [name, *values])
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def total_return(returns: pd.Series) -> float:
    """Compounded return of daily simple ``returns``."""
    growth = (1.0 + returns.to_numpy(dtype=float)).prod()
    return float(growth) - 1.0


def headline_html(returns: pd.DataFrame, window: TearsheetWindow) -> str:
    """The headline: each series' total return over the window, and what the page annualises.

    ``returns`` holds the strategy first, then the benchmark (ASCII column names).
    """
    strategy, benchmark = returns.columns[0], returns.columns[1]
    totals = {str(c): total_return(returns[c]) for c in returns.columns}
    gap = (totals[str(strategy)] - totals[str(benchmark)]) * 100
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td><strong>{value:+.2%}</strong></td></tr>"
        for name, value in totals.items()
    )
    rows += f"<tr><td>{escape(f'{strategy} - {benchmark}')}</td><td>{gap:+.2f} pp</td></tr>"
    span = f"{window.start.date()} to {window.end.date()}, {window.sessions} XSHG sessions"
    note = (
        "Under one year: annualised figures are extrapolations, listed last and labelled."
        if window.under_one_year
        else "Annualised figures use the sessions per year below."
    )
    return (
        '<div id="headline"><h3>Total return over the window</h3>'
        f"<p>{escape(span)}</p><table><tbody>{rows}</tbody></table>"
        f"<p>{escape(note)} Periods/Year: {window.sessions_per_year} "
        f"({escape(window.basis)}).</p></div>"
    )
