"""Which convention a scorecard rests on: anchor, entry price, exit, benchmark, excess.

A rating scale promises "an excess of X over the market within N months". Five choices turn
that sentence into a number; :class:`Convention` holds them, the universe file states them
(``rating_scale.convention``) and every scoring command may override each one.

- **anchor**: ``entry`` counts the N months from the entry session (coverbt's default),
  ``publication`` from the publication date (the report's own date).
- **entry**: ``next_open`` is the open of the first session after publication (the first
  price anyone could trade at), ``prior_close`` the close of the last session before
  publication (the price the report was written against).
- **exit**: always the close of the last session on or before the horizon end.
- **benchmark**: ``csi300`` (000300, a price index: no dividends), ``csi300_tr`` (H00300,
  CSI 300 total return: dividends reinvested, like the qfq stock returns) or
  ``sw_computer`` (801750, the report's industry index; ``industry`` is accepted as a
  synonym).
- **excess**: ``difference`` (r - b) or ``ratio`` ((1 + r) / (1 + b) - 1).

H00300 publishes closes only. Its level at an open is derived from its price twin:
``H00300 open = H00300 close x (000300 open / 000300 close)`` of the same session, so the
total-return benchmark differs from the price benchmark by the dividends alone (see
:data:`CLOSE_ONLY_TWINS`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields, replace
from typing import Any, get_args

from coverbt.data.provider import CSI300, SW_COMPUTER
from coverbt.errors import InputError
from coverbt.universe.model import (
    Anchor,
    BenchmarkName,
    EntryPrice,
    ExcessKind,
    StatedConvention,
)

CSI300_TR = "H00300"
BENCHMARK_CODES: dict[str, str] = {
    "csi300": CSI300,
    "csi300_tr": CSI300_TR,
    "sw_computer": SW_COMPUTER,
}
# a close-only index -> the price index whose open/close ratio gives it an open
CLOSE_ONLY_TWINS: dict[str, str] = {CSI300_TR: CSI300}
EXIT_RULE = "close of the last session on or before the horizon end"
# the market benchmarks the rating bands may be read against (robustness varies these)
MARKET_BENCHMARKS: tuple[BenchmarkName, ...] = ("csi300", "csi300_tr")

_CHOICES: dict[str, tuple[str, ...]] = {
    "anchor": get_args(Anchor),
    "entry": get_args(EntryPrice),
    "benchmark": get_args(BenchmarkName),
    "excess": get_args(ExcessKind),
}
_ALIASES = {"industry": "sw_computer"}


@dataclass(frozen=True)
class Convention:
    """One reading of a rating scale's promise (hashable; ``str()`` is a short tag).

    Examples
    --------
    >>> c = Convention(anchor="publication")
    >>> str(c), c.excess_of(0.30, 0.10)
    ('publication/next_open/csi300/difference', 0.19999999999999998)
    >>> round(Convention(excess="ratio").excess_of(0.32, 0.10), 10)
    0.2
    """

    anchor: Anchor = "entry"
    entry: EntryPrice = "next_open"
    benchmark: BenchmarkName = "csi300"
    excess: ExcessKind = "difference"

    @classmethod
    def stated(cls, stated: StatedConvention) -> Convention:
        """The convention a universe file states."""
        return cls(stated.anchor, stated.entry, stated.benchmark, stated.excess)

    @property
    def benchmark_code(self) -> str:
        return BENCHMARK_CODES[self.benchmark]

    def excess_of(self, ret: float, bench: float) -> float:
        """The excess of a return ``ret`` over a benchmark return ``bench``."""
        if self.excess == "ratio":
            # (1 + r) / (1 + b) - 1, written so a tiny excess keeps its sign
            return (ret - bench) / (1.0 + bench)
        return ret - bench

    def describe(self) -> str:
        """One line for a caption: every choice spelled out."""
        anchor = "entry session" if self.anchor == "entry" else "publication date"
        entry = (
            "first open after publication"
            if self.entry == "next_open"
            else "close of the last session before publication"
        )
        excess = "r - b" if self.excess == "difference" else "(1+r)/(1+b) - 1"
        return (
            f"horizon from the {anchor}; entry: {entry}; exit: {EXIT_RULE}; "
            f"benchmark {self.benchmark} ({self.benchmark_code}); excess {excess}"
        )

    def __str__(self) -> str:
        return f"{self.anchor}/{self.entry}/{self.benchmark}/{self.excess}"

    def to_json(self) -> dict[str, Any]:
        return {
            "anchor": self.anchor,
            "entry": self.entry,
            "exit": EXIT_RULE,
            "benchmark": self.benchmark,
            "benchmark_code": self.benchmark_code,
            "excess": self.excess,
            "tag": str(self),
        }


def _normal(option: str, name: str, value: str) -> str:
    word = value.strip().lower().replace("-", "_")
    word = _ALIASES.get(word, word)
    if word not in _CHOICES[name]:
        shown = " or ".join(c.replace("_", "-") if name == "entry" else c for c in _CHOICES[name])
        raise InputError(
            f"unknown {name} {value!r}",
            field=option,
            expected=shown,
            fix=f"pass {option} {_CHOICES[name][0].replace('_', '-')}",
        )
    return word


def override(
    base: Convention,
    *,
    anchor: str | None = None,
    entry: str | None = None,
    benchmark: str | None = None,
    excess: str | None = None,
) -> Convention:
    """``base`` with each given field replaced (command-line spellings accepted).

    Raises
    ------
    InputError
        naming the option for a value that is not one of the choices.
    """
    given = {"anchor": anchor, "entry": entry, "benchmark": benchmark, "excess": excess}
    changes = {k: _normal(f"--{k}", k, v) for k, v in given.items() if v is not None}
    return replace(base, **changes)  # type: ignore[arg-type]


def alternatives(chosen: Convention) -> list[Convention]:
    """The conventions a robustness check compares, the chosen one first.

    The cross product anchor x entry x excess x the two market benchmarks (CSI 300 price and
    total return): the rating bands promise an excess over *the market*, so the industry
    index is not an alternative reading of that promise. A chosen industry benchmark is
    kept (then the set is anchor x entry x excess x {chosen benchmark}).
    """
    benches = MARKET_BENCHMARKS if chosen.benchmark in MARKET_BENCHMARKS else (chosen.benchmark,)
    out = [chosen]
    for anchor, entry, bench, excess in itertools.product(
        _CHOICES["anchor"], _CHOICES["entry"], benches, _CHOICES["excess"]
    ):
        item = Convention(anchor, entry, bench, excess)  # type: ignore[arg-type]
        if item != chosen:
            out.append(item)
    return out


def differs(a: Convention, b: Convention) -> list[str]:
    """Names of the fields in which ``b`` departs from ``a`` (for a label like "anchor")."""
    return [f.name for f in fields(Convention) if getattr(a, f.name) != getattr(b, f.name)]
