"""Read announced results (actual EPS) from a CSV file, validated row by row.

Format (UTF-8, optional BOM, header required, extra columns ignored)::

    code,fiscal_year,eps,published
    300496,2024,0.09,2025-04-25

``published`` is the announcement date: the record's ``as_of``. An optional ``net_profit``
column (CNY) is stored when present.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

from coverbt.errors import InputError
from coverbt.revisions.records import ACTUAL_SOURCE, ForecastRecord, Kind

REQUIRED = ("code", "fiscal_year", "eps", "published")
FIRST_FISCAL_YEAR = 1990
_FIX = "correct that cell; the file needs columns code,fiscal_year,eps,published"


def read_actuals(path: Path) -> list[ForecastRecord]:
    """Parse ``path`` into ``kind=actual`` records; the first bad cell raises InputError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found", source=path, fix="check the path") from None
    except UnicodeDecodeError:
        raise InputError(
            "not UTF-8 text", source=path, expected="a UTF-8 CSV", fix="save as UTF-8"
        ) from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}",
            source=path,
            line=1,
            expected=f"a header with {','.join(REQUIRED)}",
            fix="add the missing column(s) to the first line",
        )
    reader.fieldnames = header
    records: list[ForecastRecord] = []
    first_line: dict[tuple[str, int], int] = {}
    for line, row in enumerate(reader, start=2):
        record = _record(row, path, line)
        key = (record.code, record.fiscal_year)
        if key in first_line:
            raise InputError(
                f"{record.code} FY{record.fiscal_year} is listed twice (first on line "
                f"{first_line[key]})",
                source=path,
                line=line,
                field="code",
                fix="keep one line per code and fiscal year",
            )
        first_line[key] = line
        records.append(record)
    return records


def _record(row: dict[str, str | None], path: Path, line: int) -> ForecastRecord:
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    code = cell("code")
    if not (len(code) == 6 and code.isdigit()):
        raise _bad(path, line, "code", code, "a 6-digit A-share code such as 300496")
    year_text = cell("fiscal_year")
    year = int(year_text) if year_text.isdigit() else None
    if year is None or year < FIRST_FISCAL_YEAR:
        raise _bad(path, line, "fiscal_year", year_text, "a year such as 2024")
    eps = _float(cell("eps"))
    if eps is None:
        raise _bad(path, line, "eps", cell("eps"), "a number such as 0.91 (CNY per share)")
    published = _date(cell("published"))
    if published is None:
        raise _bad(path, line, "published", cell("published"), "a date YYYY-MM-DD")
    if published > dt.date.today():
        raise _bad(
            path,
            line,
            "published",
            cell("published"),
            f"a date up to today ({dt.date.today()}): results not yet announced cannot be stored",
        )
    if published <= dt.date(year, 12, 31):
        raise _bad(
            path,
            line,
            "published",
            cell("published"),
            f"a date after the end of fiscal year {year} (results are announced after it)",
        )
    net_profit = _float(cell("net_profit")) if cell("net_profit") else None
    if cell("net_profit") and net_profit is None:
        raise _bad(path, line, "net_profit", cell("net_profit"), "a number in CNY or empty")
    return ForecastRecord(
        source=ACTUAL_SOURCE,
        as_of=published,
        code=code,
        fiscal_year=year,
        eps=eps,
        kind=Kind.ACTUAL,
        net_profit=net_profit,
        mark="A",
    )


def _bad(path: Path, line: int, field: str, value: str, expected: str) -> InputError:
    return InputError(
        f"invalid value {value!r}" if value else "empty cell",
        source=path,
        line=line,
        field=field,
        expected=expected,
        fix=_FIX,
    )


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
