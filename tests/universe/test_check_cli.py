"""Malformed universe files through the real CLI entry: one message, exit 2, no traceback.

Each case edits one spot of the committed file, so the line the message must name is the
line of that edit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coverbt.cli import main


@pytest.fixture
def check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``coverbt universe check FILE`` in-process: (exit code, stdout, stderr)."""

    def run(path: Path) -> tuple[int | str | None, str, str]:
        monkeypatch.setattr(sys, "argv", ["coverbt", "universe", "check", str(path)])
        try:
            main()
            code: int | str | None = 0
        except SystemExit as stop:
            code = stop.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def _edit(
    universe_file: Path, tmp_path: Path, old: str, new: str, nth: int = 1
) -> tuple[Path, int]:
    """Replace the ``nth`` occurrence of ``old``; return the file and the edited line."""
    text = universe_file.read_text(encoding="utf-8")
    at = -1
    for _ in range(nth):
        at = text.index(old, at + 1)
    path = tmp_path / "bad.yaml"
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return path, text[:at].count("\n") + 1


def _one_clean_message(err: str, path: Path, line: int, field: str | None) -> None:
    assert "Traceback" not in err
    assert f"{path}:{line}:" in err.replace("\n", "")
    if field:
        assert f"field{field}" in "".join(err.split())  # wrapped anywhere
    assert "Fix:" in err.replace("\n", "")


CASES = {
    # kind: (old, new, nth, field)
    "unknown rating label": ("rating: 强烈推荐", "rating: 买入", 1, "names[0].rating"),
    # a code that does not fit its exchange is an error of the entry (code or exchange)
    "five-digit code": ("code: '300496'", "code: '30049'", 1, "names[0]"),
    "SH code on SZ": ("code: '300496'", "code: '600496'", 1, "names[0]"),
    "duplicate code": ("code: '002439'", "code: '300496'", 1, "names[2].code"),
    "non-numeric EPS": ("eps: {2023: 1.01,", "eps: {2023: 1.0x1,", 1, "names[0].eps[2023]"),
    "missing field": ("    exchange: SZ\n", "", 1, "names[0].exchange"),
    "unknown prose verb": ("prose: 推荐", "prose: 看好", 1, "names[3].prose"),
    "NaN EPS": ("2024: 1.48", "2024: .nan", 1, "names[0].eps"),
    "duplicate name": ("name: 恒生电子", "name: 中科创达", 1, "names[1].name"),
    "control character": ("name: 景嘉微", "name: 景嘉\x1f微", 1, None),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_each_failure_kind_names_file_line_and_field(
    kind: str,
    universe_file: Path,
    tmp_path: Path,
    check,
) -> None:
    old, new, nth, field = CASES[kind]
    path, line = _edit(universe_file, tmp_path, old, new, nth)
    if kind == "missing field":  # reported at the entry whose key is missing
        line -= 2
    code, _, err = check(path)
    assert code == 2, err
    _one_clean_message(err, path, line, field)


def test_bad_yaml(
    universe_file: Path,
    tmp_path: Path,
    check,
) -> None:
    path, line = _edit(universe_file, tmp_path, "    theme: 算力\n", "    theme: [算力\n")
    code, _, err = check(path)
    assert code == 2
    assert "invalid YAML" in err and "Traceback" not in err
    # PyYAML marks the line where the open flow sequence fails (the next key)
    assert f"{path}:{line + 1}:" in err.replace("\n", "")


def test_pe_mismatch_is_a_warning_naming_the_row(
    universe_file: Path,
    tmp_path: Path,
    check,
) -> None:
    path, _ = _edit(universe_file, tmp_path, "2024: 36.3", "2024: 63.3")
    code, out, err = check(path)
    assert code == 0
    # rich wraps at the terminal width, wherever the temp path's length puts the break
    assert "warning" in err and "300496 中科创达 2024: PE 63.3" in " ".join(err.split())
    assert "1 warning(s)" in " ".join(out.split())


def test_real_process_prints_no_traceback(universe_file: Path, tmp_path: Path) -> None:
    path, line = _edit(universe_file, tmp_path, "rating: 强烈推荐", "rating: 买入")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from coverbt.cli import main; main()",
            "universe",
            "check",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "300", "PATH": ""},
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{path}:{line}: field names[0].rating" in done.stderr
