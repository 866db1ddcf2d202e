"""Exchanges and boards, derived from a security code.

The board decides the market rules that apply later (lot size, price limit).
"""

from __future__ import annotations

from enum import StrEnum


class Exchange(StrEnum):
    SH = "SH"
    SZ = "SZ"
    BJ = "BJ"
    NASDAQ = "NASDAQ"
    NYSE = "NYSE"
    HK = "HK"


A_SHARE_EXCHANGES = frozenset({Exchange.SH, Exchange.SZ, Exchange.BJ})


class Board(StrEnum):
    SH_MAIN = "sh_main"
    SZ_MAIN = "sz_main"
    CHINEXT = "chinext"
    STAR = "star"
    BSE = "bse"
    FOREIGN = "foreign"


# code prefix -> (exchange, board); the longest matching prefix wins
_PREFIXES: dict[str, tuple[Exchange, Board]] = {
    "600": (Exchange.SH, Board.SH_MAIN),
    "601": (Exchange.SH, Board.SH_MAIN),
    "603": (Exchange.SH, Board.SH_MAIN),
    "605": (Exchange.SH, Board.SH_MAIN),
    "688": (Exchange.SH, Board.STAR),
    "689": (Exchange.SH, Board.STAR),
    "000": (Exchange.SZ, Board.SZ_MAIN),
    "001": (Exchange.SZ, Board.SZ_MAIN),
    "002": (Exchange.SZ, Board.SZ_MAIN),
    "003": (Exchange.SZ, Board.SZ_MAIN),
    "300": (Exchange.SZ, Board.CHINEXT),
    "301": (Exchange.SZ, Board.CHINEXT),
    "302": (Exchange.SZ, Board.CHINEXT),
    "43": (Exchange.BJ, Board.BSE),
    "83": (Exchange.BJ, Board.BSE),
    "87": (Exchange.BJ, Board.BSE),
    "88": (Exchange.BJ, Board.BSE),
    "92": (Exchange.BJ, Board.BSE),
}


def classify_a_share(code: str) -> tuple[Exchange, Board] | None:
    """Exchange and board of a 6-digit A-share code, or ``None`` when no prefix matches.

    Examples
    --------
    >>> classify_a_share("688041")
    (<Exchange.SH: 'SH'>, <Board.STAR: 'star'>)
    >>> classify_a_share("300496")[1]
    <Board.CHINEXT: 'chinext'>
    """
    if len(code) != 6 or not code.isdigit():
        return None
    for length in (3, 2):
        hit = _PREFIXES.get(code[:length])
        if hit:
            return hit
    return None


def board_of(code: str, exchange: Exchange) -> Board:
    """Board of a listed security; non-A-share exchanges give :attr:`Board.FOREIGN`."""
    if exchange not in A_SHARE_EXCHANGES:
        return Board.FOREIGN
    hit = classify_a_share(code)
    if hit is None or hit[0] != exchange:
        raise ValueError(f"code {code} is not a valid {exchange} A-share code")
    return hit[1]


def valid_prefixes(exchange: Exchange) -> list[str]:
    """Code prefixes accepted for ``exchange`` (for error messages)."""
    return sorted(p for p, (ex, _) in _PREFIXES.items() if ex == exchange)
