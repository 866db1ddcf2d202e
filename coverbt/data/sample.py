"""The built-in market sample: the report's own market, shipped inside the package.

A machine without ``../shared`` and without a route to the vendors still runs the whole
pipeline: ``data_cache/`` is seeded from this sample (automatically when a command that
needs bars finds the cache empty, or explicitly with ``coverbt data import --sample``).

What it holds (built by :mod:`coverbt.data.sample_build` from ``../shared/market-data``;
``PROVENANCE.json`` beside the parquet file lists every series' vendor, adjustment and
base date, rows, first and last date and checksum):

- the report's 25 A-shares, each as the one vendor series the full snapshot serves for the
  report's window (baostock > Tushare > akshare among those covering it), qfq;
- the PE TTM / PB of the names whose bars come from another vendor than baostock, as
  separate valuation series (sources are never mixed inside one series);
- CSI 300 (000300), CSI 300 total return (H00300) and SW Computer (801750);
- each trimmed to :data:`SAMPLE_START` .. :data:`SAMPLE_END`, values unchanged.

In the cache every sample series has the source ``sample``, which ranks below every real
vendor (:data:`coverbt.data.memory.SOURCE_PREFERENCE`): real imports win where they cover
the window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from coverbt.data.schema import Adjust, Series, SeriesKind, SeriesMeta

SOURCE = "sample"
SAMPLE_START = dt.date(2023, 6, 1)
SAMPLE_END = dt.date(2025, 6, 30)
PARQUET_NAME = "report_market.parquet"
PROVENANCE_NAME = "PROVENANCE.json"
VALUE_COLUMNS: tuple[str, ...] = (
    "open", "high", "low", "close", "volume", "amount", "turnover", "pe_ttm", "pb", "is_st",
)  # fmt: skip

log = logging.getLogger(__name__)


def sample_dir() -> Path:
    """The folder inside the installed package that holds the sample files."""
    return Path(str(resources.files("coverbt.data") / "sample"))


def series_checksum(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's dates and values (columns in :data:`VALUE_COLUMNS` order; a
    missing column and NaN hash alike), so the same numbers always give the same digest.

    Examples
    --------
    >>> f = pd.DataFrame({"close": [1.0, 2.0]},
    ...                  index=pd.DatetimeIndex(["2024-06-24", "2024-06-25"], name="date"))
    >>> series_checksum(f) == series_checksum(f.copy())
    True
    """
    digest = hashlib.sha256()
    digest.update(frame.index.to_numpy(dtype="datetime64[us]").astype(np.int64).tobytes())
    for column in VALUE_COLUMNS:
        values = frame[column].to_numpy(dtype=float) if column in frame.columns else None
        if values is None:
            continue
        digest.update(column.encode())
        digest.update(np.where(np.isnan(values), np.nan, values).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class SampleSeries:
    """One series of the sample with the facts its provenance records."""

    series: Series
    vendor: str
    vendor_file: str


def load_sample(folder: Path | None = None) -> list[SampleSeries]:
    """Every series of the sample in ``folder`` (default: the package's), checksums checked."""
    folder = folder or sample_dir()
    return list(_load(str(folder)))


@lru_cache(maxsize=2)
def _load(folder: str) -> tuple[SampleSeries, ...]:
    root = Path(folder)
    provenance = json.loads((root / PROVENANCE_NAME).read_text(encoding="utf-8"))
    table = pd.read_parquet(root / PARQUET_NAME)
    out = []
    for item in provenance["series"]:
        rows = table.loc[table["series"] == item["id"]]
        frame = rows.set_index(pd.DatetimeIndex(rows["date"], name="date"))
        frame = frame[[c for c in item["columns"]]].astype(float)
        if series_checksum(frame) != item["sha256"]:
            raise ValueError(
                f"the built-in sample is damaged: series {item['id']} does not match its "
                f"checksum in {root / PROVENANCE_NAME}; reinstall coverbt"
            )
        out.append(SampleSeries(Series(_meta(item, frame), frame), item["vendor"], item["file"]))
    return tuple(out)


def _meta(item: dict[str, object], frame: pd.DataFrame) -> SeriesMeta:
    base = item.get("adjust_base")
    return SeriesMeta(
        code=str(item["code"]),
        kind=SeriesKind(str(item["kind"])),
        source=SOURCE,
        adjust=Adjust(str(item["adjust"])),
        adjust_base=dt.date.fromisoformat(str(base)) if base else None,
        retrieved_at=dt.datetime.fromisoformat(str(item["retrieved_at"])),
        first=frame.index[0].date(),
        last=frame.index[-1].date(),
        rows=len(frame),
        origin=f"coverbt sample ({item['vendor']} {item['file']})",
    )


def sample_names(folder: Path | None = None) -> pd.DataFrame:
    """The sample's code/name list (``code``, ``name``)."""
    folder = folder or sample_dir()
    provenance = json.loads((folder / PROVENANCE_NAME).read_text(encoding="utf-8"))
    names = provenance["names"]
    return pd.DataFrame({"code": list(names), "name": list(names.values())})


def describe() -> str:
    """One line on what the sample holds, for messages."""
    series = load_sample()
    stocks = sum(1 for s in series if s.series.meta.kind is SeriesKind.STOCK)
    indexes = sorted(s.series.meta.code for s in series if s.series.meta.kind is SeriesKind.INDEX)
    return (
        f"coverbt's built-in sample ({stocks} A-shares of the report, {', '.join(indexes)}; "
        f"{SAMPLE_START} .. {SAMPLE_END})"
    )


def seed_cache(cache_dir: Path) -> int:
    """Store the sample in the cache at ``cache_dir`` (idempotent); returns series written.

    Series already there come out unchanged; real vendor series are never touched.
    """
    from coverbt.data.cache import Cache, Outcome

    with Cache(Path(cache_dir)).writing() as writer:
        outcomes = writer.put([s.series for s in load_sample()])
        writer.put_names(sample_names(), "coverbt sample")
    return sum(1 for o in outcomes if o is not Outcome.UNCHANGED)


def seed_if_empty(cache_dir: Path) -> bool:
    """Seed an empty cache (no catalog, no segments) from the sample; says so in one line.

    Returns whether it seeded. A cache holding anything, even a damaged one, is left alone.
    """
    from coverbt.data import catalog
    from coverbt.data.cache import Cache

    cache = Cache(Path(cache_dir))
    if cache.segment_dir.exists() and any(cache.segment_dir.iterdir()):
        return False  # holds data (or what is left of it): never overwritten by the sample
    if cache.exists():
        with catalog.reading(cache.catalog_path) as conn:
            if conn.execute("SELECT 1 FROM series LIMIT 1").fetchone() is not None:
                return False
    seed_cache(cache.root)
    log.warning(
        "data_cache was empty: seeded %s with %s. Real data: `coverbt data import PATH` "
        "or `coverbt data update`",
        cache.root,
        describe(),
    )
    return True
