"""quantstats' tearsheet page, drawing only what the page shows, each chart once per run.

``quantstats.reports.html`` also computes its metrics table and draws four rolling charts,
all of which coverbt's template slots replace (:data:`~coverbt.reports.tearsheet.TEMPLATE_SLOTS`):
a third of its time thrown away. It also redraws the strategy-only charts (daily returns,
drawdown periods, underwater plot, monthly heatmap, return distribution) and the
drawdown table for each benchmark. :func:`quantstats_page` makes the same quantstats
calls with the same arguments as ``quantstats.reports.html`` (quantstats 0.0.86, ``rf=0``,
compounded, SVG, dates matched), less those, and takes the strategy-only parts from a
``shared`` dict, so a run's two tearsheets draw them once.
``tests/reports/test_qs_page.py`` proves the page equals ``quantstats.reports.html``'s
byte for byte, with the same SVG ids.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

import pandas as pd

STRATEGY_TITLE = "Strategy"
# the slots of quantstats' template drawn from the strategy alone (``active=False``)
STRATEGY_SLOTS: tuple[str, ...] = (
    "{{daily_returns}}", "{{dd_periods}}", "{{dd_plot}}", "{{monthly_heatmap}}",
    "{{returns_dist}}", "{{dd_info}}",
)  # fmt: skip


def _figure(draw: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """One quantstats chart as the SVG text its page embeds."""
    import quantstats as qs

    stream = qs.utils._file_stream()
    draw(*args, savefig={"fname": stream, "format": "svg"}, show=False, ylabel="", **kwargs)
    return str(qs.reports._embed_figure(stream, "svg"))


def strategy_slots(returns: pd.Series) -> dict[str, str]:
    """The :data:`STRATEGY_SLOTS` of ``returns`` (prepared and date-matched)."""
    import quantstats as qs

    plots, stats = qs.plots, qs.stats
    drawdowns = stats.drawdown_details(stats.to_drawdown_series(returns))
    table = drawdowns.sort_values(by="max drawdown", ascending=True)[:10]
    table = table[["start", "end", "max drawdown", "days"]]
    table.columns = ["Started", "Recovered", "Drawdown", "Days"]
    common = {"grayscale": False}
    return {
        "{{daily_returns}}": _figure(
            plots.daily_returns, returns, None, figsize=(8, 3), subtitle=False,
            prepare_returns=False, active=False, **common,
        ),
        "{{dd_periods}}": _figure(
            plots.drawdowns_periods, returns, figsize=(8, 4), subtitle=False,
            title=returns.name, compounded=True, prepare_returns=False, **common,
        ),
        "{{dd_plot}}": _figure(plots.drawdown, returns, figsize=(8, 3), subtitle=False, **common),
        "{{monthly_heatmap}}": _figure(
            plots.monthly_heatmap, returns, None, figsize=(8, 4), cbar=False,
            returns_label=returns.name, compounded=True, active=False, **common,
        ),
        "{{returns_dist}}": _figure(
            plots.distribution, returns, figsize=(8, 4), subtitle=False, title=returns.name,
            compounded=True, prepare_returns=False, **common,
        ),
        "{{dd_info}}": str(qs.reports._html_table(table, False)),
    }  # fmt: skip


def _key(returns: pd.Series) -> str:
    """A digest of a prepared strategy series (dates, values and name)."""
    digest = hashlib.sha256(str(returns.name).encode())
    digest.update(pd.DatetimeIndex(returns.index).asi8.tobytes())
    digest.update(returns.to_numpy(dtype=float).tobytes())
    return digest.hexdigest()


def quantstats_page(
    template: str,
    returns: pd.Series,
    benchmark: pd.Series,
    *,
    title: str,
    periods_per_year: int,
    shared: dict[str, dict[str, str]] | None = None,
) -> str:
    """The page ``quantstats.reports.html(returns, benchmark=benchmark, title=title,
    periods_per_year=..., template_path=<template>)`` writes, for a ``template`` whose
    metrics and rolling slots are coverbt's.

    ``shared`` keeps the strategy-only slots by strategy series: pass the same dict to a
    run's tearsheets and those are drawn once.
    """
    import quantstats as qs

    utils = qs.utils
    returns = utils._prepare_returns(returns.dropna())
    benchmark_title = str(benchmark.name) if benchmark.name else "Benchmark"
    benchmark_original = benchmark.copy()
    benchmark = utils._prepare_benchmark(benchmark, returns.index, 0.0)
    returns, benchmark = qs.reports._match_dates(returns, benchmark)
    dates = pd.DatetimeIndex(returns.index).strftime("%e %b, %Y")
    params = f"Benchmark: {benchmark_title.upper()} &bull; Periods/Year: {periods_per_year}"
    tpl = (
        template.replace("{{date_range}}", f"{dates[0]} - {dates[-1]}")
        .replace("{{title}}", f"{title} (Compounded)")
        .replace("{{v}}", qs.__version__)
        .replace("{{params}}", f"{params} &bull; RF: {0.0:.1%} | ")
        .replace("{{matched_dates}}", " (matched dates)")
        .replace("<tr><td></td><td></td><td></td></tr>", '<tr><td colspan="3"><hr></td></tr>')
        .replace("<tr><td></td><td></td></tr>", '<tr><td colspan="2"><hr></td></tr>')
    )
    benchmark.name, returns.name = benchmark_title, STRATEGY_TITLE
    slots = _benchmark_slots(returns, benchmark, benchmark_original, benchmark_title)
    cache = shared if shared is not None else {}
    key = _key(returns)
    if key not in cache:
        cache[key] = strategy_slots(returns)
    slots.update(cache[key])
    for slot, content in slots.items():
        tpl = tpl.replace(slot, content)
    tpl = re.sub(r"\{\{(.*?)\}\}", "", tpl)
    return tpl.replace("white-space:pre;", "")


def _benchmark_slots(
    returns: pd.Series, benchmark: pd.Series, original: pd.Series, benchmark_title: str
) -> dict[str, str]:
    """The slots drawn from the strategy and the benchmark, in quantstats' order."""
    import quantstats as qs

    plots = qs.plots
    yoy = qs.stats.compare(returns, original, "YE", compounded=True, prepare_returns=False)
    yoy.columns = [benchmark_title, STRATEGY_TITLE, "Multiplier", "Won"]
    yoy.index.name = "Year"
    common = {"grayscale": False, "subtitle": False}
    return {
        "{{eoy_title}}": "<h3>EOY Returns vs Benchmark</h3>",
        "{{eoy_table}}": str(qs.reports._html_table(yoy)),
        "{{returns}}": _figure(
            plots.returns, returns, benchmark, figsize=(8, 5), compound=True,
            prepare_returns=False, **common,
        ),
        "{{log_returns}}": _figure(
            plots.log_returns, returns, benchmark, figsize=(8, 4), compound=True,
            prepare_returns=False, **common,
        ),
        "{{vol_returns}}": _figure(
            plots.returns, returns, benchmark, match_volatility=True, figsize=(8, 4),
            compound=True, prepare_returns=False, **common,
        ),
        "{{eoy_returns}}": _figure(
            plots.yearly_returns, returns, benchmark, figsize=(8, 4), compounded=True,
            prepare_returns=False, **common,
        ),
        "{{monthly_dist}}": _figure(
            plots.histogram, returns, benchmark, figsize=(7, 4), compounded=True,
            prepare_returns=False, **common,
        ),
    }  # fmt: skip
