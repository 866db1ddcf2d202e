"""One PNG per name: the EPS path per fiscal year and the PE TTM path against the report's PE."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from coverbt.reports.fonts import chart_font, use_chart_font
from coverbt.revisions.ledger import latest_per_key
from coverbt.revisions.records import Kind

HISTORY = pd.DateOffset(years=1)  # PE TTM shown from one year before publication


def ascii_label(source: str, report_source: str) -> str:
    """A chart label without CJK glyphs (fonts for them are often missing on servers).

    Examples
    --------
    >>> ascii_label("平安证券:闫磊", "平安证券:闫磊"), ascii_label("em_report:中信", "x")
    ('report', 'em_report')
    """
    if source == report_source:
        return "report"
    return source if source.isascii() else source.split(":", 1)[0]


def source_label(source: str, report_source: str) -> str:
    """The legend label of a forecast source: Chinese when the chart font can draw it.

    Examples
    --------
    >>> source_label("平安证券:闫磊", "平安证券:闫磊")
    'report'
    """
    if source != report_source and chart_font().covers(source):
        return source
    return ascii_label(source, report_source)


def name_chart(
    path: Path,
    *,
    title: str,
    report_source: str,
    rows: pd.DataFrame,
    code: str,
    pe_ttm: pd.Series,
    pe_report: dict[int, float],
    published: dt.date,
    as_of: dt.date,
) -> Path:
    """Write the chart of one name to ``path`` (PNG) and return it."""
    fig, (eps_ax, pe_ax) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    _eps_panel(eps_ax, latest_per_key(rows), code, as_of, report_source)
    _pe_panel(pe_ax, pe_ttm.loc[pe_ttm.index >= pd.Timestamp(published) - HISTORY], pe_report,
              published, as_of)  # fmt: skip
    for ax in (eps_ax, pe_ax):
        ax.axvline(pd.Timestamp(published), color="grey", linestyle=":", linewidth=1)
        ax.grid(alpha=0.3)
    eps_ax.set_title(title)
    use_chart_font(fig)
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _eps_panel(
    ax: plt.Axes, current: pd.DataFrame, code: str, as_of: dt.date, report_source: str
) -> None:
    mine = current.loc[(current["code"] == code) & (current["as_of"] <= pd.Timestamp(as_of))]
    for (source, year, kind), group in mine.groupby(["source", "fiscal_year", "kind"]):
        group = group.sort_values("as_of")
        x = [*group["as_of"], pd.Timestamp(as_of)]
        y = [*group["eps"], group["eps"].iloc[-1]]
        style = "o" if kind == str(Kind.ACTUAL) else "-"
        ax.step(
            x, y, style, where="post", label=f"FY{year} {source_label(str(source), report_source)}"
        )
    ax.set_ylabel("EPS (CNY)")
    if not mine.empty:
        ax.legend(fontsize=6, ncol=2)
    else:
        ax.text(0.5, 0.5, "no EPS forecast known", ha="center", transform=ax.transAxes)


def _pe_panel(
    ax: plt.Axes,
    pe_ttm: pd.Series,
    pe_report: dict[int, float],
    published: dt.date,
    as_of: dt.date,
) -> None:
    if pe_ttm.empty:
        ax.text(0.5, 0.5, "no PE TTM in the data", ha="center", transform=ax.transAxes)
    else:
        ax.plot(pe_ttm.index, pe_ttm.to_numpy(), label="PE TTM (data)")
    start, end = pd.Timestamp(published), pd.Timestamp(max(as_of, published))
    for year, color in ((published.year - 1, "tab:orange"), (published.year, "tab:green")):
        if year in pe_report:
            label = f"report PE {year} (at publication)"
            ax.hlines(
                pe_report[year],
                start.to_datetime64(),
                end.to_datetime64(),
                colors=color,
                linestyles="--",
                label=label,
            )
    ax.set_ylabel("P/E")
    if not pe_ttm.empty or pe_report:
        ax.legend(fontsize=6)
