"""Runs are told apart: the index shows each run's options that differ from its strategy
file, how many names it held and which it did not; the run page says the same."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from coverbt.reports import build_run_report, write_index
from coverbt.reports.run_folder import changed_parameters

SPEC = {"costs": "a_share_default", "capital": 5_000_000.0}
NOT_HELD = [
    {
        "code": "688111",
        "name": "金山办公",
        "status": "never held",
        "reason": "target below one lot (163 shares wanted)",
        "target_weight": 0.04,
        "cash_weight": 0.04,
        "dates": ["2024-06-24"],
    }
]


def _params(**changed: object) -> dict[str, object]:
    base = {"start": None, "end": None, "no_costs": False, "fractional": False}
    return {**base, "profile": "a_share_default", "capital": 5_000_000.0, **changed}


def _copy(run_dir: Path, root: Path, run_id: str, params: dict, held: int, rows: list) -> Path:  # type: ignore[type-arg]
    folder = root / run_id
    shutil.copytree(run_dir, folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["run_id"] = run_id
    manifest["strategy"] = {"name": "coverage_equal", "spec": SPEC}
    manifest["parameters"] = params
    manifest["not_held"] = rows
    manifest["summary"] = {**manifest["summary"], "held": held, "names": 25, "not_held": rows}
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return folder


@pytest.fixture(scope="module")
def reports(run_dir: Path, tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("two-runs")
    _copy(run_dir, root, "coverage_equal-aaaa", _params(), 25, [])
    _copy(
        run_dir, root, "coverage_equal-bbbb",
        _params(fractional=True, no_costs=True, profile="no_costs", capital=1e6), 23, NOT_HELD,
    )  # fmt: skip
    return root


def _row(html: str, run_id: str) -> str:
    found = re.search(rf"<tr><td>(<a [^>]*>)?{run_id}(</a>)?</td>.*?</tr>", html)
    assert found, run_id
    return found.group(0)


def test_two_runs_of_one_strategy_are_told_apart(reports: Path) -> None:
    html = write_index(reports).read_text(encoding="utf-8")
    plain, other = _row(html, "coverage_equal-aaaa"), _row(html, "coverage_equal-bbbb")
    assert "as in the file" in plain and "25 of 25" in plain
    assert "no costs, fractional, capital 1,000,000" in other
    assert "23 of 25" in other and "688111 never held (4.00% cash)" in other
    assert plain.split("</td>", 3)[2] != other.split("</td>", 3)[2]  # the options cells


def test_run_page_says_held_of_and_lists_the_omission(reports: Path) -> None:
    page = build_run_report(reports / "coverage_equal-bbbb").page.read_text(encoding="utf-8")
    assert "held 23 of 25 names, capital 1,000,000 CNY" in page
    assert "options: no costs, fractional, capital 1,000,000" in page
    section = page[page.index("Not held as planned") :]
    assert "688111" in section and "target below one lot (163 shares wanted)" in section
    assert "4.00%" in section


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (_params(), []),
        (_params(profile="no_costs"), ["costs no_costs"]),
        (_params(capital=5_000_000.0, start="2024-07-01"), ["start 2024-07-01"]),
        (_params(capital=2e6, end="2024-09-30"), ["capital 2,000,000", "end 2024-09-30"]),
    ],
    ids=["as-in-file", "costs", "start", "capital-and-end"],
)
def test_changed_parameters(params: dict, expected: list[str]) -> None:  # type: ignore[type-arg]
    manifest = {"strategy": {"spec": SPEC}, "parameters": params}
    assert changed_parameters(manifest) == expected


def test_a_capital_the_file_sets_is_shown() -> None:
    manifest = {"strategy": {"spec": {**SPEC, "capital": 1e6}}, "parameters": _params(capital=1e6)}
    assert changed_parameters(manifest) == ["capital 1,000,000 (file)"]


def test_older_manifests_do_not_break_the_index(run_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(run_dir, tmp_path / "old-run")  # no parameters, held or not_held
    html = write_index(tmp_path).read_text(encoding="utf-8")
    assert "not recorded (older run)" in _row(html, "2024-equal-weight")
