"""Screen files and ``coverbt screen`` arguments that used to crash or mislead."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coverbt.data.trading_calendar import last_known_day
from coverbt.errors import InputError
from coverbt.screens.run import run_screen
from coverbt.screens.spec import load_screen


def _screen(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "screen.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_1900_digit_number_in_a_condition(tmp_path: Path) -> None:
    path = _screen(
        tmp_path, f"name: s\nconditions: ['close > {'9' * 1900}']\nscore: {{field: close}}\n"
    )
    with pytest.raises(InputError, match="number out of range") as info:
        load_screen(path)
    assert (info.value.line, info.value.field) == (2, "conditions[0]")
    assert len(str(info.value)) < 600  # the echo under the message is trimmed


@pytest.mark.parametrize("condition", ["close > 1e999", "rating in [1, 1e400]"])
def test_infinite_literals_in_a_condition(tmp_path: Path, condition: str) -> None:
    path = _screen(tmp_path, f"name: s\nconditions: ['{condition}']\nscore: {{field: close}}\n")
    with pytest.raises(InputError) as info:
        load_screen(path)
    assert info.value.field == "conditions[0]"


@pytest.mark.parametrize("field", ["rating", "code", "covered"])
def test_a_text_field_cannot_score(tmp_path: Path, field: str) -> None:
    path = _screen(tmp_path, f"name: s\nconditions: ['close > 0']\nscore: {{field: {field}}}\n")
    with pytest.raises(InputError, match="cannot rank") as info:
        load_screen(path)
    assert (info.value.line, info.value.field) == (3, "score")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a list\n"])
def test_an_empty_or_non_mapping_screen(tmp_path: Path, text: str) -> None:
    path = _screen(tmp_path, text)
    with pytest.raises(InputError, match="must be a mapping") as info:
        load_screen(path)
    assert (info.value.source, info.value.line) == (path, 1)


def test_as_of_after_the_last_cached_session(repo_root: Path, universe, report_market) -> None:  # type: ignore[no-untyped-def]
    screen = load_screen(repo_root / "strategies" / "screens" / "coverage_cheap_strong.yaml")
    later = (last_known_day() + dt.timedelta(days=1)).date()
    with pytest.raises(InputError, match="after the last session in the cache") as info:
        run_screen(screen, report_market, as_of=later, universe=universe)
    assert info.value.field == "--as-of"
