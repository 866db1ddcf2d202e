"""Resolve security names (as a report prints them) to codes through code/name lists.

A report's rating table prints codes, its prose does not. Names are looked up, in order, in

1. the *primary* list: a file the user passes (``--names``, baostock ``code,tradeStatus,
   code_name`` or ``code,name``), else the cache's :meth:`MarketData.code_names`, else
   akshare ``stock_info_a_code_name`` online;
2. the *curated* list ``universe/known_listings.csv`` (``code,name,exchange,note,reason``):
   listings a public A-share list lacks (亿航智能 is NASDAQ ``EH``; no A-share list will ever
   have it) or that the shipped offline list does not cover.

A name both lists know must have the same code in both (else an error names the curated
line). A name no list knows is *unresolved*: the caller reports it, never drops it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from coverbt.errors import FetchError, InputError
from coverbt.universe.boards import Exchange, board_of, classify_a_share
from coverbt.universe.text import name_key

KNOWN_LISTINGS = "known_listings.csv"
_KNOWN_COLUMNS = ("code", "name", "exchange", "note", "reason")
AKSHARE_SOURCE = "akshare:stock_info_a_code_name"


@dataclass(frozen=True)
class Listing:
    """A security a list knows: code, name, exchange, and where that came from."""

    code: str
    name: str
    exchange: Exchange
    source: str
    note: str | None = None


def listings_from_frame(frame: pd.DataFrame, source: str) -> list[Listing]:
    """A-share listings of a ``code, name`` frame; codes that are not A-shares are skipped.

    Examples
    --------
    >>> frame = pd.DataFrame({"code": ["300033", "900901"], "name": ["同花顺", "云赛B股"]})
    >>> [(x.code, str(x.exchange)) for x in listings_from_frame(frame, "test")]
    [('300033', 'SZ')]
    """
    missing = {"code", "name"} - set(frame.columns)
    if missing:
        raise InputError(
            f"the code/name list has no column(s) {sorted(missing)}",
            source=source,
            expected="columns code and name",
            fix="pass a list shaped like baostock_stock_list.csv (code,tradeStatus,code_name)",
        )
    out = []
    for code, name in zip(frame["code"].astype(str), frame["name"].astype(str), strict=True):
        code = code.strip().split(".")[-1].zfill(6)
        hit = classify_a_share(code)
        if hit is not None:
            out.append(Listing(code, name.strip(), hit[0], source))
    return out


def read_known_listings(path: Path) -> list[Listing]:
    """The curated list ``code,name,exchange,note,reason``; bad rows raise with their line."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        return []
    if not rows or tuple(c.strip() for c in rows[0][: len(_KNOWN_COLUMNS)]) != _KNOWN_COLUMNS:
        raise InputError(
            "unexpected header",
            source=path,
            line=1,
            expected=",".join(_KNOWN_COLUMNS),
            fix="keep the header of the shipped universe/known_listings.csv",
        )
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        out.append(_known_row(path, line, row))
    return out


def _known_row(path: Path, line: int, row: list[str]) -> Listing:
    cells = dict(zip(_KNOWN_COLUMNS, (c.strip() for c in row), strict=False))
    code, name, exchange = cells.get("code", ""), cells.get("name", ""), cells.get("exchange", "")
    valid = ", ".join(e.value for e in Exchange)
    if exchange not in Exchange.__members__:
        raise InputError(
            f"unknown exchange {exchange!r}", source=path, line=line, field="exchange",
            expected=f"one of {valid}", fix="correct the exchange of that row",
        )  # fmt: skip
    try:
        board_of(code, Exchange(exchange))
    except ValueError as exc:
        raise InputError(
            str(exc), source=path, line=line, field="code",
            expected="a 6-digit code valid for its exchange (or a foreign ticker)",
            fix="correct the code of that row",
        ) from None  # fmt: skip
    if not name or not code.isalnum():
        raise InputError(
            "a row needs a code and a name", source=path, line=line, field="name",
            expected="code,name,exchange,note,reason", fix="fill in the row or delete it",
        )  # fmt: skip
    return Listing(code, name, Exchange(exchange), f"{path.name}:{line}", cells.get("note") or None)


