"""PNG charts of a run and of a scorecard (pure figure builders + one atomic saver).

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot global state,
no GUI backend needed).
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from coverbt.atomic import atomic_path
from coverbt.events.car_path import CarPath
from coverbt.reports.fonts import chart_font, name_label, use_chart_font
from coverbt.scorecard.model import NameScore, Scorecard

SERIES_STYLE: dict[str, tuple[str, str]] = {
    "portfolio": ("portfolio", "#1f77b4"),
    "csi300": ("CSI 300 (000300)", "#7f7f7f"),
    "sw_computer": ("SW Computer (801750)", "#ff7f0e"),
}
RATING_COLOURS: tuple[str, ...] = ("#c0392b", "#e67e22", "#2980b9", "#27ae60", "#8e44ad")
UNRATED_COLOUR = "#b0b0b0"
ROLLING_COLOURS: tuple[str, ...] = ("#1f77b4", "#7f7f7f", "#ff7f0e")
DPI = 120


def save_png(fig: Figure, path: Path) -> Path:
    """Write ``fig`` to ``path`` atomically (temporary file, then rename)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(png_bytes(fig))
    return path


def png_bytes(fig: Figure) -> bytes:
    """``fig`` as PNG. A figure with a layout engine (constrained) already fits its texts,
    so it is drawn once; others are cropped to their content (``bbox_inches="tight"``,
    which draws them twice)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=DPI, bbox_inches=fit_bbox(fig), format="png")
    return buffer.getvalue()


def fit_bbox(fig: Figure) -> str | None:
    """``None`` for a figure laid out by its layout engine, else ``"tight"``."""
    return None if fig.get_layout_engine() is not None else "tight"


def _figure(height: float = 4.0) -> Figure:
    return Figure(figsize=(9, height), layout="constrained")


def equity_figure(equity: pd.DataFrame, title: str) -> Figure:
    """Growth of 1.0: the portfolio and both benchmarks."""
    fig = _figure()
    ax = fig.add_subplot()
    for column, (label, colour) in SERIES_STYLE.items():
        if column in equity.columns:
            width = 2.0 if column == "portfolio" else 1.2
            ax.plot(equity.index, equity[column], label=label, color=colour, linewidth=width)
    ax.axhline(1.0, color="black", linewidth=0.6)
    ax.set_title(title)
    ax.set_ylabel("value (start = 1.0)")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return use_chart_font(fig)


def drawdown_figure(equity: pd.DataFrame, title: str) -> Figure:
    """Drawdown from the running peak of each series (portfolio filled)."""
    fig = _figure(3.2)
    ax = fig.add_subplot()
    for column, (label, colour) in SERIES_STYLE.items():
        if column not in equity.columns:
            continue
        drawdown = equity[column] / equity[column].cummax() - 1.0
        if column == "portfolio":
            ax.fill_between(drawdown.index, drawdown, 0.0, color=colour, alpha=0.35, label=label)
        else:
            ax.plot(drawdown.index, drawdown, color=colour, linewidth=1.0, label=label)
    ax.yaxis.set_major_formatter(lambda value, _pos: f"{value:.0%}")
    ax.set_title(title)
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    return use_chart_font(fig)


def rolling_figure(
    lines: dict[str, pd.Series],
    title: str,
    ylabel: str,
    reference: float | None = None,
    *,
    percent: bool = False,
) -> Figure:
    """One rolling statistic per line, over the whole run (NaN until a window is full).

    ``lines`` maps an ASCII series name to its values; the first line is drawn thicker (the
    strategy). ``reference`` draws a horizontal guide (0 for ratios, 1 for beta); ``percent``
    labels the axis in percent (volatility).
    """
    fig = Figure(figsize=(8, 3), layout="constrained")
    ax = fig.add_subplot()
    for rank, (name, values) in enumerate(lines.items()):
        colour = ROLLING_COLOURS[rank % len(ROLLING_COLOURS)]
        ax.plot(values.index, values, label=name, color=colour, linewidth=1.6 if rank else 2.0)
    if reference is not None:
        ax.axhline(reference, color="black", linewidth=0.6)
    first = next(iter(lines.values()))
    ax.set_xlim(first.index[0], first.index[-1])
    if percent:
        ax.yaxis.set_major_formatter(lambda value, _pos: f"{value:.0%}")
    ax.set_title(title, fontsize="medium", fontweight="bold")
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    return use_chart_font(fig)


def contribution_figure(per_name: pd.DataFrame, title: str) -> Figure:
    """Contribution of each name to the portfolio's return (largest first)."""
    rows = per_name.sort_values("contribution")
    fig = _figure(max(3.0, 0.28 * len(rows) + 1.0))
    ax = fig.add_subplot()
    labels = [name_label(str(c), str(n)) for c, n in zip(rows["code"], rows["name"], strict=True)]
    colours = ["#27ae60" if v >= 0 else "#c0392b" for v in rows["contribution"]]
    ax.barh(labels, rows["contribution"], color=colours)
    ax.xaxis.set_major_formatter(lambda value, _pos: f"{value:+.1%}")
    ax.axvline(0.0, color="black", linewidth=0.6)
    ax.set_title(title)
    return use_chart_font(fig)


