"""``coverbt hitrate --by ... [--page]``: hit rates of every rating event, grouped; with
``--page`` also the leaderboard ``reports/events/`` (:mod:`coverbt.reports.leaderboard`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from coverbt.cli.console import console, print_json
from coverbt.errors import InputError
from coverbt.scorecard.convention import Convention
from coverbt.workspace import Workspace


def event_hitrate(
    ws: Workspace,
    by: str,
    horizons: list[str],
    report_paths: list[Path],
    *,
    since: str | None,
    until: str | None,
    min_count: int,
    convention: Convention,
    as_json: bool,
    page: bool = False,
) -> None:
    """Load the events, score them at each horizon, print the grouped hit rates (and write
    the leaderboard page with ``page``)."""
    from coverbt.cli.reports_cmd import parse_day
    from coverbt.data.store import open_store
    from coverbt.events.hitrates import GROUPINGS
    from coverbt.events.service import hit_rates, load_event_set, score_set
    from coverbt.events.store import EventStore
    from coverbt.events.tables import labels_table, rates_table

    if by not in GROUPINGS:
        raise InputError(f"unknown grouping {by!r}", field="--by",
                         expected=" or ".join(GROUPINGS), fix="pass --by broker")  # fmt: skip
    found = load_event_set(
        EventStore.in_cache(ws.cache_dir), report_paths, ws.universe_dir,
        since=parse_day(since, "--since"), until=parse_day(until, "--until"),
    )  # fmt: skip
    if found.table.empty:
        raise InputError("no rating events in the period", field="--since/--until",
                         fix="widen the period, or run `coverbt reports ingest`")  # fmt: skip
    market = open_store(ws.cache_dir)
    written = None
    if page:
        from coverbt.events.leaderboard import build_leaderboard
        from coverbt.reports import write_index
        from coverbt.reports.leaderboard import write_leaderboard

        board = build_leaderboard(found.table, market, horizons, convention, min_count=min_count)
        scored, written = board.scored, write_leaderboard(board, ws.reports_dir)
        write_index(ws.reports_dir)
    else:
        scored = score_set(found.table, market, horizons, convention)
    rates = hit_rates(scored, by, min_count)
    unknown = found.unknown_labels()
    reasons = Counter(r for r in scored["reason"] if isinstance(r, str))
    if as_json:
        print_json({
            "by": by, "since": since, "until": until, "min_count": min_count,
            "convention": convention.to_json(), "events": len(found.table),
            "duplicates_dropped": found.duplicates, "groups": [g.to_json() for g in rates],
            "unknown_labels": unknown.to_dict("records"),
            "reasons": [{"reason": r, "count": c} for r, c in reasons.most_common()],
            "page": None if written is None else str(written),
        })  # fmt: skip
        return
    for horizon in horizons:
        console.print(rates_table(rates, by, horizon.upper(), min_count))
    console.print(
        f"{len(found.table)} distinct rating(s); convention {convention}: "
        f"{convention.describe()}", highlight=False, soft_wrap=True,
    )  # fmt: skip
    if found.duplicates:
        console.print(f"{found.duplicates} row(s) were the same rating from another source "
                      "(counted once)", highlight=False)  # fmt: skip
    for reason, count in reasons.most_common(5):
        console.print(f"no verdict ({count}): {reason}", highlight=False, soft_wrap=True)
    if not unknown.empty:
        console.print(labels_table(unknown))
    if written is not None:
        console.print(f"leaderboard: {written}", highlight=False, soft_wrap=True)
