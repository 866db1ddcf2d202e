"""Atomic file writes: a crash leaves either the old file or the new one, never half of one.

Everything coverbt writes outside the market-data cache (pages, charts, screen results,
universe files) goes through :func:`atomic_path`. The cache's segments keep their own
temporary names, which its crash clean-up recognises (:mod:`coverbt.data.segments`).

Temporary files and folders are created like ``open()`` and ``mkdir`` create them (modes
0o666 and 0o777 less the umask), not private like :mod:`tempfile`'s (0o600, 0o700): once
renamed into place they are the report, and others must be able to read it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``; on success it is synced and renamed onto ``path``.

    On any failure inside the block the temporary file is removed and ``path`` is untouched.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done", encoding="utf-8")
    >>> target.read_text(encoding="utf-8")
    'done'
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_file(path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        yield tmp
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # a full or read-only disk: the error names the target
        tmp.unlink(missing_ok=True)
        if exc.filename is None and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


FILE_MODE = 0o666  # as open() creates files; the umask takes its bits off
DIR_MODE = 0o777  # as mkdir creates folders
_ATTEMPTS = 100


def temp_file(directory: Path, prefix: str, suffix: str = "") -> Path:
    """Create an empty file with a new unique name in ``directory`` and return its path.

    Its mode is :data:`FILE_MODE` less the umask (0o644 under umask 022), unlike
    :func:`tempfile.mkstemp`'s 0o600.

    Examples
    --------
    >>> import tempfile
    >>> tmp = temp_file(Path(tempfile.mkdtemp()), prefix=".x.", suffix=".tmp")
    >>> tmp.name.startswith(".x."), tmp.stat().st_size
    (True, 0)
    """

    def create(path: Path) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        os.close(os.open(path, flags, FILE_MODE))

    return _create_unique(directory, prefix, suffix, create)


def temp_dir(directory: Path, prefix: str) -> Path:
    """Create a folder with a new unique name in ``directory`` and return its path.

    Its mode is :data:`DIR_MODE` less the umask (0o755 under umask 022), unlike
    :func:`tempfile.mkdtemp`'s 0o700.
    """
    return _create_unique(directory, prefix, "", lambda path: path.mkdir(DIR_MODE))


def _create_unique(
    directory: Path, prefix: str, suffix: str, create: Callable[[Path], None]
) -> Path:
    for _ in range(_ATTEMPTS):
        path = directory / f"{prefix}{secrets.token_hex(8)}{suffix}"
        try:
            create(path)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free temporary name {prefix}*{suffix} in {directory}")
