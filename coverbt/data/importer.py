"""Import vendor files (a file, a folder or a ``.tar.gz``) into the cache.

Bad files do not stop a folder import: every file is parsed and validated; each bad one
is reported (file, line, field, what was expected) in :attr:`ImportSummary.errors`, the
good ones are stored, and the command exits with code 2 at the end if any was bad. Code
and name lists (baostock's ``code,tradeStatus,code_name``) found among the files go into
the catalog's ``code_names``.

A series already cached is merged with the incoming one (new dates added, shared dates
compared; see :mod:`coverbt.data.merge`); a disagreement leaves the cached series
unchanged and is reported like a bad file (exit 2), unless ``--replace`` is given.

Bars dated after the calendar's last known day are refused
(:func:`~coverbt.data.validate.import_horizon`), or after ``latest`` when a caller gives it.

Series are written in batches of :data:`BATCH_SIZE` (one parquet segment per batch), so
a killed import keeps every batch committed before it, and re-running it finishes the
rest (the committed ones come out ``unchanged``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from coverbt.data import catalog
from coverbt.data.cache import Cache, Outcome, Writer
from coverbt.data.schema import Series
from coverbt.data.vendor import (
    FORMATS,
    count_vendor_files,
    is_stock_list,
    iter_vendor_texts,
    parse_code_names,
    parse_vendor_csv,
)
from coverbt.errors import InputError

BATCH_SIZE = 500
FORMAT_CHOICES: tuple[str, ...] = ("auto", *FORMATS)

Progress = Callable[[str, int, int], None]  # (origin, files done, files total)


@dataclass
class ImportSummary:
    """What an import did. ``errors`` holds one :class:`InputError` per bad file."""

    path: str
    files: int = 0
    rows: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    names: int = 0
    errors: list[InputError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def outcome_counts(self) -> dict[str, int]:
        """How many series came out new, updated, unchanged and kept."""
        return {o.value: self.outcomes.get(o.value, 0) for o in Outcome}

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "files": self.files,
            "rows": self.rows,
            "series": self.outcome_counts(),
            "names_changed": self.names,
            "errors": [str(e) for e in self.errors],
            "seconds": round(self.seconds, 2),
        }


def run_import(
    cache: Cache,
    path: Path,
    fmt: str = "auto",
    progress: Progress | None = None,
    *,
    replace: bool = False,
    latest: dt.date | None = None,
) -> ImportSummary:
    """Import everything under ``path`` into ``cache`` (holding its lock throughout).

    Bars dated after ``latest`` are refused; ``coverbt data import`` passes
    :func:`~coverbt.data.validate.import_horizon`. Without it the bound is the
    trading calendar's last known day, so a library call does not depend on the clock
    (the test suite runs with the clock moved).
    """
    if fmt not in FORMAT_CHOICES:
        raise InputError(
            f"unknown format {fmt!r}",
            field="--format",
            expected=f"one of {', '.join(FORMAT_CHOICES)}",
            fix="pick one of those (auto detects it from each file's header)",
        )
    if not path.exists():
        raise InputError("no such file or folder", source=path, fix="check the path (a typo?)")
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    clock = time.perf_counter()
    summary = ImportSummary(path=str(path))
    total = count_vendor_files(path)
    with cache.writing() as writer:
        batch: list[Series] = []
        for origin, text in iter_vendor_texts(path, on_error=summary.errors.append):
            summary.files += 1
            _one_file(writer, origin, text, (fmt, latest), batch, summary)
            if len(batch) >= BATCH_SIZE:
                _flush(writer, batch, summary, replace)
            if progress:
                progress(origin, summary.files, max(total, summary.files))
        _flush(writer, batch, summary, replace)
        summary.seconds = time.perf_counter() - clock
        catalog.log_run(writer.conn, f"import {path} --format {fmt}", started, summary.to_json())
    return summary


def _one_file(
    writer: Writer,
    origin: str,
    text: str,
    how: tuple[str, dt.date | None],
    batch: list[Series],
    summary: ImportSummary,
) -> None:
    try:
        if is_stock_list(text):
            summary.names += writer.put_names(parse_code_names(text, origin), origin)
            return
        series = parse_vendor_csv(text, origin, how[0], latest=how[1])
    except InputError as exc:
        summary.errors.append(exc)
        return
    summary.rows += series.meta.rows
    batch.append(series)


def _flush(writer: Writer, batch: list[Series], summary: ImportSummary, replace: bool) -> None:
    if batch:
        summary.outcomes.update(o.value for o in writer.put(batch, replace=replace))
        batch.clear()
    summary.errors.extend(writer.conflicts)  # bars differing from the cached ones
    writer.conflicts.clear()
