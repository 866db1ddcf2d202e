"""Long commands show progress on a terminal's stderr, and nothing anywhere else."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from coverbt.cli import app
from coverbt.cli.progress import import_step, progress_bar

BAR = "━"
TIMEOUT_SECONDS = 120


def _screen() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=120)


def _written(console: Console) -> str:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


def test_bar_shows_the_step_on_a_terminal() -> None:
    screen = _screen()
    with progress_bar("import: counting", console=screen) as update:
        step = import_step(update)
        step("/x/tushare_3020_stocks.tar.gz!data/601665.csv", 1200, 3021)
    shown = _written(screen)
    assert "import tushare_3020_stocks.tar.gz" in shown
    assert "1200/3021" in shown and "601665.csv" in shown and BAR in shown


def test_run_steps_are_described() -> None:
    screen = _screen()
    with progress_bar("run: starting", console=screen) as update:
        update("run: backtest theme_compute", 4, 16)
    shown = _written(screen)
    assert "run: backtest theme_compute" in shown and "4/16" in shown


def test_bar_is_quiet_off_a_terminal_or_when_asked() -> None:
    for screen, quiet in ((Console(file=io.StringIO(), force_terminal=False), False),
                          (_screen(), True)):  # fmt: skip
        with progress_bar("run: starting", console=screen, quiet=quiet) as update:
            update("run: backtest theme_compute", 4, 16)
        assert _written(screen) == ""


def test_import_prints_no_progress_when_captured(tmp_path: Path, market_data_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["data", "import", str(market_data_dir / "index"), "--workspace", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert BAR not in result.output and "counting" not in result.output
    assert result.output.startswith("read 5 files")


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run coverbt with stderr on a pseudo-terminal; return its exit code and stderr."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    with subprocess.Popen(
        [sys.executable, "-c", "from coverbt.cli import main; main()", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env=env,
    ) as proc:
        os.close(follower)
        chunks = []
        while True:
            ready, _, _ = select.select([leader], [], [], TIMEOUT_SECONDS)
            if not ready:
                proc.kill()
                break
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closes when the child exits (EIO on Linux)
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = proc.wait(TIMEOUT_SECONDS)
    os.close(leader)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_import_shows_progress_on_a_terminal_and_not_with_json(
    tmp_path: Path, market_data_dir: Path
) -> None:
    source = str(market_data_dir / "index")
    code, stderr = _on_a_terminal(["data", "import", source], tmp_path)
    assert code == 0, stderr
    assert "import index/" in stderr and "5/5" in stderr and BAR in stderr
    code, stderr = _on_a_terminal(["data", "import", source, "--json"], tmp_path)
    assert code == 0, stderr
    assert BAR not in stderr and "import" not in stderr
