"""A sweep's page: the best points, each parameter's sensitivity, heatmaps of pairs.

Sensitivity of a parameter: the total return's mean, min and max over the points that share
each of its values (every other parameter varies). A heatmap: the mean total return over
two parameters' values. Pictures are PNG beside ``index.html``; the table is
``results.parquet`` (and ``results.csv`` for a spreadsheet).
"""

from __future__ import annotations

import itertools
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from coverbt.atomic import atomic_path, atomic_write_text
from coverbt.reports.charts import save_png
from coverbt.reports.html import page, section
from coverbt.scorecard.tables import pct
from coverbt.sweep.evaluate import STATUS_OK

MAX_HEATMAPS = 6
TOP_ROWS = 15
METRIC = "total_return"


def param_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c.startswith("param.")]


def sensitivity(table: pd.DataFrame, metric: str = METRIC) -> pd.DataFrame:
    """Per parameter and value: count, mean, min and max of ``metric`` (pure).

    >>> t = pd.DataFrame({"param.a": ["1", "1", "2"], "total_return": [0.1, 0.3, -0.2],
    ...                   "status": "ok"})
    >>> sensitivity(t)[["value", "count", "mean"]].values.tolist()
    [['1', 2, 0.2], ['2', 1, -0.2]]
    """
    ok = table.loc[table["status"] == STATUS_OK]
    rows = []
    for column in param_columns(ok):
        for value, group in ok.groupby(column, sort=False):
            rows.append({
                "parameter": column.removeprefix("param."), "value": value,
                "count": len(group), "mean": float(group[metric].mean()),
                "min": float(group[metric].min()), "max": float(group[metric].max()),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=["parameter", "value", "count", "mean", "min", "max"])


def heatmap_frame(table: pd.DataFrame, x: str, y: str, metric: str = METRIC) -> pd.DataFrame:
    """Mean ``metric`` over the values of parameters ``y`` (rows) and ``x`` (columns)."""
    ok = table.loc[table["status"] == STATUS_OK]
    order = {c: list(dict.fromkeys(ok[c])) for c in (x, y)}
    grid = ok.pivot_table(index=y, columns=x, values=metric, aggfunc="mean", sort=False)
    return grid.reindex(index=order[y], columns=order[x])


def _heatmap(grid: pd.DataFrame, x: str, y: str) -> Figure:
    fig = Figure(figsize=(5.5, 3.8), layout="constrained")
    ax = fig.subplots()
    values = grid.to_numpy(float)
    image = ax.imshow(values, cmap="RdYlGn", aspect="auto")
    ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns])
    ax.set_yticks(range(len(grid.index)), [str(i) for i in grid.index])
    ax.set_xlabel(x.removeprefix("param."))
    ax.set_ylabel(y.removeprefix("param."))
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(j, i, f"{value:+.1%}", ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, label="mean total return")
    return fig


def _sensitivity_figure(sens: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(9, 0.35 * len(sens) + 1.2), layout="constrained")
    ax = fig.subplots()
    labels = [f"{p} = {v}" for p, v in zip(sens["parameter"], sens["value"], strict=True)]
    y = np.arange(len(sens))
    ax.barh(y, sens["mean"], color="#1f77b4")
    ax.errorbar(sens["mean"], y, xerr=[sens["mean"] - sens["min"], sens["max"] - sens["mean"]],
                fmt="none", ecolor="#555", capsize=3)  # fmt: skip
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.axvline(0, color="#999", linewidth=0.8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("total return: mean (bar), min..max (whiskers)")
    return fig


def write_page(folder: Path, table: pd.DataFrame, title: str, note: str) -> Path:
    """``results.parquet``, ``results.csv``, the pictures and ``index.html`` in ``folder``."""
    with atomic_path(folder / "results.parquet") as tmp:
        table.to_parquet(tmp, index=False)
    atomic_write_text(folder / "results.csv", table.to_csv(index=False))
    params = param_columns(table)
    ok = table.loc[table["status"] == STATUS_OK] if "status" in table else table.iloc[0:0]
    parts = [f"<p>{escape(note)}</p>"]
    if ok.empty:
        parts.append("<p>No point produced a run.</p>")
    else:
        best = ok.sort_values(METRIC, ascending=False).head(TOP_ROWS)
        rows = [
            [escape(f"{r[c]}") for c in params]
            + [pct(r["total_return"]), pct(r["excess_csi300"]), pct(r["max_drawdown"]),
               f"{r['sharpe']:.2f}", f"{int(r['held'])} of {int(r['names'])}"]
            for _, r in best.iterrows()
        ]  # fmt: skip
        headers = [c.removeprefix("param.") for c in params]
        headers += ["total return", "vs CSI 300", "max drawdown", "Sharpe", "held"]
        numeric = set(range(len(params), len(headers)))
        parts.append(section(f"Best {len(best)} of {len(ok)} points", headers, rows, numeric))
        sens = sensitivity(table)
        save_png(_sensitivity_figure(sens), folder / "sensitivity.png")
        parts.append('<h2>Sensitivity</h2><img src="sensitivity.png" alt="sensitivity">')
        pairs = [(x, y) for y, x in itertools.combinations(params, 2)][:MAX_HEATMAPS]
        for k, (x, y) in enumerate(pairs):
            name = f"heatmap-{k}.png"
            save_png(_heatmap(heatmap_frame(table, x, y), x, y), folder / name)
            parts.append(f'<img src="{name}" alt="{escape(x)} x {escape(y)}">')
    failed = table.loc[table["status"] != STATUS_OK] if "status" in table else table.iloc[0:0]
    if not failed.empty:
        rows = [[escape(f"{r[c]}") for c in params] + [escape(str(r["status"]))]
                for _, r in failed.iterrows()]  # fmt: skip
        headers = [c.removeprefix("param.") for c in params] + ["why"]
        parts.append(section(f"{len(failed)} points without a run", headers, rows, set()))
    parts.append('<p><a href="results.csv">results.csv</a> · results.parquet</p>')
    out = folder / "index.html"
    atomic_write_text(out, page(title, "\n".join(parts)))
    return out
