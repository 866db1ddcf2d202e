"""quantstats HTML tearsheets of a run against each benchmark (offline).

quantstats is given benchmark *series*, never a ticker, so it never calls yfinance; the two
flaws of its saved template are fixed in the written page (see :data:`TEMPLATE_FIXES`), so
a tearsheet opened offline loads nothing from the network and raises no script error.

The page fits the run's window (:mod:`coverbt.reports.window`):

* ``Periods/Year`` is a whole number of real XSHG sessions per year (242 for a 2024 run),
  not 252 nor a fractional average; every annualisation uses it.
* The headline is each series' total return over the window; on a run under one year the
  annualised rows (CAGR, Sharpe, ...) are listed last, labelled as extrapolations, and rows
  naming a period the run does not cover (1Y, 3Y, ...) are dropped
  (:mod:`coverbt.reports.tearsheet_metrics`).
* Rolling panels use windows that fit the run (quantstats' 6 and 12 months leave them empty
  on a 6-month run), or are replaced by a note when the run is too short.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before quantstats imports pyplot

import pandas as pd
from matplotlib.figure import Figure

from coverbt.atomic import atomic_write_text
from coverbt.reports.charts import fit_bbox, rolling_figure
from coverbt.reports.qs_page import quantstats_page
from coverbt.reports.tearsheet_metrics import headline_html, metrics_html, shape_metrics
from coverbt.reports.window import (
    TearsheetWindow,
    fit_window,
    rolling_beta,
    rolling_sharpe,
    rolling_sortino,
    rolling_volatility,
)

STRATEGY_NAME = "Strategy"
BENCHMARK_NAMES: dict[str, str] = {"csi300": "CSI300", "sw_computer": "SWComputer"}
# quantstats' template, saved to a file, still (1) loads its favicon from qtpylib.io and (2)
# calls ``save()`` on load, a function it only defines in browser-download mode (a console
# error in every saved tearsheet). Both are fixed in the written page.
TEMPLATE_FIXES: tuple[tuple[str, str], ...] = (
    (
        '<link rel="shortcut icon" href="https://qtpylib.io/favicon.ico" type="image/x-icon">',
        '<link rel="icon" href="data:,">',
    ),
    ('<body onload="save()">', "<body>"),
)
# coverbt's own content replaces quantstats' metrics table and its rolling panels (whose
# windows quantstats derives from periods per year: 6 and 12 months, empty on a short run);
# a headline of total returns goes above the metrics. Slots are HTML comments, which
# quantstats' final ``{{...}}`` sweep leaves alone.
HEADLINE_SLOT = "<!--coverbt:headline-->"
METRICS_SLOT = "<!--coverbt:metrics-->"
ROLLING_SLOT = "<!--coverbt:rolling-->"
TEMPLATE_SLOTS: tuple[tuple[str, str], ...] = (
    ("<h3>Key Performance Metrics</h3>", f"{HEADLINE_SLOT}<h3>Key Performance Metrics</h3>"),
    ("{{metrics}}", METRICS_SLOT),
    ('<div id="rolling_beta">{{rolling_beta}}</div>', ROLLING_SLOT),
    ('<div id="rolling_vol">{{rolling_vol}}</div>', ""),
    ('<div id="rolling_sharpe">{{rolling_sharpe}}</div>', ""),
    ('<div id="rolling_sortino">{{rolling_sortino}}</div>', ""),
)


@contextmanager
def _quiet_font_lookup() -> Iterator[None]:
    """Mute quantstats' own noise: its Arial lookups (matplotlib logs each miss on Linux)
    and the UserWarnings its plotting code raises against matplotlib 3.11."""
    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module="quantstats")
            yield
    finally:
        logger.setLevel(level)


def tearsheet_path(run_dir: Path, benchmark: str) -> Path:
    return run_dir / f"tearsheet_{benchmark}.html"


def _template(quantstats_dir: Path) -> str:
    """quantstats' template with :data:`TEMPLATE_FIXES` and coverbt's slots (see
    :data:`TEMPLATE_SLOTS`); raises when a quantstats release moved what it replaces."""
    text = (quantstats_dir / "report.html").read_text(encoding="utf-8")
    for old, new in (*TEMPLATE_FIXES, *TEMPLATE_SLOTS):
        if text.count(old) != 1:
            raise RuntimeError(
                f"quantstats' report.html no longer holds {old!r} exactly once: "
                "coverbt.reports.tearsheet must be updated for this quantstats release"
            )
        text = text.replace(old, new)
    return text


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches=fit_bbox(fig))
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def rolling_panels(returns: pd.DataFrame, window: TearsheetWindow) -> str:
    """Rolling beta, volatility, Sharpe and Sortino over windows that fit the run (HTML),
    or the note saying why there are none. ``returns``: strategy, then benchmark."""
    note = f'<p class="rolling-note">{escape(window.rolling_note)}</p>'
    if not window.rolling:
        return f'<div id="rolling">{note}</div>'
    strategy, benchmark = (returns[c] for c in returns.columns[:2])
    longest, per_year = window.rolling[0], window.sessions_per_year
    betas = {
        f"{strategy.name} ({w.sessions}-session)": rolling_beta(strategy, benchmark, w.sessions)
        for w in window.rolling[:2]
    }
    ann = f"{longest.label} window, annualised x sqrt({per_year})"
    stats = (
        ("Rolling volatility", rolling_volatility, None, True),
        ("Rolling Sharpe", rolling_sharpe, 0.0, False),
        ("Rolling Sortino", rolling_sortino, 0.0, False),
    )
    figures = [rolling_figure(betas, f"Rolling beta to {benchmark.name}", "beta", 1.0)]
    for title, stat, guide, percent in stats:
        lines = {str(s.name): stat(s, longest.sessions, per_year) for s in (strategy, benchmark)}
        label = title.split()[-1]
        figures.append(rolling_figure(lines, f"{title}, {ann}", label, guide, percent=percent))
    return f'<div id="rolling">{"".join(_svg(f) for f in figures)}{note}</div>'


def _fill_slots(html: str, returns: pd.DataFrame, window: TearsheetWindow) -> str:
    """Put the headline, the metrics table and the rolling panels into their slots."""
    import quantstats as qs

    strategy, benchmark = returns.columns[0], returns.columns[1]
    with _quiet_font_lookup():
        table = qs.reports.metrics(
            returns=returns[strategy],
            benchmark=returns[benchmark],
            display=False,
            mode="full",
            sep=True,
            internal="True",
            compounded=True,
            periods_per_year=window.sessions_per_year,
            prepare_returns=False,
            benchmark_title=str(benchmark),
            strategy_title=str(strategy),
        )
        panels = rolling_panels(returns, window)
    table = shape_metrics(table.iloc[2:], window)  # without the start and end rows
    slots = {
        HEADLINE_SLOT: headline_html(returns, window),
        METRICS_SLOT: metrics_html(table),
        ROLLING_SLOT: panels,
    }
    for slot, content in slots.items():
        html = html.replace(slot, content)
    return html


def write_tearsheet(returns: pd.DataFrame, benchmark: str, path: Path, title: str) -> Path:
    """Write :func:`render_tearsheet` to ``path`` (atomically) and return ``path``."""
    atomic_write_text(path, render_tearsheet(returns, benchmark, title))
    return path


def render_tearsheet(
    returns: pd.DataFrame,
    benchmark: str,
    title: str,
    shared: dict[str, dict[str, str]] | None = None,
) -> str:
    """The tearsheet page of ``returns["portfolio"]`` against ``returns[benchmark]``.

    Parameters
    ----------
    returns : daily simple returns with a date index and columns ``portfolio`` and
        ``benchmark``.
    benchmark : ``csi300`` or ``sw_computer``.
    title : the page title.
    shared : pass one dict to a run's tearsheets: the charts of the portfolio alone are
        drawn once (:func:`~coverbt.reports.qs_page.quantstats_page`).

    Nothing is written: the page can be drawn in a worker process.
    """
    pair = pd.DataFrame(
        {
            STRATEGY_NAME: returns["portfolio"].astype(float),
            BENCHMARK_NAMES[benchmark]: returns[benchmark].astype(float),
        }
    ).dropna()
    window = fit_window(pd.DatetimeIndex(pair.index))
    import quantstats as qs  # 2 s to import: only when a tearsheet is drawn

    with _quiet_font_lookup():
        html = quantstats_page(
            _template(Path(qs.__file__).parent),
            pair[STRATEGY_NAME],
            pair[BENCHMARK_NAMES[benchmark]],
            title=title,
            periods_per_year=window.sessions_per_year,
            shared=shared,
        )
    return _fill_slots(html, pair, window)
