"""Read vendor export files (akshare, Tushare, baostock, Shenwan) into coverbt's schema.

Each format is data: the header that identifies it, how its columns map to the schema,
the unit factors, and where its code comes from. ``detect_format`` picks the format from
a file's header, so a folder of mixed files imports with ``--format auto``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from coverbt.data.archive import MAX_FILE_BYTES, iter_tar, scan_tar
from coverbt.data.schema import (
    SHARES_PER_LOT,
    THOUSAND,
    YI,
    Adjust,
    Series,
    SeriesKind,
    meta_for,
)
from coverbt.data.validate import validate_bars
from coverbt.errors import InputError

_CODE = re.compile(r"[0-9]{6}|[A-Z][0-9]{5}")
_CODE_IN_NAME = re.compile(r"(?:^|[._])([0-9]{6}|[A-Za-z][0-9]{5})$")


@dataclass(frozen=True)
class VendorFormat:
    """How one vendor's CSV maps onto the schema."""

    name: str
    signature: tuple[str, ...]  # the header, in order (a prefix is enough)
    rename: dict[str, str]
    kind: SeriesKind
    adjust: Adjust
    source: str
    scale: dict[str, float] = field(default_factory=dict)
    code_column: str | None = None
    required: tuple[str, ...] = ("open", "high", "low", "close", "volume", "amount")


FORMATS: dict[str, VendorFormat] = {
    f.name: f
    for f in (
        VendorFormat(
            name="akshare",
            signature=("日期", "股票代码", "开盘", "收盘", "最高", "最低", "成交量", "成交额"),
            rename={
                "日期": "date",
                "开盘": "open",
                "收盘": "close",
                "最高": "high",
                "最低": "low",
                "成交量": "volume",
                "成交额": "amount",
                "换手率": "turnover",
            },
            scale={"volume": SHARES_PER_LOT},
            kind=SeriesKind.STOCK,
            adjust=Adjust.QFQ,
            source="akshare",
            code_column="股票代码",
        ),
        VendorFormat(
            name="tushare",
            signature=("date", "open", "close", "high", "low", "volume", "amount"),
            rename={},
            # Tushare: volume in lots (手), amount in thousands of CNY (千元)
            scale={"volume": SHARES_PER_LOT, "amount": THOUSAND},
            kind=SeriesKind.STOCK,
            adjust=Adjust.QFQ,
            source="tushare",
            required=("open", "high", "low", "close", "volume"),  # amount is mostly empty
        ),
        VendorFormat(
            name="baostock",
            signature=(
                "date",
                "code",
                "open",
                "high",
                "low",
                "close",
                "preclose",
                "volume",
                "amount",
                "adjustflag",
            ),
            rename={"turn": "turnover", "peTTM": "pe_ttm", "pbMRQ": "pb", "isST": "is_st"},
            kind=SeriesKind.STOCK,
            adjust=Adjust.QFQ,
            source="baostock",
            code_column="code",
        ),
        VendorFormat(
            name="baostock_index",
            signature=(
                "date",
                "open",
                "close",
                "high",
                "low",
                "volume",
                "amount",
                "turn",
                "pctChg",
            ),
            rename={"turn": "turnover"},
            kind=SeriesKind.INDEX,
            adjust=Adjust.NONE,
            source="baostock",
        ),
        VendorFormat(
            name="close_only_index",
            signature=("date", "close"),
            rename={},
            kind=SeriesKind.INDEX,
            adjust=Adjust.NONE,
            source="csindex",
            required=("close",),
        ),
        VendorFormat(
            name="sw_index",
            signature=("代码", "日期", "收盘", "开盘", "最高", "最低", "成交量", "成交额"),
            rename={
                "日期": "date",
                "收盘": "close",
                "开盘": "open",
                "最高": "high",
                "最低": "low",
                "成交量": "volume",
                "成交额": "amount",
            },
            scale={"volume": YI, "amount": YI},
            kind=SeriesKind.INDEX,
            adjust=Adjust.NONE,
            source="akshare",
            code_column="代码",
        ),
    )
}

