"""CLI arguments and messages at the edge: exit code 2, one clean line, valid JSON."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from coverbt.cli import main
from coverbt.jsonio import dumps


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "argv", ["coverbt", *argv])
    with pytest.raises(SystemExit) as stop:
        main()
    out = capsys.readouterr()
    return stop.value.code, out.out, out.err.replace("\n", "")


@pytest.mark.parametrize("code", ["../../etc/passwd", "60338", "6033830", "６０３３８３"])
def test_reconcile_refuses_a_code_that_is_not_six_digits(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, code: str
) -> None:
    rc, _, err = _run(monkeypatch, capsys, "data", "reconcile", code, "--workspace", str(tmp_path))
    assert rc == 2 and "not a 6-digit code" in err and "Traceback" not in err
    assert not (tmp_path / "data_cache").exists()


def test_error_text_is_printed_literally_not_as_markup(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "u.yaml"
    path.write_text('"[/]": 1\n"[/]": 2\n', encoding="utf-8")
    rc, _, err = _run(monkeypatch, capsys, "universe", "check", str(path))
    assert rc == 2 and "key '[/]' appears twice" in err and "internal error" not in err


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"total_return": float("nan")}, {"total_return": None}),
        ({"x": [1.5, float("inf"), -math.inf]}, {"x": [1.5, None, None]}),
        ((1, {"a": (2.0, float("nan"))}), [1, {"a": [2.0, None]}]),
    ],
)
def test_json_output_is_always_valid_json(payload: object, expected: object) -> None:
    text = dumps(payload)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == expected
