"""Parquet segment files: many series per file, one row group per series.

Reading 3,000 tiny parquet files costs about a millisecond each in footer parsing alone,
so the cache packs the series of one import batch into a *segment*: a single parquet
file whose row group ``i`` holds one series. The catalog records which segment and row
group hold a series; a segment is immutable once written (an update writes a new one).

A segment is written to a temporary name and renamed into place (``os.replace``), so a
reader never sees half a file. Its size and CRC-32 go into the catalog, and a reader
verifies them before trusting the file: a truncated or corrupted segment is reported,
never silently read.
"""

from __future__ import annotations

import os
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from coverbt.data.schema import BAR_COLUMNS, OPTIONAL_COLUMNS

STORED_COLUMNS: tuple[str, ...] = BAR_COLUMNS + OPTIONAL_COLUMNS
_SCHEMA = pa.schema(
    [pa.field("date", pa.timestamp("us"))] + [pa.field(c, pa.float64()) for c in STORED_COLUMNS]
)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class SegmentInfo:
    """What the catalog records about one segment file."""

    name: str
    size: int
    crc32: int
    rows: int


@dataclass(frozen=True)
class Placement:
    """Where one series landed: its segment, row group and first row in the file."""

    segment: str
    row_group: int
    row_offset: int


def file_crc32(path: Path) -> int:
    """CRC-32 of a file's bytes (streamed)."""
    crc = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def write_segment(
    directory: Path, frames: Sequence[pd.DataFrame]
) -> tuple[SegmentInfo, list[Placement]]:
    """Write ``frames`` (schema frames) as one segment in ``directory``, atomically.

    Missing optional columns are stored as NaN; the catalog keeps each series' real
    column list. The file is fsynced before its rename so a crash cannot leave an empty
    file under the final name.
    """
    directory.mkdir(parents=True, exist_ok=True)
    name = f"seg-{uuid.uuid4().hex}.parquet"
    final = directory / name
    temp = directory / f".{name}.tmp"
    placements: list[Placement] = []
    offset = 0
    with temp.open("wb") as sink:
        with pq.ParquetWriter(sink, _SCHEMA, compression="snappy") as writer:
            for group, frame in enumerate(frames):
                writer.write_table(_to_table(frame), row_group_size=max(len(frame), 1))
                placements.append(Placement(name, group, offset))
                offset += len(frame)
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(temp, final)
    return SegmentInfo(name, final.stat().st_size, file_crc32(final), offset), placements


def _to_table(frame: pd.DataFrame) -> pa.Table:
    n = len(frame)
    arrays = [pa.array(frame.index.to_numpy(dtype="datetime64[us]"), pa.timestamp("us"))]
    for column in STORED_COLUMNS:
        values = (
            frame[column].to_numpy(dtype=float, na_value=np.nan)
            if column in frame.columns
            else np.full(n, np.nan)
        )
        arrays.append(pa.array(values, pa.float64()))
    return pa.Table.from_arrays(arrays, schema=_SCHEMA)


def frame_from_arrays(
    dates: np.ndarray, columns: dict[str, np.ndarray], keep: Sequence[str]
) -> pd.DataFrame:
    """A schema frame from column arrays, keeping only the series' own columns."""
    index = pd.DatetimeIndex(dates, name="date")
    return pd.DataFrame({c: columns[c] for c in keep}, index=index, copy=False)


def read_row_group(file: pq.ParquetFile, group: int, keep: Sequence[str]) -> pd.DataFrame:
    """One series (row group ``group``) of an open segment."""
    table = file.read_row_group(group, columns=["date", *keep], use_threads=False)
    return _frame(table, keep)


def read_whole(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every row of a segment as numpy arrays: ``(dates, {column: values})``."""
    table = pq.read_table(path, use_threads=True)
    dates = table.column("date").to_numpy()
    return dates, {c: table.column(c).to_numpy() for c in STORED_COLUMNS}


def _frame(table: pa.Table, keep: Sequence[str]) -> pd.DataFrame:
    dates = table.column("date").to_numpy()
    return frame_from_arrays(dates, {c: table.column(c).to_numpy() for c in keep}, keep)
