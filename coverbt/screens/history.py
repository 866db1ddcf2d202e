"""Append-only storage of screen runs: ``reports/screens/<screen>/``.

Layout::

    reports/screens/<screen>/history.jsonl              one line per stored run (append-only)
    reports/screens/<screen>/<as_of>/result-<hash>.parquet   the full table, never overwritten
    reports/screens/<screen>/<as_of>/screen.csv|html    rendering of the latest run of that date

A run's ``content_hash`` covers the screen definition and the whole result table. Storing a
run whose hash is already recorded for that date is a no-op (re-running is idempotent); a
different result for a stored date (new data, edited screen) is stored as a new version next
to the old one, and reads take the latest version of each date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from filelock import FileLock, Timeout

from coverbt.atomic import atomic_path
from coverbt.errors import InputError, LockedError
from coverbt.screens.run import ScreenResult

HISTORY_FILE = "history.jsonl"
LOCK_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class StoredRun:
    """One line of ``history.jsonl``."""

    screen: str
    as_of: str
    digest: str
    content_hash: str
    file: str
    stored_at: str
    top: int
    conditions: list[str]
    selected: list[str]

    @property
    def as_of_date(self) -> dt.date:
        return dt.date.fromisoformat(self.as_of)


def content_hash(result: ScreenResult) -> str:
    """Hash of the screen definition and the result table (stable across runs)."""
    text = result.digest + "\n" + result.table.to_csv(float_format="%.12g")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class ScreenHistory:
    """The stored runs of one screen."""

    def __init__(self, screens_root: Path, screen: str) -> None:
        self.folder = Path(screens_root) / screen
        self.screen = screen
        self._lock = FileLock(str(self.folder / ".lock"), timeout=LOCK_TIMEOUT_SECONDS)

    @property
    def history_file(self) -> Path:
        return self.folder / HISTORY_FILE

    def runs(self) -> list[StoredRun]:
        """Every stored run, in storage order."""
        if not self.history_file.exists():
            return []
        out = []
        lines = self.history_file.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                out.append(StoredRun(**json.loads(line)))
            except (json.JSONDecodeError, TypeError) as exc:
                raise InputError(
                    f"unreadable history line ({exc})",
                    source=self.history_file,
                    line=number,
                    expected="one JSON object per line, as written by coverbt screen",
                    fix="restore the file from a backup or remove the damaged line",
                ) from None
        return out

    def latest_per_date(self) -> dict[str, StoredRun]:
        """The latest stored version of each as-of date."""
        out: dict[str, StoredRun] = {}
        for run in self.runs():
            out[run.as_of] = run
        return out

    def previous(self, as_of: dt.date) -> StoredRun | None:
        """The latest stored run dated strictly before ``as_of``."""
        earlier = [r for d, r in self.latest_per_date().items() if d < as_of.isoformat()]
        return max(earlier, key=lambda r: r.as_of) if earlier else None

    def load(self, run: StoredRun) -> pd.DataFrame:
        """The stored table of a run (indexed by code)."""
        path = self.folder / run.file
        try:
            table = pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise InputError(
                f"stored screen result unreadable ({exc})",
                source=path,
                fix=f"delete the folder {path.parent} and re-run the screen for {run.as_of}",
            ) from None
        return table.set_index(table["code"].rename(None))

    def record(
        self, result: ScreenResult, now: dt.datetime | None = None
    ) -> tuple[StoredRun, bool]:
        """Store ``result`` unless the same content is already stored for its date.

        Returns the stored run and whether anything new was written.
        """
        digest = content_hash(result)
        day = result.as_of.isoformat()
        try:
            with self._lock:
                for run in self.runs():
                    if run.as_of == day and run.content_hash == digest:
                        return run, False
                run = StoredRun(
                    screen=result.screen,
                    as_of=day,
                    digest=result.digest,
                    content_hash=digest,
                    file=f"{day}/result-{digest}.parquet",
                    stored_at=(now or dt.datetime.now()).isoformat(timespec="seconds"),
                    top=result.top,
                    conditions=list(result.conditions),
                    selected=list(result.selected.index),
                )
                _write_parquet(result.table, self.folder / run.file)
                _append_line(self.history_file, json.dumps(asdict(run), ensure_ascii=False))
                return run, True
        except Timeout:
            raise LockedError(
                f"the history of screen {self.screen} is locked by another coverbt process "
                f"(lock file {self._lock.lock_file}); wait for it to finish"
            ) from None


def _write_parquet(table: pd.DataFrame, path: Path) -> None:
    frame = table.copy()
    frame.attrs = {}
    with atomic_path(path) as tmp:
        frame.reset_index(drop=True).to_parquet(tmp, index=False)


def _append_line(path: Path, line: str) -> None:
    """Append one line and fsync (the history is append-only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
