"""Parquet segment files: many series per file, packed into row groups.

Reading 3,000 tiny parquet files costs about a millisecond each in footer parsing alone,
and a row group per series is nearly as slow, so the cache packs the series of one
import batch into a *segment*: one parquet file whose row groups of up to
:data:`ROW_GROUP_ROWS` rows hold consecutive series. The catalog records each series'
segment, row group and first row inside the group; a segment is immutable once written
(an update writes a new one).

A segment is written to a temporary name and renamed into place (``os.replace``), so a
reader never sees half a file. Its size and CRC-32 go into the catalog, and a reader
verifies them before trusting the file: a truncated or corrupted segment is reported,
never silently read.

A segment describes itself: its parquet key-value metadata holds, under
:data:`DESCRIPTION_KEY`, one JSON object per series (the catalog row: metadata, columns,
content hash, row group and offset) and, under :data:`WRITTEN_KEY`, when it was written
(nanoseconds). So a lost or damaged catalog can be rebuilt from the segments alone
(:mod:`coverbt.data.recover`).
"""

from __future__ import annotations

import json
import os
import time
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
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
ROW_GROUP_ROWS = 32_768  # about 38 stocks of 3.5 years; one row group decodes in ~1 ms
DESCRIPTION_KEY = b"coverbt.series"
WRITTEN_KEY = b"coverbt.written_ns"
SEGMENT_PREFIX = "seg-"


@dataclass(frozen=True)
class SegmentInfo:
    """What the catalog records about one segment file."""

    name: str
    size: int
    crc32: int
    rows: int


@dataclass(frozen=True)
class Placement:
    """Where one series landed: its segment, row group and first row inside that group."""

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


def new_segment_name() -> str:
    """A fresh, unique segment file name (``seg-<uuid>.parquet``)."""
    return f"{SEGMENT_PREFIX}{uuid.uuid4().hex}.parquet"


def temp_name(name: str) -> str:
    """The temporary name a segment is written under before its rename."""
    return f".{name}.tmp"


def plan_placements(name: str, lengths: Sequence[int]) -> list[Placement]:
    """Where series of the given lengths land: consecutive series share a row group of up
    to :data:`ROW_GROUP_ROWS` rows (a series never straddles two).

    Examples
    --------
    >>> [(p.row_group, p.row_offset) for p in plan_placements("s", [30_000, 3_000, 10])]
    [(0, 0), (1, 0), (1, 3000)]
    """
    placements: list[Placement] = []
    group = offset = 0
    for n, length in enumerate(lengths):
        if n and offset + length > ROW_GROUP_ROWS:
            group, offset = group + 1, 0
        placements.append(Placement(name, group, offset))
        offset += length
    return placements


def write_segment(
    directory: Path,
    frames: Sequence[pd.DataFrame],
    descriptions: Sequence[Mapping[str, object]] | None = None,
    *,
    name: str | None = None,
) -> tuple[SegmentInfo, list[Placement]]:
    """Write ``frames`` (schema frames) as one segment in ``directory``, atomically.

    Consecutive series share a row group (:func:`plan_placements`). Missing optional
    columns are stored as NaN; the catalog keeps each series' real column list.
    ``descriptions`` (one JSON-able mapping per frame) go into the file's metadata, each
    with its placement added. The file is fsynced before its rename so a crash cannot
    leave a partial file under the final name.
    """
    directory.mkdir(parents=True, exist_ok=True)
    name = name or new_segment_name()
    final = directory / name
    temp = directory / temp_name(name)
    placements = plan_placements(name, [len(f) for f in frames])
    described = [
        {**dict(d), "row_group": p.row_group, "row_offset": p.row_offset}
        for d, p in zip(descriptions or [{} for _ in frames], placements, strict=True)
    ]
    schema = _SCHEMA.with_metadata(
        {
            DESCRIPTION_KEY: json.dumps(described, ensure_ascii=False).encode(),
            WRITTEN_KEY: str(time.time_ns()).encode(),
        }
    )
    pending: list[pa.Table] = []
    group = 0
    with temp.open("wb") as sink:
        with pq.ParquetWriter(sink, schema, compression="snappy") as writer:
            for frame, place in zip(frames, placements, strict=True):
                if place.row_group != group:
                    _flush_group(writer, pending)
                    group = place.row_group
                pending.append(_to_table(frame).replace_schema_metadata(schema.metadata))
            if pending:
                _flush_group(writer, pending)
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(temp, final)
    _fsync_dir(directory)
    total = sum(len(f) for f in frames)
    return SegmentInfo(name, final.stat().st_size, file_crc32(final), total), placements


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_description(path: Path) -> tuple[int, list[dict[str, object]]] | None:
    """When a segment was written (ns) and its series' descriptions, or None when the
    file carries none (written by an older coverbt)."""
    metadata = pq.read_schema(path).metadata or {}
    if DESCRIPTION_KEY not in metadata:
        return None
    described = json.loads(metadata[DESCRIPTION_KEY].decode())
    return int(metadata.get(WRITTEN_KEY, b"0").decode()), list(described)


def _flush_group(writer: pq.ParquetWriter, pending: list[pa.Table]) -> None:
    table = pa.concat_tables(pending)
    writer.write_table(table, row_group_size=max(table.num_rows, 1))
    pending.clear()


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


class SegmentReader:
    """Reads series out of one segment, keeping the last decoded row groups in memory.

    Reading series in catalog order (as :meth:`CacheStore.read_all` and a loop over a
    cross-section do) decodes each row group once.
    """

    def __init__(self, path: Path, keep_groups: int = 4) -> None:
        self.file = pq.ParquetFile(path)
        self.keep_groups = keep_groups
        self._groups: OrderedDict[int, tuple[np.ndarray, dict[str, np.ndarray]]] = OrderedDict()

    @property
    def num_row_groups(self) -> int:
        return int(self.file.metadata.num_row_groups)

    def series(self, placement: Placement, rows: int, keep: Sequence[str]) -> pd.DataFrame:
        """The ``rows`` rows of one series, with the columns ``keep``."""
        dates, columns = self._group(placement.row_group)
        lo, hi = placement.row_offset, placement.row_offset + rows
        if hi > len(dates):
            raise ValueError(f"row group {placement.row_group} has only {len(dates)} rows")
        block = np.column_stack([columns[c][lo:hi] for c in keep]) if keep else None
        index = pd.DatetimeIndex(dates[lo:hi], name="date")
        return pd.DataFrame(block, index=index, columns=list(keep), copy=False)

    def _group(self, group: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if group in self._groups:
            self._groups.move_to_end(group)
            return self._groups[group]
        table = self.file.read_row_group(group, use_threads=False)
        decoded = (
            table.column("date").to_numpy(),
            {c: table.column(c).to_numpy() for c in STORED_COLUMNS},
        )
        self._groups[group] = decoded
        while len(self._groups) > self.keep_groups:
            self._groups.popitem(last=False)
        return decoded
