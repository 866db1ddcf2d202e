"""``coverbt screen``: the --json contract, the stored files, errors without tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _coverbt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "from coverbt.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.fixture()
def workspace(workspace_root: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(workspace_root, root)
    return root


def test_json_contract_over_two_dates(workspace: Path) -> None:
    first = _coverbt(
        "screen", "coverage_cheap_strong", "--as-of", "2024-09-30", "--json", cwd=workspace
    )
    assert first.returncode == 0, first.stderr
    second = _coverbt(
        "screen", "coverage_cheap_strong", "--as-of", "2024-11-29", "--json", cwd=workspace
    )
    payload = json.loads(second.stdout)
    assert list(payload) == ["screen", "as_of", "rows", "entered", "left"]
    assert payload["as_of"] == "2024-11-29"
    assert [r["code"] for r in payload["rows"]] == ["300496", "002439"]
    assert set(payload["rows"][0]) == {"code", "name", "score", "values"}
    assert set(payload["rows"][0]["values"]) == {"rating", "fy1_pe", "pe_fy1_now", "rs_20d_csi300"}
    assert payload["entered"] == []
    left = {c["code"]: c for c in payload["left"]}
    assert set(left) == {"000034", "000938", "002230", "688111"}
    assert left["000034"]["flipped"] == [
        "fy1_pe > 0 and pe_fy1_now <= 1.1 * fy1_pe",
        "rs_20d_csi300 > 0",
    ]
    folder = workspace / "reports" / "screens" / "coverage_cheap_strong" / "2024-11-29"
    assert (folder / "screen.csv").read_text(encoding="utf-8").startswith("code,rank,name,score")
    assert "Left since 2024-09-30 (4)" in (folder / "screen.html").read_text(encoding="utf-8")
    index = (workspace / "reports" / "index.html").read_text(encoding="utf-8")  # refreshed
    assert index.index("coverage_cheap_strong/2024-11-29/screen.html") < index.index(
        "coverage_cheap_strong/2024-09-30/screen.html"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("screen", "coverage_cheap_strong", "--as-of", "30/09/2024"), "--as-of: not a date"),
        (("screen", "nope"), "no screen named 'nope'"),
        (("screen", "coverage_cheap_strong", "--all", "--universe", "u.yaml"), "exclude"),
    ],
)
def test_bad_input_exits_2_without_traceback(workspace: Path, args, message: str) -> None:
    done = _coverbt(*args, cwd=workspace)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
