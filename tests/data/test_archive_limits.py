"""Damaged, truncated and bomb archives are refused whole, quickly and in bounded memory
(issue 11, cases 3 and 4)."""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
import time
import tracemalloc
from pathlib import Path

import pytest

from coverbt.data.archive import MAX_FILE_BYTES
from coverbt.data.importer import ImportSummary
from coverbt.data.store import import_path, open_store
from coverbt.data.trading_calendar import last_known_day
from coverbt.data.vendor import iter_vendor_texts

# The shared files end before the calendar's last known day: importing them must not depend
# on the day the tests run (the suite may run with the clock moved), so tests that are not
# about the date bound import with ``latest`` at that day.
ANY_DAY = last_known_day().date()


def _import(cache: Path, path: Path, **kwargs: bool) -> ImportSummary:
    return import_path(cache, path, latest=ANY_DAY, **kwargs)


TUSHARE_ARCHIVE = "cross-section/tushare_3020_stocks.tar.gz"


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _small_archive(tmp_path: Path, market_data_dir: Path) -> bytes:
    members = {
        f"data/{c}.csv": (market_data_dir / f"stock/tushare/{c}.csv").read_bytes()
        for c in ("000034", "000099", "000938", "000977", "002230", "002261")
    }
    return _tar(tmp_path / "whole.tar.gz", members).read_bytes()


def _flip(data: bytes, offset: int, n: int = 64) -> bytes:
    return data[:offset] + bytes(b ^ 0xFF for b in data[offset : offset + n]) + data[offset + n :]


@pytest.mark.parametrize("where", [0.3, 0.6, 0.9])
def test_flipped_bytes_refuse_the_whole_archive(
    where: float, tmp_path: Path, market_data_dir: Path
) -> None:
    whole = _small_archive(tmp_path, market_data_dir)
    bad = tmp_path / "flipped.tar.gz"
    bad.write_bytes(_flip(whole, int(len(whole) * where)))
    summary = _import(tmp_path / "cache", bad)
    [error] = summary.errors
    assert str(error).startswith(f"{bad}: damaged or truncated archive")
    assert "nothing from it was imported" in str(error)
    assert summary.files == 0 and not (tmp_path / "cache" / "segments").exists()


def test_the_real_archive_with_64_bytes_flipped_is_refused(
    tmp_path: Path, market_data_dir: Path
) -> None:
    copy = tmp_path / "tushare_3020_stocks.tar.gz"
    shutil.copyfile(market_data_dir / TUSHARE_ARCHIVE, copy)
    copy.write_bytes(_flip(copy.read_bytes(), 20_000_000))
    errors = []
    texts = list(iter_vendor_texts(copy, on_error=errors.append))
    assert texts == [] and len(errors) == 1
    assert "damaged or truncated archive: it stops being readable after member data/" in str(
        errors[0]
    )


def test_a_truncated_archive_names_the_last_member(tmp_path: Path, market_data_dir: Path) -> None:
    whole = _small_archive(tmp_path, market_data_dir)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    [error] = _import(tmp_path / "cache", cut).errors
    assert "after member data/" in str(error) and "EOFError" in str(error)


def _bomb(path: Path, size: int) -> Path:
    """A gzip of one tar member claiming ``size`` bytes, of which only 1 MiB exists."""
    info = tarfile.TarInfo("data/600000.csv")
    info.size = size
    with gzip.open(path, "wb") as out:
        out.write(info.tobuf(format=tarfile.GNU_FORMAT))
        out.write(b"0" * 2**20)
    return path


def _bounded(call: object) -> tuple[float, int]:
    tracemalloc.start()
    clock = time.perf_counter()
    call()  # type: ignore[operator]
    seconds = time.perf_counter() - clock
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak


def test_a_member_above_the_size_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "bomb.tar.gz", 2 * 2**30)
    result: list[object] = []
    seconds, peak = _bounded(lambda: result.append(_import(tmp_path / "cache", bomb)))
    [error] = result[0].errors  # type: ignore[attr-defined]
    assert f"member of {2 * 2**30:,} bytes refused (limit {MAX_FILE_BYTES:,})" in str(error)
    assert str(error).startswith(f"{bomb}!data/600000.csv:")
    assert seconds < 10 and peak < 64 * 2**20


def test_a_highly_compressed_archive_is_refused_as_a_bomb(tmp_path: Path) -> None:
    """40 MiB of zeros in a tiny gzip: over the expansion bound, refused before parsing."""
    bomb = _tar(tmp_path / "zeros.tar.gz", {"data/600000.csv": b"0" * (40 * 2**20)})
    assert bomb.stat().st_size < 2**20
    result: list[object] = []
    seconds, peak = _bounded(lambda: result.append(_import(tmp_path / "cache", bomb)))
    [error] = result[0].errors  # type: ignore[attr-defined]
    assert "decompression bomb" in str(error) and "nothing was imported" in str(error)
    assert seconds < 10 and peak < 64 * 2**20


def test_a_good_archive_still_imports(tmp_path: Path, market_data_dir: Path) -> None:
    archive = tmp_path / "good.tar.gz"
    archive.write_bytes(_small_archive(tmp_path, market_data_dir))
    summary = _import(tmp_path / "cache", archive)
    assert summary.ok and summary.outcomes["new"] == 6
    assert len(open_store(tmp_path / "cache", seed=False).catalog()) == 6
