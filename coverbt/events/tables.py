"""Rich tables of reports, events, hit rates and the event study (built here, printed by
the CLI)."""

from __future__ import annotations

import pandas as pd
from rich.table import Table

from coverbt.events.feeds import ReportRow
from coverbt.events.hitrates import GroupRate
from coverbt.events.service import StudyGroup
from coverbt.scorecard.tables import pct


def _num(value: float | None, spec: str = "+.2f") -> str:
    return "" if value is None or pd.isna(value) else format(value, spec)


def _text(value: object, missing: str = "") -> str:
    """A cell's text; ``missing`` for None or NaN (a frame's missing text may be either)."""
    return missing if value is None or pd.isna(value) else str(value)  # type: ignore[call-overload]


def reports_table(rows: list[ReportRow]) -> Table:
    table = Table(
        title="Reports (every universe file is one; feeds summed up)", title_justify="left"
    )
    for column in ("report", "broker", "published", "source", "ratings", "stored", "title"):
        table.add_column(column, no_wrap=column != "title")
    for row in rows:
        labels = ", ".join(f"{k} {v}" for k, v in row.labels.items())
        table.add_row(
            row.report_id, row.broker, str(row.published or ""), row.source,
            f"{row.events} ({labels})" if labels else str(row.events), str(row.stored),
            row.error or row.title,
        )  # fmt: skip
    return table


def events_table(table_: pd.DataFrame, limit: int) -> Table:
    table = Table(title=f"Rating events ({len(table_)}; newest first)", title_justify="left")
    for column in ("published", "code", "name", "broker", "label", "step", "previous", "action",
                   "target", "source"):  # fmt: skip
        table.add_column(column, no_wrap=True)
    shown = table_.sort_values(["published", "broker", "code"], ascending=[False, True, True])
    for _, row in shown.head(limit).iterrows():
        low, high = row["target_low"], row["target_high"]
        target = "" if pd.isna(low) else (f"{low:g}" if low == high else f"{low:g}-{high:g}")
        table.add_row(
            str(row["published"].date()), str(row["code"]), _text(row["name"]),
            str(row["broker"]), str(row["label"]), _text(row["step_name"], "unknown"),
            _text(row["prior_label"]), str(row["action"]), target, str(row["source"]),
        )  # fmt: skip
    return table


def labels_table(unknown: pd.DataFrame) -> Table:
    table = Table(title="Labels without a step (never guessed)", title_justify="left")
    for column in ("broker", "label", "events", "why"):
        table.add_column(column, no_wrap=column != "why")
    for _, row in unknown.iterrows():
        table.add_row(str(row["broker"]), str(row["label"]), str(row["events"]), str(row["reason"]))
    return table


def _ci(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f"{ci[0]:.0%}..{ci[1]:.0%}"


def _rate(rate: float | None, hits: int, n: int, min_count: int) -> str:
    if n == 0:
        return ""
    if rate is None:
        return f"{hits}/{n} (n<{min_count})"
    return f"{hits}/{n} {rate:.0%}"


def rates_table(rates: list[GroupRate], by: str, horizon: str, min_count: int) -> Table:
    table = Table(
        title=f"Hit rates by {by}, {horizon} (rates from {min_count} events; Wilson 95%)",
        title_justify="left",
    )
    for column in (by, "events", "scored", "band", "band CI", "thresh", "touch", "direction",
                   "dir CI", "mean excess"):  # fmt: skip
        table.add_column(column, no_wrap=True, justify="left" if column == by else "right")
    for g in (r for r in rates if r.horizon == horizon):
        table.add_row(
            g.group, str(g.events), str(g.n),
            _rate(g.band_rate, g.band_hits, g.n_band, min_count), _ci(g.band_ci),
            f"{g.threshold_hits}/{g.n_band}" if g.n_band else "",
            f"{g.touch_hits}/{g.n_band}" if g.n_band else "",
            _rate(g.direction_rate, g.direction_hits, g.n_direction, min_count),
            _ci(g.direction_ci), pct(g.mean_excess),
        )  # fmt: skip
    return table


def study_table(groups: list[StudyGroup], horizon: str, adjustment: str) -> Table:
    table = Table(
        title=f"Event study, day -5 to {horizon}, {adjustment}-adjusted: mean CAR and BHAR "
        "(t: cross-sectional; t ovl: overlap-adjusted)",
        title_justify="left",
    )
    for column in ("by", "group", "n", "CAR", "t", "t ovl", "BHAR", "t", "t ovl"):
        table.add_column(
            column, no_wrap=True, justify="left" if column in ("by", "group") else "right"
        )
    for g in (x for x in groups if x.horizon == horizon and x.adjustment == adjustment):
        table.add_row(
            g.by, g.group, str(g.car.n), pct(g.car.mean), _num(g.car.t_cross),
            _num(g.car.t_overlap), pct(g.bhar.mean), _num(g.bhar.t_cross),
            _num(g.bhar.t_overlap),
        )  # fmt: skip
    return table
