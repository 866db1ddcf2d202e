"""``reports/events/``: the leaderboard page of rating events and its CAR charts.

Written by :func:`write_leaderboard` (``coverbt hitrate --page`` and ``coverbt daily``)
under the reports lock, every file atomically::

    reports/events/index.html         hit rates per broker, analyst and label, per horizon
    reports/events/leaderboard.csv    the same numbers, one row per group and horizon
    reports/events/leaderboard.json   the numbers, the CAR paths, the convention, the period
    reports/events/car_<H>.png        mean CAR per label, day -5 to horizon H, with its band
    reports/events/car_paths.csv      the charts' numbers (label, horizon, day, n, mean, band)

The tables sort by any column in the browser (an inline script, no remote resource). A
rate and its Wilson interval show from ``min_count`` events on; counts always show.
"""

from __future__ import annotations

import csv
import io
from html import escape
from pathlib import Path

import pandas as pd

from coverbt import jsonio
from coverbt.atomic import atomic_write_text
from coverbt.events.car_path import CarPath
from coverbt.events.hitrates import GroupRate
from coverbt.events.leaderboard import BOARD_GROUPINGS, CSV_COLUMNS, Leaderboard
from coverbt.locks import reports_lock, sweep_temporaries
from coverbt.reports.charts import car_figure, save_png
from coverbt.reports.html import SORT_SCRIPT, Cell, link, page, table
from coverbt.reports.outputs import (
    CAR_CSV,
    EVENTS,
    EVENTS_CSV,
    EVENTS_JSON,
    EVENTS_PAGE,
    car_chart_name,
)
from coverbt.scorecard.tables import pct

RATE_HEADERS = ("events", "scored", "band hits", "band rate", "band 95% CI", "direction hits",
                "direction rate", "direction 95% CI", "mean excess")  # fmt: skip
CAR_HEADERS = ("label", "events", "with a CAR", "mean CAR", "t", "t overlap", "overlap x")


def write_leaderboard(board: Leaderboard, reports_dir: Path) -> Path:
    """Write ``reports/events/`` (see the module docstring); the page's path. Charts of
    horizons no longer shown are removed."""
    folder = Path(reports_dir) / EVENTS
    with reports_lock(reports_dir):
        folder.mkdir(parents=True, exist_ok=True)
        sweep_temporaries(folder)
        charts = {h: car_chart_name(h) for h in board.horizons}
        for horizon, name in charts.items():
            paths = [p for p in board.paths if p.horizon == horizon]
            title = f"Mean CAR by label, day -5 to {horizon}, vs CSI 300 (000300)"
            save_png(car_figure(paths, title), folder / name)
        for old in folder.glob("car_*.png"):
            if old.name not in charts.values():
                old.unlink()
        atomic_write_text(folder / EVENTS_CSV, _csv(board.rows(), CSV_COLUMNS))
        frames = [p.to_frame() for p in board.paths]
        car = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        atomic_write_text(folder / CAR_CSV, car.to_csv(index=False, float_format="%.10g"))
        text = jsonio.dumps(board.to_json(), ensure_ascii=False, indent=2)
        atomic_write_text(folder / EVENTS_JSON, text)
        target = folder / EVENTS_PAGE
        atomic_write_text(target, page("Rating events: hit rates and CAR", _body(board, charts),
                                       SORT_SCRIPT))  # fmt: skip
    return target


