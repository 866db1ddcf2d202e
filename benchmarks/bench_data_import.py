"""Import the 3,020-stock Tushare archive into a temporary cache, then read every bar back.

Prints rows, seconds and rows/s for both steps, measured in this one run. Targets on the
2-core box: import under 60 s, reading every bar under 2 s. Usage::

    python benchmarks/bench_data_import.py [--shared ../shared/market-data]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from coverbt.data.store import import_path, open_store

ARCHIVE = "cross-section/tushare_3020_stocks.tar.gz"
IMPORT_TARGET_S = 60.0
READ_TARGET_S = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default = Path(__file__).resolve().parents[1].parent / "shared" / "market-data"
    parser.add_argument("--shared", type=Path, default=default)
    args = parser.parse_args()
    archive = args.shared / ARCHIVE
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "data_cache"
        t0 = time.perf_counter()
        summary = import_path(cache, archive)
        t_import = time.perf_counter() - t0
        if not summary.ok:
            raise SystemExit(f"import reported errors: {summary.errors[:3]}")

        store = open_store(cache)
        t0 = time.perf_counter()
        rows = series = 0
        for item in store.read_all():
            rows += len(item.frame)
            series += 1
        t_read_all = time.perf_counter() - t0

        t0 = time.perf_counter()
        one_by_one = sum(len(store.read(e).frame) for e in open_store(cache).entries())
        t_read_each = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())

    print(f"archive: {archive.name}, {summary.files} files, {summary.rows:,} rows")
    print(
        f"import:          {t_import:7.2f} s  {summary.rows / t_import:12,.0f} rows/s"
        f"  (target < {IMPORT_TARGET_S:.0f} s: {'met' if t_import < IMPORT_TARGET_S else 'MISSED'})"
    )
    print(
        f"read all (bulk): {t_read_all:7.2f} s  {rows / t_read_all:12,.0f} rows/s  {series} series"
        f"  (target < {READ_TARGET_S:.0f} s: {'met' if t_read_all < READ_TARGET_S else 'MISSED'})"
    )
    print(
        f"read one by one: {t_read_each:7.2f} s  {one_by_one / t_read_each:12,.0f} rows/s"
        "  (store.read per series, cold store)"
    )
    print(
        f"cache size: {size / 1e6:.1f} MB; import/read-all time ratio {t_import / t_read_all:.0f}x"
    )


if __name__ == "__main__":
    main()
