"""A disk or a workspace that refuses a write is one line with the path and a fix, exit 4.

Cases of issue 11: ``reports`` being a file, ``reports/index.html`` being a folder, a
read-only or full ``reports/`` (simulated: tests run as root, where chmod does not stop a
write, so ``os.replace`` is made to fail as the kernel would), a full disk under the ledger
and a zeroed or garbage ledger. Each leaves the previous files as they were.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from coverbt.atomic import atomic_path
from coverbt.cli import main
from coverbt.errors import EXIT_ENVIRONMENT, EnvironmentProblem
from coverbt.oserrors import environment_problem
from coverbt.revisions import ledger as ledger_module
from coverbt.revisions.ledger import Ledger

UNIVERSE = Path(__file__).resolve().parent.parent / "universe"


def _coverbt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from coverbt.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": "400"},
    )


def _main(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys) -> tuple[int, str]:
    """Run ``coverbt ARGS`` in this process; (exit code, stderr)."""
    monkeypatch.setattr(sys, "argv", ["coverbt", *args])
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.delenv("COVERBT_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exited:
        main()
    return int(exited.value.code or 0), capsys.readouterr().err


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert "Fix:" in errors[0]
    return errors[0]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "universe").symlink_to(UNIVERSE)
    return tmp_path


def test_reports_being_a_file(workspace: Path) -> None:
    (workspace / "reports").write_text("not a folder", encoding="utf-8")
    result = _coverbt("report", cwd=workspace)
    assert result.returncode == EXIT_ENVIRONMENT
    line = _one_error_line(result.stderr)
    assert "reports: cannot write" in line and "move the file reports aside" in line
    assert (workspace / "reports").read_text(encoding="utf-8") == "not a folder"


def test_index_page_being_a_folder(workspace: Path) -> None:
    (workspace / "reports" / "index.html").mkdir(parents=True)
    result = _coverbt("report", cwd=workspace)
    assert result.returncode == EXIT_ENVIRONMENT
    line = _one_error_line(result.stderr)
    assert "reports/index.html: cannot write: is a folder" in line
    assert [p.name for p in (workspace / "reports").glob(".*.tmp")] == []


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (errno.EROFS, "the file system is read-only"),
        (errno.ENOSPC, "no space left on the device"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_unwritable_reports_keeps_the_old_index(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys, code: int, said: str
) -> None:
    reports = workspace / "reports"
    reports.mkdir()
    (reports / "index.html").write_text("<html>old</html>", encoding="utf-8")

    def refuse(src: object, dst: object) -> None:
        raise OSError(code, os.strerror(code), str(src), None, str(dst))

    monkeypatch.setattr(os, "replace", refuse)
    status, stderr = _main(["report", "--workspace", str(workspace)], monkeypatch, capsys)
    assert status == EXIT_ENVIRONMENT
    line = _one_error_line(stderr)
    assert f"{reports / 'index.html'}: cannot write: {said}" in line
    assert (reports / "index.html").read_text(encoding="utf-8") == "<html>old</html>"
    assert list(reports.glob(".*.tmp")) == []


def test_unknown_os_error_is_still_reported_as_a_bug(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    def refuse(src: object, dst: object) -> None:
        raise OSError(errno.EBADF, "Bad file descriptor", str(src))

    monkeypatch.setattr(os, "replace", refuse)
    status, stderr = _main(["report", "--workspace", str(workspace)], monkeypatch, capsys)
    assert status == 1 and "internal error: OSError" in stderr


@pytest.mark.parametrize("content", [b"", b"\x00" * 4096, b"garbage, not a database" * 50])
def test_zeroed_or_garbage_ledger(workspace: Path, content: bytes) -> None:
    cache = workspace / "data_cache"
    cache.mkdir()
    (cache / "ledger.duckdb").write_bytes(content)
    for args in (("revisions", "ingest"), ("revisions", "--as-of", "2024-12-31", "--json")):
        result = _coverbt(*args, cwd=workspace)
        assert result.returncode == EXIT_ENVIRONMENT, result.stderr
        line = _one_error_line(result.stderr)
        assert "data_cache/ledger.duckdb: not a DuckDB database" in line
        assert f"({len(content):,} bytes" in line or "(0 bytes" in line
    assert (cache / "ledger.duckdb").read_bytes() == content


def test_full_disk_under_the_ledger_keeps_its_rows(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    status, _ = _main(["revisions", "ingest", "--workspace", str(workspace)], monkeypatch, capsys)
    assert status == 0
    ledger = Ledger.in_cache(workspace / "data_cache")
    before = ledger.rows()

    def full(*_args: object, **_kwargs: object) -> None:
        raise duckdb.IOException(
            f'Could not write file "{ledger.path}.wal": No space left on device'
        )

    monkeypatch.setattr(ledger_module, "_append", full)
    with pytest.raises(EnvironmentProblem, match="no space left on the device"):
        ledger.ingest([], origin="test")
    status, stderr = _main(
        ["revisions", "ingest", "--workspace", str(workspace)], monkeypatch, capsys
    )
    assert status == EXIT_ENVIRONMENT
    assert "ledger.duckdb: cannot write the ledger: no space left" in _one_error_line(stderr)
    assert ledger.rows().equals(before)


def test_full_disk_inside_an_atomic_write_names_the_target(tmp_path: Path) -> None:
    """A writer (matplotlib, pandas) that hits ENOSPC without a file name: the error names
    the file being written, and the old file stays."""
    target = tmp_path / "reports" / "equity.png"
    target.parent.mkdir()
    target.write_bytes(b"old")
    with pytest.raises(OSError) as caught, atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")
    problem = environment_problem(caught.value)
    assert problem is not None
    assert str(problem).startswith(f"{target}: cannot write: no space left on the device. Fix:")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["equity.png"]
