"""Build the built-in sample (:mod:`coverbt.data.sample`) from the vendor snapshot.

Run from the repository root, with ``../shared`` beside it::

    python -m coverbt.data.sample_build ../shared/market-data coverbt/data/sample

The choice of series is the cache's own rule (:func:`coverbt.data.memory.pick_preferred`)
applied to the report's window, :data:`CHOICE_WINDOW`: for each of the report's A-shares,
the vendor series the full snapshot would serve for it. Values are copied unchanged (float64)
and trimmed to :data:`~coverbt.data.sample.SAMPLE_START` ..
:data:`~coverbt.data.sample.SAMPLE_END`. A test rebuilds the sample and compares it with
the shipped one.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pandas as pd

from coverbt.atomic import atomic_path, atomic_write_text
from coverbt.data.memory import pick_preferred
from coverbt.data.sample import (
    PARQUET_NAME,
    PROVENANCE_NAME,
    SAMPLE_END,
    SAMPLE_START,
    VALUE_COLUMNS,
    series_checksum,
)
from coverbt.data.schema import VALUATION_COLUMNS, Series, SeriesKind
from coverbt.data.vendor import parse_vendor_csv, read_code_names

# the report's 25 A-shares (universe/pingan_computer_2024_midyear.yaml; a test checks it)
REPORT_CODES: tuple[str, ...] = (
    "000034", "000099", "000938", "000977", "002230", "002261", "002439", "300033",
    "300474", "300496", "300624", "300634", "301091", "301236", "600570", "603019",
    "603383", "688041", "688047", "688070", "688111", "688256", "688522", "688568",
    "688631",
)  # fmt: skip
INDEX_FILES: dict[str, str] = {
    "000300": "index/csi300_000300.csv",
    "H00300": "index/csi300_total_return_h00300.csv",
    "801750": "index/sw_computer_801750.csv",
}
# the report's price date .. the sample's end: the window whose preferred series we ship
CHOICE_WINDOW = (dt.date(2024, 6, 7), SAMPLE_END)
NAMES_FILE = "cross-section/baostock_stock_list.csv"


def _read(market: Path, relative: Path) -> Series:
    text = (market / relative).read_text(encoding="utf-8-sig")
    return parse_vendor_csv(text, str(relative).replace("\\", "/"))


def _stock_files(market: Path, code: str) -> list[Path]:
    return sorted(p.relative_to(market) for p in (market / "stock").glob(f"*/*{code}.csv"))


def _entry(series: Series, vendor_file: str, kind: SeriesKind, columns: list[str]) -> dict:
    """One provenance item plus its trimmed frame (under the key ``frame``)."""
    meta = series.meta
    frame = series.between(SAMPLE_START, SAMPLE_END).frame[columns].astype(float)
    return {
        "id": f"{kind}/{meta.code}",
        "code": meta.code,
        "kind": str(kind),
        "vendor": meta.source,
        "file": vendor_file,
        "adjust": str(meta.adjust),
        "adjust_base": meta.adjust_base.isoformat() if meta.adjust_base else None,
        "retrieved_at": f"{meta.last.isoformat()}T00:00:00",
        "rows": len(frame),
        "first": frame.index[0].date().isoformat(),
        "last": frame.index[-1].date().isoformat(),
        "columns": columns,
        "sha256": series_checksum(frame),
        "frame": frame,
    }


def build_items(market: Path) -> list[dict]:
    """Provenance items (each with its ``frame``) for every series of the sample."""
    items = []
    for code in REPORT_CODES:
        files = _stock_files(market, code)
        candidates = {str(f): _read(market, f) for f in files}
        chosen = pick_preferred(candidates.values(), *CHOICE_WINDOW)
        name = next(f for f, s in candidates.items() if s is chosen)
        columns = [c for c in VALUE_COLUMNS if c in chosen.frame.columns]
        items.append(_entry(chosen, name, SeriesKind.STOCK, columns))
        if "pe_ttm" in columns:
            continue
        with_pe = [(f, s) for f, s in candidates.items() if "pe_ttm" in s.frame.columns]
        for f, s in with_pe[:1]:  # PE/PB of another vendor: a valuation series of its own
            items.append(_entry(s, f, SeriesKind.VALUATION, list(VALUATION_COLUMNS)))
    for relative in INDEX_FILES.values():
        series = _read(market, Path(relative))
        columns = [c for c in VALUE_COLUMNS if c in series.frame.columns]
        items.append(_entry(series, relative, SeriesKind.INDEX, columns))
    return items


def build(market: Path, out: Path) -> dict:
    """Write the sample's parquet file and provenance into ``out``; returns the provenance."""
    items = build_items(market)
    parts = []
    for item in items:
        frame = item["frame"].reset_index()
        frame.insert(0, "series", item["id"])
        parts.append(frame)
    table = pd.concat(parts, ignore_index=True)
    table["date"] = table["date"].astype("datetime64[us]")
    listed = read_code_names(market / NAMES_FILE)
    names = listed.loc[listed["code"].isin(REPORT_CODES)].sort_values("code")
    provenance = {
        "description": "coverbt's built-in sample of the report's market (see "
        "coverbt/data/sample.py); built by `python -m coverbt.data.sample_build`",
        "built_from": "../shared/market-data (unmodified public vendor exports)",
        "window": [SAMPLE_START.isoformat(), SAMPLE_END.isoformat()],
        "choice_window": [d.isoformat() for d in CHOICE_WINDOW],
        "series": [{k: v for k, v in item.items() if k != "frame"} for item in items],
        "names": dict(zip(names["code"], names["name"], strict=True)),
    }
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / PARQUET_NAME) as tmp:
        table.to_parquet(tmp, index=False, compression="zstd", compression_level=19)
    atomic_write_text(
        out / PROVENANCE_NAME, json.dumps(provenance, ensure_ascii=False, indent=1) + "\n"
    )
    return provenance


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    provenance = build(Path(argv[0]), Path(argv[1]))
    rows = sum(int(s["rows"]) for s in provenance["series"])
    print(f"sample: {len(provenance['series'])} series, {rows} rows -> {argv[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