# baostock's adjustflag: 1 = hfq, 2 = qfq, 3 = none
_BAOSTOCK_ADJUST = {"1": Adjust.HFQ, "2": Adjust.QFQ, "3": Adjust.NONE}
_KEEP = ("open", "high", "low", "close", "volume", "amount", "turnover", "pe_ttm", "pb", "is_st")


def detect_format(header: list[str], origin: str) -> VendorFormat:
    """The format whose signature matches ``header`` exactly or as a prefix."""
    cleaned = [h.strip().lstrip("\ufeff") for h in header]
    for fmt in FORMATS.values():
        n = len(fmt.signature)
        exact_only = fmt.name in ("tushare", "close_only_index")
        matches = (
            cleaned == list(fmt.signature) if exact_only else (tuple(cleaned[:n]) == fmt.signature)
        )
        if matches:
            return fmt
    raise InputError(
        f"unknown file format with header {cleaned[:10]}",
        source=origin,
        line=1,
        expected=f"one of the formats {sorted(FORMATS)} (see ../shared/market-data/MANIFEST.md)",
        fix="pass --format explicitly, or convert the file to one of these",
    )


def code_from_name(path_name: str) -> str | None:
    """``sh.600570.csv`` -> ``600570``; ``csi300_000300.csv`` -> ``000300``."""
    stem = path_name.rsplit("/", 1)[-1].removesuffix(".csv")
    match = _CODE_IN_NAME.search(stem)
    return match.group(1).upper() if match else None


def parse_vendor_csv(
    text: str,
    origin: str,
    fmt_name: str = "auto",
    retrieved_at: dt.datetime | None = None,
    *,
    latest: dt.date | None = None,
) -> Series:
    """Parse one vendor CSV (its text) into a validated :class:`Series`.

    Raises
    ------
    InputError
        for anything wrong with the file, naming the file and, where known, the line and
        field. A parser failure this module did not foresee is reported the same way
        (as unreadable for the format), never as another exception. Bars after
        ``latest`` are refused (see :func:`coverbt.data.validate.validate_bars`).
    """
    text = text.lstrip("\ufeff")
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise InputError(
            f"unreadable header ({exc})",
            source=origin,
            line=1,
            expected="one line of comma-separated column names",
            fix="repair the first line of the file",
        ) from None
    fmt = FORMATS[fmt_name] if fmt_name != "auto" else detect_format(header, origin)
    raw = _read_csv(text, origin, fmt)
    _check_header(raw, fmt, origin, explicit=fmt_name != "auto")
    try:
        return series_from_raw(raw, fmt, origin, retrieved_at, latest=latest)
    except (KeyError, IndexError, ValueError, TypeError, OverflowError) as exc:
        raise InputError(
            f"cannot be read as {fmt.name} ({type(exc).__name__}: {exc})",
            source=origin,
            line=1,
            field=str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else None,
            expected=f"a {fmt.name} file with header {','.join(fmt.signature)}",
            fix="check the file against its vendor's format, or pass the right --format",
        ) from None


def _check_header(raw: pd.DataFrame, fmt: VendorFormat, origin: str, *, explicit: bool) -> None:
    missing = [c for c in fmt.signature if c not in raw.columns]
    if missing:
        chosen = "the format given with --format" if explicit else "its format"
        raise InputError(
            f"column {missing[0]} of {chosen} {fmt.name} is missing (header "
            f"{list(raw.columns)[:10]})",
            source=origin,
            line=1,
            field=missing[0],
            expected=f"the header {','.join(fmt.signature)}",
            fix="pass --format auto (or the file's real format), or repair the header",
        )


