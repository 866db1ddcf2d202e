"""A user's own rating list as events: a CSV file (UTF-8, with or without a BOM).

Required columns: ``code``, ``broker``, ``published`` (YYYY-MM-DD), ``label``. Optional:
``report_id`` (default ``csv:<broker>:<published>:<code>``), ``analysts`` (separated by
``;`` or ``、``), ``name``, ``published_at`` (YYYY-MM-DD HH:MM), ``previous_label``,
``rating_change``, ``target_price`` or ``target_low``/``target_high``, ``industry``,
``industry_index``, ``scale`` (a scale id of :mod:`coverbt.events.scales`), and forecasts as
``eps_2025``, ``pe_2025``... Every bad cell stops the import with its line and column
(the file's physical line, blank lines counted), and so do a line with more cells than the
header and two lines for one report and code; nothing of the file is stored then. An
event's ``source_ref`` is the file's name (not the line), so re-sorting a file and
importing it again stores nothing new.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from pathlib import Path

from coverbt.errors import InputError
from coverbt.events.model import RatingEvent, Source

REQUIRED = ("code", "broker", "published", "label")
OPTIONAL = (
    "report_id",
    "analysts",
    "name",
    "published_at",
    "previous_label",
    "rating_change",
    "target_price",
    "target_low",
    "target_high",
    "industry",
    "industry_index",
    "scale",
)
_YEAR_COLUMN = re.compile(r"^(eps|pe)_(\d{4})$")
_CODE = re.compile(r"^(\d{6}|[A-Z]{1,5})$")
_SPLIT = re.compile(r"[;；、]+")
_FIX = "correct the cell and import the file again"
_EXTRA = "\0extra"  # DictReader's key for cells beyond the header


def read_csv_events(path: Path) -> list[RatingEvent]:
    """Every row of ``path`` as an event.

    Raises
    ------
    InputError
        naming the file, line and column of the first bad cell.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read the file ({exc})",
            source=path,
            expected="a UTF-8 CSV file",
            fix="save it as UTF-8 CSV",
        ) from None
    reader = csv.DictReader(io.StringIO(text), restkey=_EXTRA)
    header = [h.strip() for h in reader.fieldnames or []]
    _check_header(path, header)
    reader.fieldnames = header
    out = []
    lines: dict[tuple[str, str, str], int] = {}
    for row in reader:
        line = reader.line_num  # the physical line: blank lines are skipped, not counted
        if _EXTRA in row:
            cells = len(header) + len(row[_EXTRA])
            raise _bad(path, line, f"cell {len(header) + 1}", f"the line has {cells} cells, "
                       f"the header {len(header)}", f"{len(header)} cells",
                       "quote cells that hold a comma, or remove the extra cells")  # fmt: skip
        event = _event(path, line, {k: (v or "").strip() for k, v in row.items()})
        first = lines.setdefault(event.key, line)
        if first != line:
            raise _bad(path, line, "report_id", f"the rating of {event.code} in report "
                       f"{event.report_id} is also on line {first}",
                       "one line per report and code",
                       "remove one of the two lines, or give each its own report_id")  # fmt: skip
        out.append(event)
    if not out:
        raise InputError(
            "the file has no rows",
            source=path,
            line=2,
            expected="one rating per line",
            fix="add rows under the header",
        )
    return out


def _check_header(path: Path, header: list[str]) -> None:
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise InputError(f"column {twice[0]!r} appears twice", source=path, line=1,
                         field=twice[0], expected="each column once",
                         fix="remove or rename the second one")  # fmt: skip
    for column in REQUIRED:
        if column not in header:
            raise InputError(f"column {column!r} is missing", source=path, line=1, field=column,
                             expected=f"a header with {', '.join(REQUIRED)}",
                             fix=f"add the column {column}")  # fmt: skip
    for column in header:
        if column not in REQUIRED + OPTIONAL and not _YEAR_COLUMN.match(column):
            raise InputError(f"unknown column {column!r}", source=path, line=1, field=column,
                             expected=f"columns among {', '.join(REQUIRED + OPTIONAL)}, "
                             "eps_YYYY, pe_YYYY", fix="rename or remove the column")  # fmt: skip


def _bad(
    path: Path, line: int, field: str, problem: str, expected: str, fix: str = _FIX
) -> InputError:
    return InputError(problem, source=path, line=line, field=field, expected=expected, fix=fix)


def _event(path: Path, line: int, row: dict[str, str]) -> RatingEvent:
    for column in REQUIRED:
        if not row.get(column):
            raise _bad(path, line, column, "the cell is empty", f"a {column}")
    code = row["code"]
    if not _CODE.match(code):
        raise _bad(path, line, "code", f"{code!r} is not a code", "6 digits such as 600570")
    published = _date(path, line, "published", row["published"])
    at = _moment(path, line, row.get("published_at", ""), published)
    target = _price(path, line, "target_price", row.get("target_price", ""))
    low = _price(path, line, "target_low", row.get("target_low", "")) or target
    high = _price(path, line, "target_high", row.get("target_high", "")) or target
    eps: dict[int, float] = {}
    pe: dict[int, float] = {}
    for column, value in row.items():
        match = _YEAR_COLUMN.match(column)
        if match and value:
            number = _number(path, line, column, value)
            (eps if match.group(1) == "eps" else pe)[int(match.group(2))] = number
    return RatingEvent(
        source=Source.CSV,
        report_id=row.get("report_id") or f"csv:{row['broker']}:{published}:{code}",
        code=code, broker=row["broker"],
        analysts=tuple(a.strip() for a in _SPLIT.split(row.get("analysts", "")) if a.strip()),
        published=published, published_at=at, label=row["label"],
        name=row.get("name") or None, previous_label=row.get("previous_label") or None,
        rating_change=row.get("rating_change") or None, target_low=low, target_high=high,
        eps=eps, pe=pe, industry=row.get("industry") or None,
        industry_index=row.get("industry_index") or None, scale=row.get("scale") or None,
        source_ref=f"csv:{Path(path).name}",  # no line: re-sorting the file changes nothing
    )  # fmt: skip


def _date(path: Path, line: int, field: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _bad(path, line, field, f"{value!r} is not a date", "YYYY-MM-DD") from None


def _moment(path: Path, line: int, value: str, day: dt.date) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _bad(path, line, "published_at", f"{value!r} is not a time",
                   "YYYY-MM-DD HH:MM") from None  # fmt: skip
    if moment.date() != day:
        raise _bad(path, line, "published_at", f"{value} is not on {day}", "the published day")
    return moment


def _number(path: Path, line: int, field: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise _bad(path, line, field, f"{value!r} is not a number", "a number") from None
    if not math.isfinite(number):
        raise _bad(path, line, field, f"{value!r} is not finite", "a finite number")
    return number


def _price(path: Path, line: int, field: str, value: str) -> float | None:
    if not value:
        return None
    number = _number(path, line, field, value)
    if number <= 0:
        raise _bad(path, line, field, f"{value} is not positive", "a price above 0")
    return number
