"""Rich tables of a scorecard (built here, printed by the CLI)."""

from __future__ import annotations

from rich.table import Table

from coverbt.scorecard.model import Scorecard


def pct(value: float | None) -> str:
    """``0.1234`` -> ``"+12.3%"``; ``None`` -> ``""``."""
    return "" if value is None else f"{value:+.1%}"


def _mark(value: bool | None) -> str:
    return {True: "[green]yes[/]", False: "[red]no[/]", None: ""}[value]


def names_table(card: Scorecard) -> Table:
    """One row per covered name: returns and the four verdicts; reasons in the caption."""
    bench = {item.benchmark_return for item in card.names if item.benchmark_return is not None}
    common = f", benchmark {pct(bench.pop())}" if len(bench) == 1 else ""
    table = Table(
        title=f"{card.horizon} vs {card.benchmark} ({card.benchmark_code}): "
        f"{card.planned_entry} open -> {card.planned_exit} close{common}",
        title_justify="left",
    )
    for column in ("code", "name", "rating"):
        table.add_column(column, no_wrap=True)
    for column in ("return", "excess"):
        table.add_column(column, justify="right", no_wrap=True)
    for column in ("band", "thresh", "dir", "touch"):
        table.add_column(column, no_wrap=True)
    notes = []
    for item in card.names:
        if item.reason:
            notes.append(f"{item.code} {item.name}: {item.reason}")
        elif item.entry_date != card.planned_entry or item.exit_date != card.planned_exit:
            notes.append(
                f"{item.code} {item.name}: suspended, held {item.entry_date} -> {item.exit_date}"
            )
        table.add_row(
            item.code,
            item.name,
            item.rating or "",
            pct(item.ret),
            pct(item.excess),
            _mark(item.band_hit),
            _mark(item.threshold_hit),
            _mark(item.direction_hit),
            _mark(item.touch_hit),
        )
    table.caption = "\n".join(notes) or None
    table.caption_justify = "left"
    return table


def ratings_table(card: Scorecard) -> Table:
    """Hit counts per rating with the Wilson 95% interval, and the industry verdict."""
    table = Table(title=f"hit rates, {card.horizon} vs {card.benchmark}", title_justify="left")
    for column in ("rating", "n", "band", "threshold", "direction", "touch", "band rate", "95% CI"):
        table.add_column(column, justify="left" if column == "rating" else "right")
    for row in card.by_rating:
        interval = "" if row.ci_low is None else f"{row.ci_low:.0%}..{row.ci_high:.0%}"
        rate = "" if row.band_hit_rate is None else f"{row.band_hit_rate:.0%}"
        table.add_row(
            row.rating,
            str(row.n) + (f" (+{row.missing} no data)" if row.missing else ""),
            str(row.band_hits),
            str(row.threshold_hits),
            str(row.direction_hits),
            str(row.touch_hits),
            rate,
            interval,
        )
    industry = card.industry
    verdict = industry.reason or (
        f"{industry.index_code} {pct(industry.index_return)} vs "
        f"{industry.benchmark_code} {pct(industry.benchmark_return)}: excess "
        f"{pct(industry.excess)}"
    )
    table.caption = f"industry {industry.rating}: {verdict}, hit: {_mark(industry.hit) or 'n/a'}"
    return table