def series_from_raw(
    raw: pd.DataFrame,
    fmt: VendorFormat,
    origin: str,
    retrieved_at: dt.datetime | None = None,
    *,
    code: str | None = None,
    adjust: Adjust | None = None,
    latest: dt.date | None = None,
) -> Series:
    """A vendor-shaped frame (vendor column names, dates as text) as a validated Series.

    Shared by the file readers and the live akshare provider, so both rename, scale and
    validate the same way. Row ``i`` is reported as line ``i + 2`` (after a header).
    """
    code = code or _code(raw, fmt, origin)
    adjust = adjust or fmt.adjust
    if fmt.name == "baostock":
        flags = raw["adjustflag"].astype(str).str.strip().unique()
        adjust = _BAOSTOCK_ADJUST.get(flags[0], Adjust.QFQ) if len(flags) else adjust
        raw = raw.loc[raw["tradestatus"].astype(str).str.strip() != "0"]  # suspended days
    frame = _to_schema(raw, fmt, origin)
    validate_bars(frame, source=origin, require=fmt.required, latest=latest)
    meta = meta_for(
        frame,
        code=code,
        kind=fmt.kind,
        source=fmt.source,
        adjust=adjust,
        retrieved_at=retrieved_at or dt.datetime.now(dt.UTC).replace(tzinfo=None),
        origin=origin,
    )
    return Series(meta, frame)


def _read_csv(text: str, origin: str, fmt: VendorFormat) -> pd.DataFrame:
    date_column = next((k for k, v in fmt.rename.items() if v == "date"), "date")
    dtypes: dict[str, type] = {"adjustflag": str, "tradestatus": str, date_column: str}
    if fmt.code_column:
        dtypes[fmt.code_column] = str
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=dtypes)
    except pd.errors.EmptyDataError:
        raise InputError(
            "empty file",
            source=origin,
            line=1,
            expected="a header and dated rows",
            fix="export the file again",
        ) from None
    except pd.errors.ParserError as exc:
        raise InputError(
            f"malformed CSV ({exc})",
            source=origin,
            line=_error_line(str(exc)),
            expected=f"{len(fmt.signature)}+ comma-separated fields per line",
            fix="repair or drop that line (was the file cut short?)",
        ) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw


def _error_line(message: str) -> int:
    """The 1-based line a pandas parser error names (``line 5``, or 0-based ``row 4``);
    line 1 when it names none."""
    if match := re.search(r"line (\d+)", message):
        return int(match.group(1))
    if match := re.search(r"row (\d+)", message):
        return int(match.group(1)) + 1
    return 1


def _code(raw: pd.DataFrame, fmt: VendorFormat, origin: str) -> str:
    if fmt.code_column and not raw.empty:
        cell = raw[fmt.code_column].iloc[0]
        value = "" if pd.isna(cell) else str(cell).strip().split(".")[-1]
        value = value.zfill(6) if value.isdigit() else value.upper()
        if not _CODE.fullmatch(value):
            raise InputError(
                f"code {value!r} is not a security code" if value else "blank code",
                source=origin,
                line=2,
                field=fmt.code_column,
                expected="a 6-character code such as 600570 or sh.600570",
                fix=f"fill in the {fmt.code_column} column",
            )
        return value
    code = code_from_name(origin)
    if code is None:
        raise InputError(
            "cannot tell the security code",
            source=origin,
            field="code",
            expected="a file name ending in the code, e.g. 600570.csv",
            fix="rename the file to <code>.csv",
        )
    return code


def _to_schema(raw: pd.DataFrame, fmt: VendorFormat, origin: str) -> pd.DataFrame:
    frame = raw.rename(columns=fmt.rename)
    try:
        dates = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    except (ValueError, KeyError) as exc:
        raise InputError(
            f"unreadable date column ({exc})",
            source=origin,
            field="date",
            expected="dates as YYYY-MM-DD",
            fix="repair the date column",
        ) from None
    out = pd.DataFrame(index=pd.DatetimeIndex(dates.to_numpy(), name="date"))
    for column in _KEEP:
        if column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            with np.errstate(over="ignore"):  # an overflow gives inf, refused by validation
                out[column] = values * fmt.scale.get(column, 1.0)
    return out