def akshare_code_names(fetch: Callable[[], pd.DataFrame] | None = None) -> pd.DataFrame:
    """Every A-share code and name from akshare ``stock_info_a_code_name`` (online).

    ``fetch`` replaces the akshare call (tests pass a fake). The frame is validated: akshare
    assigns column names by position, so a site change shows up here, not downstream.
    """
    if fetch is None:
        import akshare as ak

        fetch = ak.stock_info_a_code_name
    try:
        frame = fetch()
    except Exception as exc:  # akshare raises anything from requests, json, pandas
        raise FetchError(
            f"{AKSHARE_SOURCE} failed ({type(exc).__name__}: {exc}); offline, pass a code/name "
            "list with --names (e.g. ../shared/market-data/cross-section/baostock_stock_list.csv)"
        ) from exc
    if not isinstance(frame, pd.DataFrame) or list(frame.columns[:2]) != ["code", "name"]:
        raise InputError(
            "unexpected payload",
            source=AKSHARE_SOURCE,
            expected="a DataFrame with columns code, name",
            fix="upgrade akshare, or pass a code/name list with --names",
        )
    codes = frame["code"].astype(str).str.strip()
    if not codes.str.fullmatch(r"\d{6}").all():
        raise InputError(
            "codes are not 6 digits",
            source=AKSHARE_SOURCE,
            field="code",
            expected="6-digit codes",
            fix="upgrade akshare, or pass a code/name list with --names",
        )
    return pd.DataFrame({"code": codes, "name": frame["name"].astype(str).str.strip()})


@dataclass(frozen=True)
class Resolution:
    found: dict[str, Listing]
    unresolved: dict[str, str]  # name -> why


def resolve_names(
    names: Iterable[str], primary: list[Listing], curated: list[Listing]
) -> Resolution:
    """Look every name up in ``primary`` then ``curated``; conflicts raise, gaps are reported."""
    by_primary = _index(primary)
    by_curated = _index(curated)
    found: dict[str, Listing] = {}
    unresolved: dict[str, str] = {}
    for name in names:
        hits = by_primary.get(name_key(name), [])
        mine = by_curated.get(name_key(name), [])
        codes = {h.code for h in hits}
        if len(codes) > 1:
            unresolved[name] = f"ambiguous in {hits[0].source}: codes {sorted(codes)}"
            continue
        if hits and mine and mine[0].code != hits[0].code:
            raise InputError(
                f"{name} is {mine[0].code} here but {hits[0].code} in {hits[0].source}",
                source=mine[0].source,
                field="code",
                expected="the same code as the primary list",
                fix="correct or delete that row of the curated list",
            )
        if hits:
            found[name] = hits[0] if not mine else _with_note(hits[0], mine[0].note)
        elif mine:
            found[name] = mine[0]
        else:
            unresolved[name] = "in no code/name list"
    return Resolution(found, unresolved)


def _index(listings: list[Listing]) -> dict[str, list[Listing]]:
    out: dict[str, list[Listing]] = {}
    for item in listings:
        out.setdefault(name_key(item.name), []).append(item)
    return out


def _with_note(item: Listing, note: str | None) -> Listing:
    return Listing(item.code, item.name, item.exchange, item.source, note or item.note)


def primary_listings(
    names_file: Path | None,
    cache_dir: Path | None,
    *,
    online: bool,
    fetch: Callable[[], pd.DataFrame] | None = None,
) -> list[Listing]:
    """The primary code/name list: ``names_file``, else the cache's, else akshare (online).

    Returns ``[]`` when there is none (offline, no file, empty cache): the curated list alone
    then decides, and every name it lacks is reported unresolved.
    """
    if names_file is not None:
        from coverbt.data.vendor import read_code_names

        return listings_from_frame(read_code_names(names_file), names_file.name)
    if cache_dir is not None:
        names = _cached_names(cache_dir)
        if names is not None and len(names):
            return listings_from_frame(names, f"cache {cache_dir}")
    if online:
        return listings_from_frame(akshare_code_names(fetch), AKSHARE_SOURCE)
    return []


def _cached_names(cache_dir: Path) -> pd.DataFrame | None:
    from coverbt.data.store import open_store
    from coverbt.errors import DataUnavailableError

    try:
        return open_store(cache_dir, seed=False).code_names()  # names need no bars
    except DataUnavailableError:
        return None  # no cache yet: fall through to the next source
