"""Reports and the data cache follow the umask: others can read them unless the user says no."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from coverbt.atomic import atomic_write_text, temp_dir, temp_file

MODES = {0o022: (0o644, 0o755), 0o077: (0o600, 0o700), 0o002: (0o664, 0o775)}


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    found = {str(root.name): stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root.parent))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def _wrong(root: Path, file_mode: int, dir_mode: int) -> dict[str, str]:
    wrong = {}
    for name, mode in _modes(root).items():
        path = root.parent / name
        want = dir_mode if path.is_dir() else file_mode
        if mode != want:
            wrong[name] = f"{mode:o} (want {want:o})"
    return wrong


@pytest.mark.parametrize("mask", sorted(MODES))
def test_atomic_writers_follow_the_umask(tmp_path: Path, mask: int) -> None:
    file_mode, dir_mode = MODES[mask]
    with _umask(mask):
        atomic_write_text(tmp_path / "out" / "page.html", "<p>hi</p>")
        folder = temp_dir(tmp_path, prefix=".run.")
        tmp = temp_file(folder, prefix=".x.", suffix=".tmp")
    assert stat.S_IMODE((tmp_path / "out" / "page.html").stat().st_mode) == file_mode
    assert stat.S_IMODE(folder.stat().st_mode) == dir_mode
    assert stat.S_IMODE(tmp.stat().st_mode) == file_mode
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["page.html"]  # no temp left


@pytest.mark.slow
@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_backtest_outputs_and_cache_follow_the_umask(
    tmp_path: Path, repo_root: Path, report_cache_filler: Callable[[Path], None], mask: int
) -> None:
    file_mode, dir_mode = MODES[mask]
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copytree(repo_root / "universe", ws / "universe")
    shutil.copytree(repo_root / "strategies", ws / "strategies")
    with _umask(mask):
        report_cache_filler(ws / "data_cache")
    command = ("backtest", "coverage_equal", "--json")
    done = subprocess.run(
        [sys.executable, "-c", "from coverbt.cli import main; main()", *command],
        cwd=ws,
        capture_output=True,
        text=True,
        check=False,
        umask=mask,
    )
    assert done.returncode == 0, done.stderr
    assert any(p.suffix == ".png" for p in (ws / "reports").rglob("*"))
    assert any(p.suffix == ".parquet" for p in (ws / "data_cache").rglob("*"))
    for root in (ws / "reports", ws / "data_cache"):
        assert _wrong(root, file_mode, dir_mode) == {}