def _band_text(lower: float | None, upper: float | None) -> str:
    if lower is None:
        return f"<= {upper:+.0%}"
    if upper is None:
        return f"> {lower:+.0%}"
    return f"{lower:+.0%}..{upper:+.0%}"


def scorecard_figure(card: Scorecard) -> Figure:
    """Excess per name, coloured by rating, with each rating's promised band shaded.

    Names are grouped by rating (scale order, unrated last) and sorted by excess inside a
    group; names without data are left out of the picture (the tables list them).
    """
    order = list(card.bands)
    done = [(s, s.excess) for s in card.names if s.excess is not None]
    done.sort(key=lambda pair: (_rank(pair[0].rating, order), pair[1]))
    fig = _figure(4.5)
    ax = fig.add_subplot()
    legend: dict[str, BarContainer] = {}
    for x, (item, excess) in enumerate(done):
        rated = item.rating in card.bands
        colour = (
            RATING_COLOURS[_rank(item.rating, order) % len(RATING_COLOURS)]
            if rated
            else (UNRATED_COLOUR)
        )
        label = _rating_label(item.rating, card) if rated else "no rating (- / watch list)"
        legend[label] = ax.bar(x, excess, color=colour, label=label)
    _shade_bands(ax, done, card)
    ax.set_xticks(range(len(done)), [name_label(s.code, s.name) for s, _ in done], rotation=90)
    ax.yaxis.set_major_formatter(lambda value, _pos: f"{value:+.0%}")
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_ylabel(f"excess vs {card.benchmark}")
    ax.set_title(f"{card.report_id}: {card.horizon} excess return vs {card.benchmark}")
    ax.legend(legend.values(), legend.keys(), loc="upper left", fontsize="small")
    return use_chart_font(fig)


def _rank(rating: str | None, order: list[str]) -> int:
    """Position of ``rating`` on the scale; names off the scale (or unrated) go last."""
    return order.index(rating) if rating is not None and rating in order else len(order)


def _rating_label(rating: str | None, card: Scorecard) -> str:
    lower, upper = card.bands[rating or ""]
    band = _band_text(lower, upper)
    shown = rating is not None and chart_font().covers(rating)
    return f"{rating} ({band})" if shown else f"promise {band}"


def _shade_bands(ax: Axes, done: list[tuple[NameScore, float]], card: Scorecard) -> None:
    """A translucent rectangle over each rating group spanning its promised band.

    ``done`` holds the plotted names with their excess, in plotting order.
    """
    top = max([e for _, e in done] + [0.0]) + 0.1
    bottom = min([e for _, e in done] + [0.0]) - 0.1
    order = list(card.bands)
    for label, (lower, upper) in card.bands.items():
        xs = [x for x, (s, _) in enumerate(done) if s.rating == label]
        if not xs:
            continue
        colour = RATING_COLOURS[order.index(label) % len(RATING_COLOURS)]
        low = bottom if lower is None else lower
        high = top if upper is None else upper
        ax.fill_between(
            [min(xs) - 0.45, max(xs) + 0.45], low, high, color=colour, alpha=0.12, linewidth=0
        )
        for bound in (lower, upper):
            if bound is not None:
                ax.hlines(bound, min(xs) - 0.45, max(xs) + 0.45, colors=colour, linestyles="--")


def car_figure(paths: list[CarPath], title: str) -> Figure:
    """Small multiples: each group's mean CAR per event day with its confidence band, on
    one y scale (day 0 marked). A group whose label the chart font lacks is titled by its
    rank (``#2``), as in the page's table; no group draws a note instead."""
    cols = max(1, min(3, len(paths)))
    rows = max(1, math.ceil(len(paths) / cols))
    fig = Figure(figsize=(9, 1.0 + 2.6 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, sharey=True, squeeze=False).ravel()
    for rank, (ax, path) in enumerate(zip(axes, paths, strict=False), start=1):
        name = path.group if chart_font().covers(path.group) else f"#{rank}"
        ax.fill_between(path.days, path.low, path.high, color=RATING_COLOURS[2], alpha=0.2,
                        linewidth=0, label="95% band")  # fmt: skip
        ax.plot(path.days, path.mean, color=RATING_COLOURS[2], linewidth=1.6, label="mean CAR")
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.axvline(0.0, color="#7f7f7f", linewidth=0.6, linestyle="--")
        ax.set_title(f"{name} (n={path.average.n})", fontsize="medium")
        ax.yaxis.set_major_formatter(lambda value, _pos: f"{value:+.0%}")
        ax.grid(alpha=0.3)
        ax.set_xlabel("event day (0: first session after publication)", fontsize="small")
    for ax in axes[len(paths) :]:
        ax.set_axis_off()
    if not paths:
        axes[0].text(0.5, 0.5, "no group to draw", ha="center", va="center")
    fig.suptitle(title)
    return use_chart_font(fig)
