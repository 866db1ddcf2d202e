"""The console entry point: exit codes and no tracebacks, through a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _coverbt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from coverbt.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [("nosuch-command",), ("universe", "show", "--no-such-flag"), ("hitrate", "--horizons")],
)
def test_usage_errors_exit_2_without_traceback(args: tuple[str, ...], tmp_path: Path) -> None:
    result = _coverbt(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "Error" in result.stderr


def test_input_error_is_one_line_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "u.yaml"
    bad.write_text("report: [\n", encoding="utf-8")
    result = _coverbt("universe", "check", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}:2" in result.stderr.replace("\n", "")


def test_help_exits_0(tmp_path: Path) -> None:
    result = _coverbt("--help", cwd=tmp_path)
    assert result.returncode == 0 and "universe" in result.stdout


@pytest.mark.parametrize(
    "args", [("hitrate",), ("run", "--offline"), ("data", "update", "--offline")]
)
def test_default_universe_is_looked_up_in_the_workspace(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    workspace, elsewhere = tmp_path / "ws", tmp_path / "elsewhere"
    workspace.mkdir()
    elsewhere.mkdir()
    result = _coverbt(*args, "--workspace", str(workspace), cwd=elsewhere)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    expected = workspace / "universe" / "pingan_computer_2024_midyear.yaml"
    assert f"{expected}:filenotfound" in "".join(result.stderr.split())  # wrapped anywhere
