"""The workspace's ``reports/`` lock: one writer at a time, the others wait their turn.

``coverbt run``, ``backtest`` and ``report`` write the same files (a run folder named by the
digest of its inputs, its tearsheets and charts, ``reports/index.html``), so each write
(:func:`coverbt.backtest.folder.write_run`, :func:`coverbt.reports.build_run_report`,
:func:`coverbt.reports.write_scorecard_report`, :func:`coverbt.reports.write_index`) holds
:func:`reports_lock`. A second command that finds the lock taken says so once on stderr
(``another coverbt command is writing reports (pid 123: coverbt run --offline); waiting``),
waits, then proceeds; after ``timeout`` seconds it fails with
:class:`~coverbt.errors.LockedError`. The lock is reentrant within a process, and the
operating system releases it when its holder dies, even by SIGKILL.

While it holds the lock a writer may sweep what a killed writer left behind
(:func:`sweep_temporaries`): nobody else is writing then.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from coverbt.errors import LockedError

LOCK_NAME = ".coverbt.lock"
OWNER_NAME = ".coverbt.lock.owner"
REPORTS_LOCK_TIMEOUT_SECONDS = 600.0
_POLL_SECONDS = 0.1
TEMP_SUFFIX = ".tmp"
# ``tempfile.mkdtemp(prefix=f".{run_id}.")`` and ``f".{run_id}.old."`` of a run-folder writer
_RUN_TEMP_DIR = re.compile(r"^\..+-[0-9a-f]{12}\.(old\.)?[A-Za-z0-9_]+$")

Notify = Callable[[str], None]
_log = logging.getLogger(__name__)


def lock_owner(folder: Path) -> str:
    """Who last took the lock of ``folder`` ("pid 123: coverbt run"), or "unknown"."""
    try:
        text = (Path(folder) / OWNER_NAME).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return "pid unknown"
    return text or "pid unknown"


@contextmanager
def reports_lock(
    reports_dir: Path,
    *,
    timeout: float = REPORTS_LOCK_TIMEOUT_SECONDS,
    notify: Notify | None = None,
) -> Iterator[None]:
    """Hold ``reports/.coverbt.lock`` for the block (see the module docstring).

    Parameters
    ----------
    reports_dir : the workspace's ``reports/`` folder (created when missing).
    timeout : seconds to wait for another process before :class:`LockedError`.
    notify : receives the one "waiting" line (default: a ``coverbt`` log notice, which
        the CLI prints on stderr).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "reports"
    >>> with reports_lock(folder):
    ...     with reports_lock(folder):  # reentrant in one process
    ...         (folder / LOCK_NAME).exists()
    True
    """
    folder = Path(reports_dir)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / LOCK_NAME), is_singleton=True)
    first = not lock.is_locked
    try:
        lock.acquire(timeout=0)
    except Timeout:
        (notify or _log.info)(
            f"another coverbt command is writing {folder} ({lock_owner(folder)}); waiting "
            f"up to {timeout:.0f} s"
        )
        try:
            lock.acquire(timeout=timeout, poll_interval=_POLL_SECONDS)
        except Timeout:
            raise LockedError(
                f"{folder} is still locked by another coverbt command ({lock_owner(folder)}) "
                f"after {timeout:.0f} s (lock file {folder / LOCK_NAME}). Fix: wait for it to "
                "finish and run this command again; a lock whose process has ended is "
                "released by the system"
            ) from None
    try:
        if first:
            _write_owner(folder)
        yield
    finally:
        lock.release()


def _write_owner(folder: Path) -> None:
    command = " ".join(["coverbt", *sys.argv[1:]]) if sys.argv else "coverbt"
    (folder / OWNER_NAME).write_text(f"pid {os.getpid()}: {command}\n", encoding="utf-8")


def sweep_temporaries(folder: Path) -> list[Path]:
    """Remove what killed writers left in ``folder``: ``.*.tmp`` files, ``.<run-id>.*`` folders.

    Call only while holding :func:`reports_lock`. A run folder moved aside by a writer that
    was killed before it moved the new one in (``.<run-id>.old.*/<run-id>``) is moved back
    first, so no finished run is lost. Returns the paths removed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for path in sorted(folder.iterdir()):
        name = path.name
        if path.is_dir() and not path.is_symlink() and _RUN_TEMP_DIR.match(name):
            _restore_moved_aside(path, folder)
            shutil.rmtree(path)
            removed.append(path)
        elif name.startswith(".") and name.endswith(TEMP_SUFFIX) and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _restore_moved_aside(temp_dir: Path, folder: Path) -> None:
    if ".old." not in temp_dir.name:
        return
    for child in temp_dir.iterdir():
        target = folder / child.name
        if child.is_dir() and not target.exists():
            os.replace(child, target)