def iter_vendor_path(
    path: Path, fmt_name: str = "auto", on_skip: Callable[[str, str], None] | None = None
) -> Iterator[Series]:
    """Every series in a file, a folder (recursively) or a ``.tar.gz`` of vendor CSVs.

    Files that are not bar files (a stock list, a README) go to ``on_skip(origin, why)``.
    The first bad file raises :class:`InputError`.
    """
    for origin, text in iter_vendor_texts(path):
        if is_stock_list(text):
            if on_skip:
                on_skip(origin, "a code/name list, not bars")
            continue
        yield parse_vendor_csv(text, origin, fmt_name)


def iter_vendor_texts(
    path: Path, on_error: Callable[[InputError], None] | None = None
) -> Iterator[tuple[str, str]]:
    """``(origin, text)`` of every CSV in a file, a folder (recursively) or a ``.tar.gz``.

    A member of an archive has the origin ``archive.tar.gz!member.csv``. A file that
    cannot be read goes to ``on_error`` (and the walk goes on), or raises when
    ``on_error`` is None.
    """
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and _is_vendor_file(child.name):
                yield from iter_vendor_texts(child, on_error)
        return
    try:
        if not path.exists():
            raise InputError("no such file or folder", source=path, fix="check the path (a typo?)")
        if path.name.endswith(".tar.gz"):
            yield from iter_tar(path, on_error)
        else:
            yield str(path), _read_text(path)
    except InputError as exc:
        if on_error is None:
            raise
        on_error(exc)


def count_vendor_files(path: Path) -> int:
    """How many CSV files :func:`iter_vendor_texts` will visit (reads archive indexes)."""
    if path.is_dir():
        return sum(
            count_vendor_files(c)
            for c in path.rglob("*")
            if c.is_file() and _is_vendor_file(c.name)
        )
    if path.name.endswith(".tar.gz"):
        try:
            stat = path.stat()
            return scan_tar(path, stat.st_size, stat.st_mtime_ns)
        except (InputError, OSError):
            return 0  # the import reports it
    return 1


def _is_vendor_file(name: str) -> bool:
    return name.endswith(".csv") or name.endswith(".tar.gz")


def _read_text(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"file of {size:,} bytes refused (limit {MAX_FILE_BYTES:,})",
            source=path,
            expected="CSV files of at most 256 MiB",
            fix="split the file by code",
        )
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            "not UTF-8 text", source=path, expected="a UTF-8 CSV", fix="re-export the file as UTF-8"
        ) from None


def is_stock_list(text: str) -> bool:
    """Whether a CSV's text is a code/name list rather than bars."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    return first.startswith("code,") and "code_name" in first


def read_code_names(path: Path) -> pd.DataFrame:
    """Read a code/name list file (see :func:`parse_code_names`)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read the code/name list ({exc})", source=path, fix="check the file"
        ) from None
    return parse_code_names(text, str(path))


def parse_code_names(text: str, origin: str) -> pd.DataFrame:
    """Parse a code/name list (baostock ``code,tradeStatus,code_name`` or ``code,name``).

    Returns columns ``code`` (6 digits) and ``name``.
    """
    try:
        raw = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), dtype=str)
    except pd.errors.ParserError as exc:
        raise InputError(
            f"cannot read the code/name list ({exc})", source=origin, fix="check the file"
        ) from None
    name_col = "code_name" if "code_name" in raw.columns else "name"
    if "code" not in raw.columns or name_col not in raw.columns:
        raise InputError(
            f"columns {list(raw.columns)} have no code and name",
            source=origin,
            line=1,
            expected="columns code and code_name (or name)",
            fix="export the list with those headers",
        )
    raw = raw.dropna(subset=["code", name_col])
    codes = raw["code"].str.strip().str.split(".").str[-1].str.zfill(6)
    return pd.DataFrame({"code": codes, "name": raw[name_col].str.strip()})
