"""Reading ``.tar.gz`` archives of vendor CSVs, safely.

An archive is checked to its very end (:func:`scan_tar`) before anything from it is
imported: a damaged or truncated archive (a bad header, a deflate error, a gzip CRC
mismatch, data after the end-of-archive marker) is one :class:`InputError` naming the
archive and the last member read, and nothing from it is imported. Sizes are bounded so
a hostile archive is refused quickly and in bounded memory: one member may hold at most
:data:`MAX_FILE_BYTES`, and the whole archive may expand at most :data:`MAX_EXPANSION`
times its size (beyond :data:`EXPANSION_ALLOWANCE`).
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

from coverbt.errors import InputError

# Bounds on what an import reads, so a hostile file is refused quickly in bounded memory.
MAX_FILE_BYTES = 256 * 2**20  # one CSV (the largest real one is ~160 KB)
MAX_EXPANSION = 50  # decompressed bytes per archive byte (the real archives expand ~3x)
EXPANSION_ALLOWANCE = 16 * 2**20  # a small archive may expand this much whatever its ratio
_SKIP_CHUNK = 1 << 16


def _damaged(path: Path, last: str, why: str, committed: bool) -> InputError:
    after = f" after member {last}" if last else " before its first member"
    done = (
        f"the members up to {last} were imported"
        if committed and last
        else "nothing from it was imported"
    )
    return InputError(
        f"damaged or truncated archive: it stops being readable{after} ({why}); {done}",
        source=path,
        expected="a complete .tar.gz of CSV files",
        fix="copy or download the archive again",
    )


def _walk_tar(path: Path, *, committed: bool) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
    """Every CSV member of an archive, checked to the very end of its compressed stream.

    Raises :class:`InputError` for a damaged or truncated archive (naming the last member
    read), a member above :data:`MAX_FILE_BYTES`, or more expansion than
    :data:`MAX_EXPANSION` allows (a decompression bomb). Memory stays bounded: skipped
    data is decompressed in small chunks, never held.
    """
    limit = max(path.stat().st_size * MAX_EXPANSION, EXPANSION_ALLOWANCE)
    last = ""
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                _check_member(path, member, limit)
                if member.isfile() and member.name.endswith(".csv"):
                    yield archive, member
                last = member.name
            _check_end(archive, limit)
    except (tarfile.TarError, EOFError, OSError, zlib.error, ValueError) as exc:
        raise _damaged(path, last, f"{type(exc).__name__}: {exc}", committed) from None


def _check_member(path: Path, member: tarfile.TarInfo, limit: int) -> None:
    origin = f"{path}!{member.name}"
    if member.isfile() and member.size > MAX_FILE_BYTES:
        raise InputError(
            f"member of {member.size:,} bytes refused (limit {MAX_FILE_BYTES:,}); nothing "
            "from the archive was imported",
            source=origin,
            expected="CSV files of at most 256 MiB",
            fix="split the file, or check where the archive came from (a decompression bomb?)",
        )
    if member.offset_data + member.size > limit:
        raise InputError(
            f"the archive expands to more than {limit:,} bytes, over {MAX_EXPANSION} times "
            "its size; refused as a possible decompression bomb, nothing was imported",
            source=origin,
            expected=f"an archive expanding at most {MAX_EXPANSION} times",
            fix="check where the archive came from, or import its files unpacked",
        )


def _check_end(archive: tarfile.TarFile, limit: int) -> None:
    """After the end-of-archive marker only zero padding may follow, up to the gzip end
    (reading it makes gzip check its CRC: corruption after the last member is found)."""
    stream = archive.fileobj
    if stream is None:
        return
    seen = archive.offset
    while chunk := stream.read(_SKIP_CHUNK):
        seen += len(chunk)
        if chunk.count(0) != len(chunk):
            raise tarfile.ReadError("data that is not a tar header where a member should begin")
        if seen > limit:
            raise tarfile.ReadError(f"more than {limit:,} bytes of padding")


@lru_cache(maxsize=32)
def scan_tar(path: Path, _size: int, _mtime_ns: int) -> int:
    """Check a whole archive before anything from it is imported; its CSV member count."""
    return sum(1 for _ in _walk_tar(path, committed=False))


def iter_tar(
    path: Path, on_error: Callable[[InputError], None] | None
) -> Iterator[tuple[str, str]]:
    stat = path.stat()
    scan_tar(path, stat.st_size, stat.st_mtime_ns)  # raises before anything is yielded
    for archive, member in _walk_tar(path, committed=True):
        handle = archive.extractfile(member)
        if handle is None:
            continue
        origin = f"{path}!{member.name}"
        try:
            text = handle.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            bad = InputError("not UTF-8 text", source=origin, fix="re-export the file as UTF-8")
            if on_error is None:
                raise bad from None
            on_error(bad)  # the other members are still read
            continue
        yield origin, text
