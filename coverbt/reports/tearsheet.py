"""quantstats HTML tearsheets of a run against each benchmark (offline).

quantstats is given benchmark *series*, never a ticker, so it never calls yfinance; the two
flaws of its saved template are fixed in the written page (see :data:`TEMPLATE_FIXES`), so
a tearsheet opened offline loads nothing from the network and raises no script error.
Annualisation uses the real number of Chinese sessions per year over the run
(:func:`coverbt.data.trading_calendar.periods_per_year`), not 252.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before quantstats imports pyplot

import pandas as pd

from coverbt.atomic import atomic_write_text, temp_file
from coverbt.data.trading_calendar import periods_per_year

# used only for a run shorter than one day, where an annual rate means nothing anyway
FALLBACK_SESSIONS_PER_YEAR = 242.0
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


def write_tearsheet(returns: pd.DataFrame, benchmark: str, path: Path, title: str) -> Path:
    """One tearsheet of ``returns["portfolio"]`` against ``returns[benchmark]``.

    Parameters
    ----------
    returns : daily simple returns with a date index and columns ``portfolio`` and
        ``benchmark``.
    benchmark : ``csi300`` or ``sw_computer``.
    path : the HTML file to write (atomically).
    title : the page title.
    """
    strategy = returns["portfolio"].astype(float).rename("Strategy")
    reference = returns[benchmark].astype(float).rename(BENCHMARK_NAMES[benchmark])
    start, end = returns.index[0], returns.index[-1]
    periods = periods_per_year(start, end) if end > start else FALLBACK_SESSIONS_PER_YEAR
    import quantstats as qs  # 2 s to import: only when a tearsheet is written

    tmp = temp_file(path.parent, prefix=f".{path.name}.", suffix=".qs.tmp")  # one per writer
    try:
        with _quiet_font_lookup():
            qs.reports.html(
                strategy,
                benchmark=reference,
                output=str(tmp),
                periods_per_year=periods,
                title=title,
                download_filename=path.name,
            )
        html = tmp.read_text(encoding="utf-8")
    finally:
        tmp.unlink(missing_ok=True)
    for old, new in TEMPLATE_FIXES:
        html = html.replace(old, new)
    atomic_write_text(path, html)
    return path
