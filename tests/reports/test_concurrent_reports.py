"""Two ``coverbt report RUN`` of one run folder at once: both succeed (issue 11).

Before the reports lock, both wrote the tearsheet through one fixed temporary name and the
second failed with an internal FileNotFoundError on it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.slow
def test_two_reports_of_one_run_at_once(run_dir: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    folder = reports / run_dir.name
    shutil.copytree(run_dir, folder)
    procs = []
    for _ in range(2):
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from coverbt.cli import main; main()",
                    "report",
                    str(folder),
                    "--workspace",
                    str(tmp_path),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        time.sleep(1.0)
    results = [proc.communicate(timeout=600) for proc in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
    assert (folder / "report.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert (reports / "index.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert [p.name for p in folder.glob(".*")] == []
    assert [p.name for p in reports.glob(".*") if "lock" not in p.name] == []