def _csv(rows: list[dict[str, object]], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _body(board: Leaderboard, charts: dict[str, str]) -> str:
    as_of = f", as of {board.as_of}" if board.as_of else ""
    intro = (
        f"<p>{board.events} distinct ratings from {board.brokers} broker(s), published "
        f"{board.first} .. {board.last}{as_of}. Convention {escape(str(board.convention))}: "
        f"{escape(board.convention.describe())}. A rate and its Wilson 95% interval show from "
        f"{board.min_count} scored events on; below that the counts stand alone. Click a "
        "column heading to sort.</p>"
    )
    contents = " · ".join(link(f"#h-{h}", h) for h in board.horizons)
    parts = [intro, f"<p>horizons: {contents}</p>"]
    for horizon in board.horizons:
        parts.append(f'<h2 id="h-{escape(horizon, quote=True)}">{escape(horizon)}</h2>')
        for by in BOARD_GROUPINGS:
            groups = [g for g in board.rates[by] if g.horizon == horizon]
            parts.append(f"<h3>By {by} ({len(groups)})</h3>")
            parts.append(_rates_table(by, groups, board.min_count))
        paths = [p for p in board.paths if p.horizon == horizon]
        parts.append(
            f"<h3>Mean CAR by label, day -5 to {escape(horizon)}, market-adjusted</h3>\n"
            f'<img src="{escape(charts[horizon], quote=True)}" alt="mean CAR by label, '
            f'{escape(horizon)}">\n{_car_table(paths)}'
        )
    parts.append(_reasons(board.reasons))
    files = (EVENTS_CSV, EVENTS_JSON, CAR_CSV)
    parts.append(
        "<p><small>The band is 95%: mean ± 1.96 standard errors, widened by the overlap of "
        "the events' windows (overlap x). t overlap accounts for windows sharing calendar "
        "days.</small></p>\n<p>"
        + " · ".join(link(name, name) for name in files)
        + f" · {link('../index.html', 'all reports')}</p>"
    )
    return "\n".join(parts)


def _rate_cells(hits: int, n: int, rate: float | None, ci: tuple[float, float] | None,
                min_count: int) -> list[Cell]:  # fmt: skip
    if n == 0:
        return [("", None), ("", None), ("", None)]
    hidden = f"<small>n&lt;{min_count}</small>"  # below min_count: the count stands alone
    shown: Cell = (hidden, None) if rate is None else (f"{rate:.0%}", rate)
    interval = ("", None) if ci is None else (f"{ci[0]:.0%} .. {ci[1]:.0%}", ci[0])
    return [(f"{hits}/{n}", hits), shown, interval]


def _rates_table(by: str, groups: list[GroupRate], min_count: int) -> str:
    if not groups:
        return "<p>none</p>"
    rows = [
        [
            escape(g.group), (str(g.events), g.events), (str(g.n), g.n),
            *_rate_cells(g.band_hits, g.n_band, g.band_rate, g.band_ci, min_count),
            *_rate_cells(g.direction_hits, g.n_direction, g.direction_rate, g.direction_ci,
                         min_count),
            (pct(g.mean_excess), g.mean_excess),
        ]
        for g in groups
    ]  # fmt: skip
    return table([by, *RATE_HEADERS], rows, set(range(1, 10)), sortable=True)


def _car_table(paths: list[CarPath]) -> str:
    if not paths:
        return "<p>none</p>"

    def num(value: float | None, spec: str) -> Cell:
        return ("", None) if value is None else (format(value, spec), value)

    rows = [
        [
            (f"<small>#{rank}</small> {escape(p.group)}", p.group), (str(p.events), p.events),
            (str(p.average.n), p.average.n), (pct(p.average.mean), p.average.mean),
            num(p.average.t_cross, "+.2f"), num(p.average.t_overlap, "+.2f"),
            num(p.average.inflation, ".2f"),
        ]
        for rank, p in enumerate(paths, start=1)
    ]  # fmt: skip
    return table(list(CAR_HEADERS), rows, set(range(1, 7)), sortable=True)


def _reasons(reasons: list[tuple[str, int]]) -> str:
    if not reasons:
        return "<h2>No verdict</h2>\n<p>none: every event was scored</p>"
    rows = [[escape(reason), str(count)] for reason, count in reasons]
    return "<h2>No verdict</h2>\n" + table(["why", "events x horizons"], rows, {1})
