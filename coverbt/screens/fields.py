"""The fields a screen condition can read, and what each one needs.

Windows are part of a field's name: ``ret_20d`` is the 20-session return, ``amount_20d`` the
20-session average traded amount, ``pe_ttm_pct_250`` today's PE TTM as a percentile of its own
last 250 sessions, ``rs_60d_csi300`` the 60-session relative strength against CSI 300.
Every market field is computed **as of** a session from bars dated on or before it.

Examples
--------
>>> parse_field("rs_60d_csi300")
FieldRequest(name='rs_60d_csi300', family='rs', window=60, benchmark='csi300')
>>> parse_field("pe_ttm_pct_250").lookback
250
>>> parse_field("nonsense") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from coverbt.data.provider import BENCHMARKS

MAX_WINDOW = 1_000  # sessions; about four years of history

# name -> (family, description); fields without a window
_PLAIN: dict[str, tuple[str, str]] = {
    "code": ("id", "6-digit code (text)"),
    "name": ("id", "security name (text)"),
    "board": ("id", "board: sh_main, sz_main, chinext, star, bse (text)"),
    "close": ("market", "last close on or before the as-of session (qfq, CNY)"),
    "stale_days": ("market", "sessions since the last bar (0 = traded on the as-of session)"),
    "is_st": ("market", "flagged ST by the vendor (true/false; missing when unknown)"),
    "pe_ttm": ("valuation", "PE TTM on the as-of session (vendor's daily ratio)"),
    "pb": ("valuation", "PB on the as-of session"),
    "covered": ("universe", "named in the coverage list (true/false)"),
    "rating": ("universe", "the report's rating label (text; '-' for an unrated table row)"),
    "prose": ("universe", "the recommendation wording in the text (强烈推荐/推荐/建议关注)"),
    "theme": ("universe", "the report's theme for the name (text)"),
    "chain": ("universe", "the sub-theme / industry chain (text)"),
    "fy1": ("universe", "first fiscal year whose annual report is not yet due (number)"),
    "fy1_eps": ("universe", "the report's EPS forecast for FY1"),
    "fy2_eps": ("universe", "the report's EPS forecast for FY2"),
    "fy1_pe": ("universe", "the report's forward PE for FY1 (at its price date)"),
    "fy2_pe": ("universe", "the report's forward PE for FY2"),
    "pe_fy1_now": (
        "report_pe",
        "the report's FY1 PE moved by the price return since its price date "
        "(today's forward PE on the report's own EPS)",
    ),
    "eps_rev_1m": ("revisions", "relative change of FY1 EPS known now vs one month earlier"),
    "eps_rev_3m": ("revisions", "relative change of FY1 EPS known now vs three months earlier"),
}

# fields holding text or true/false: they filter (==, in) but cannot score or rank
NOT_NUMERIC = frozenset(
    {"code", "name", "board", "is_st", "covered", "rating", "prose", "theme", "chain"}
)

_WINDOWED: dict[str, tuple[re.Pattern[str], str]] = {
    "ret": (re.compile(r"^ret_(\d+)d$"), "simple return over N sessions"),
    "rs": (
        re.compile(r"^rs_(\d+)d_(" + "|".join(BENCHMARKS) + r")$"),
        "relative strength over N sessions: (1 + ret) / (1 + benchmark ret) - 1",
    ),
    "amount": (
        re.compile(r"^amount_(\d+)d$"),
        "average traded amount over N sessions (CNY; 0 on suspended days)",
    ),
    "vol": (re.compile(r"^vol_(\d+)d$"), "annualised volatility of daily returns over N sessions"),
    "pe_pct": (
        re.compile(r"^pe_ttm_pct_(\d+)$"),
        "share of the last N sessions' positive PE TTM values at or below today's (0..1)",
    ),
}
WINDOWED_EXAMPLES = ("ret_20d", "rs_60d_csi300", "amount_20d", "vol_60d", "pe_ttm_pct_250")


@dataclass(frozen=True)
class FieldRequest:
    """One field a screen reads: its family and (for windowed fields) window and benchmark."""

    name: str
    family: str
    window: int | None = None
    benchmark: str | None = None

    @property
    def lookback(self) -> int:
        """Sessions of history (before the as-of session) the field needs."""
        return self.window or 0


def parse_field(name: str) -> FieldRequest | None:
    """The request behind a field name, or ``None`` for an unknown name."""
    if name in _PLAIN:
        return FieldRequest(name, _PLAIN[name][0])
    for family, (pattern, _text) in _WINDOWED.items():
        match = pattern.match(name)
        if match:
            window = int(match.group(1))
            if not 1 <= window <= MAX_WINDOW:
                return None
            bench = match.group(2) if family == "rs" else None
            return FieldRequest(name, family, window, bench)
    return None


def parse_fields(names: Iterable[str]) -> list[FieldRequest]:
    """Requests for known names (unknown names are dropped: check them with ``parse_field``)."""
    found = (parse_field(n) for n in sorted(set(names)))
    return [f for f in found if f is not None]


def describe_fields() -> dict[str, str]:
    """Every plain field and every windowed pattern with a one-line description."""
    out = {name: text for name, (_family, text) in _PLAIN.items()}
    for example, (_pattern, text) in zip(WINDOWED_EXAMPLES, _WINDOWED.values(), strict=True):
        out[example.replace("20", "N").replace("60", "N").replace("250", "N")] = text
    return out


def known_fields_hint() -> str:
    """A short list for error messages."""
    return ", ".join([*_PLAIN, *WINDOWED_EXAMPLES])
