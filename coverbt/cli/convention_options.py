"""The scoring-convention options shared by ``coverbt hitrate`` and ``coverbt run``.

Each option overrides one field of the universe file's ``rating_scale.convention``
(:mod:`coverbt.scorecard.convention`); ``None`` keeps the file's.
"""

from __future__ import annotations

from typing import Annotated

import typer

from coverbt.scorecard.convention import Convention, override
from coverbt.scorecard.score import resolve
from coverbt.universe.model import Universe

_FROM_FILE = "(default: the universe file's rating_scale.convention)"

Anchor = Annotated[
    str | None,
    typer.Option("--anchor", help=f"Count the horizon from: publication or entry {_FROM_FILE}."),
]
Entry = Annotated[
    str | None,
    typer.Option(
        "--entry",
        help=f"Entry price: next-open (first open after publication) or prior-close "
        f"(close of the last session before publication) {_FROM_FILE}.",
    ),
]
Benchmark = Annotated[
    str | None,
    typer.Option(
        "--benchmark",
        help=f"csi300 (price), csi300_tr (H00300 total return) or sw_computer {_FROM_FILE}.",
    ),
]
Excess = Annotated[
    str | None,
    typer.Option("--excess", help=f"difference (r-b) or ratio ((1+r)/(1+b)-1) {_FROM_FILE}."),
]


def chosen_convention(
    universe: Universe,
    *,
    anchor: str | None,
    entry: str | None,
    benchmark: str | None,
    excess: str | None,
) -> Convention:
    """The universe file's convention with the given options applied (InputError if bad)."""
    return override(
        resolve(universe, None, None),
        anchor=anchor,
        entry=entry,
        benchmark=benchmark,
        excess=excess,
    )
