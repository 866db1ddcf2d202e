"""Rich tables of a scorecard (built here, printed by the CLI)."""

from __future__ import annotations

from rich.table import Table

from coverbt.scorecard.executable import Executable
from coverbt.scorecard.model import Scorecard
from coverbt.scorecard.robustness import NameRobustness, RatingRange


def pct(value: float | None) -> str:
    """``0.1234`` -> ``"+12.3%"``; ``None`` -> ``""``."""
    return "" if value is None else f"{value:+.1%}"


def _mark(value: bool | None) -> str:
    return {True: "[green]yes[/]", False: "[red]no[/]", None: ""}[value]


def names_table(card: Scorecard) -> Table:
    """One row per covered name: returns and the four verdicts; reasons in the caption."""
    bench = {item.benchmark_return for item in card.names if item.benchmark_return is not None}
    common = f", benchmark {pct(bench.pop())}" if len(bench) == 1 else ""
    opens = card.convention.entry == "next_open"
    start = f"{card.planned_entry} open" if opens else "last close before publication"
    table = Table(
        title=f"{card.horizon} vs {card.benchmark} ({card.benchmark_code}): "
        f"{start} -> {card.planned_exit} close{common}",
        title_justify="left",
    )
    for column in ("code", "name", "rating"):
        table.add_column(column, no_wrap=True)
    for column in ("return", "excess"):
        table.add_column(column, justify="right", no_wrap=True)
    for column in ("band", "thresh", "dir", "touch"):
        table.add_column(column, no_wrap=True)
    robust = card.robustness
    if robust is not None:
        table.add_column(f"in band/{len(robust.conventions)}", no_wrap=True)
    notes = [card.caption]
    for item in card.names:
        if item.reason:
            notes.append(f"{item.code} {item.name}: {item.reason}")
        elif (opens and item.entry_date != card.planned_entry) or (
            item.exit_date != card.planned_exit
        ):
            notes.append(
                f"{item.code} {item.name}: suspended, held {item.entry_date} -> {item.exit_date}"
            )
        row = [
            item.code,
            item.name,
            item.rating or "",
            pct(item.ret),
            pct(item.excess),
            _mark(item.band_hit),
            _mark(item.threshold_hit),
            _mark(item.direction_hit),
            _mark(item.touch_hit),
        ]
        if robust is not None:
            row += _robust_cells(robust.name(item.code))
        table.add_row(*row)
    if robust is not None:
        notes += fragile_notes(card)
    table.caption = "\n".join(notes) or None
    table.caption_justify = "left"
    return table


def _robust_cells(item: NameRobustness) -> list[str]:
    if not item.judged:
        return [""]
    count = f"{item.hits}/{item.judged}"
    return [f"[bold yellow]{count} FRAGILE[/]" if item.fragile else count]


def fragile_notes(card: Scorecard) -> list[str]:
    """One line per fragile name: the conventions under which its verdict differs."""
    robust = card.robustness
    if robust is None:
        return []
    lines = []
    for item in robust.names:
        if not item.fragile:
            continue
        chosen = item.verdicts[str(card.convention)]
        other = [tag for tag, hit in item.verdicts.items() if hit is not None and hit != chosen]
        word = "in band" if not chosen else "out of band"
        lines.append(
            f"FRAGILE {item.code} ({item.rating}): {word} under {len(other)} of "
            f"{item.judged} conventions, e.g. {', '.join(other[:3])}"
        )
    lines += [f"not scored under {tag}: {why}" for tag, why in robust.skipped.items()]
    return lines


def _range(item: RatingRange) -> str:
    if item.low is None or item.high is None:
        return ""
    text = f"{item.low:.0%}..{item.high:.0%}"
    return f"[bold yellow]{text}[/]" if item.low != item.high else text


def ratings_table(card: Scorecard) -> Table:
    """Hit counts per rating with the Wilson 95% interval, and the industry verdict."""
    table = Table(
        title=f"hit rates, {card.horizon} vs {card.benchmark} ({card.convention})",
        title_justify="left",
    )
    columns = ["rating", "n", "band", "threshold", "direction", "touch", "band rate", "95% CI"]
    robust = card.robustness
    if robust is not None:
        columns.append(f"range over {len(robust.conventions)} conventions")
    for column in columns:
        table.add_column(column, justify="left" if column == "rating" else "right")
    for row in card.by_rating:
        interval = "" if row.ci_low is None else f"{row.ci_low:.0%}..{row.ci_high:.0%}"
        rate = "" if row.band_hit_rate is None else f"{row.band_hit_rate:.0%}"
        extra = [] if robust is None else [_range(robust.rating(row.rating))]
        table.add_row(
            row.rating,
            str(row.n) + (f" (+{row.missing} no data)" if row.missing else ""),
            str(row.band_hits),
            str(row.threshold_hits),
            str(row.direction_hits),
            str(row.touch_hits),
            rate,
            interval,
            *extra,
        )
    industry = card.industry
    verdict = industry.reason or (
        f"{industry.index_code} {pct(industry.index_return)} vs "
        f"{industry.benchmark_code} {pct(industry.benchmark_return)}: excess "
        f"{pct(industry.excess)}"
    )
    table.caption = f"industry {industry.rating}: {verdict}, hit: {_mark(industry.hit) or 'n/a'}"
    return table


def _pp(value: float | None) -> str:
    return "" if value is None else f"{value * 100:+.2f}"


def executable_table(card: Scorecard) -> Table:
    """Paper vs executable return per name, the gap in pp and why."""
    rows: list[Executable] = card.executable or []
    notional = rows[0].notional if rows else 0.0
    table = Table(
        title=f"paper vs executable, {card.horizon}: one position of {notional:,.0f} CNY per "
        "name, bought at the first open it can fill (lots, limits, suspensions, T+1, fees)",
        title_justify="left",
    )
    for column in ("code", "name", "rating"):
        table.add_column(column, no_wrap=True)
    for column in ("paper", "executable", "gap pp"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("why")
    for item in rows:
        table.add_row(
            item.code,
            item.name,
            item.rating or "",
            pct(item.paper_return),
            pct(item.executable_return),
            _pp(item.gap),
            item.summary,
        )
    table.caption = (
        f"paper = {card.convention}; gap = timing + lot rounding + fees, in pp of the "
        "notional (--json gives each part and the full reasons)"
    )
    table.caption_justify = "left"
    return table
