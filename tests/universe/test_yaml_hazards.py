"""YAML that is valid but hostile, and numbers or dates that would be silently wrong.

Each case is read by the loader of a universe, a strategy or a screen and must end in an
:class:`InputError` naming the file and the line or field (exit code 2 in the CLI).
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from coverbt import yamlio
from coverbt.data.trading_calendar import FIRST_SESSION, last_known_day
from coverbt.errors import InputError
from coverbt.screens.spec import load_screen
from coverbt.strategy.spec import load_strategy
from coverbt.universe.load import load_universe

Loader = Callable[[Path], object]
LOADERS: dict[str, Loader] = {
    "universe": load_universe,
    "strategy": load_strategy,
    "screen": load_screen,
}


def _laughs(levels: int = 9) -> str:
    """The "billion laughs": each level repeats the previous one nine times (9**9 lols)."""
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    names = "abcdefghijklmnop"
    for prev, name in itertools.pairwise(names[:levels]):
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
    return text


def _edited(universe_file: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = universe_file.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "u.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _error(load: Loader, path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load(path)
    return info.value


@pytest.mark.parametrize("kind", list(LOADERS))
def test_billion_laughs_is_refused_at_once(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.yaml"
    path.write_text("name: laughs\n" + _laughs(), encoding="utf-8")
    assert path.stat().st_size < 1_000
    began = time.perf_counter()
    err = _error(LOADERS[kind], path)
    assert time.perf_counter() - began < 5
    assert "aliases" in err.problem and err.source == path
    assert (err.line, err.field) == (3, "b[0]")


def test_an_alias_to_a_mapping_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nweigh: &w {method: equal}\nexit:\n  <<: *w\n", encoding="utf-8")
    err = _error(load_strategy, path)
    assert "aliases" in err.problem and err.line == 4


@pytest.mark.parametrize("kind", list(LOADERS))
def test_a_duplicate_key_names_both_lines(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.yaml"
    path.write_text("name: first\ndescription: x\nname: second\n", encoding="utf-8")
    err = _error(LOADERS[kind], path)
    assert (err.line, err.field) == (3, "name")
    assert "lines 1 and 3" in err.problem


def test_a_duplicate_key_deep_in_the_universe(universe_file: Path, tmp_path: Path) -> None:
    path = _edited(
        universe_file, tmp_path, "  industry: 计算机\n", "  industry: 计算机\n  industry: 通信\n"
    )
    err = _error(load_universe, path)
    assert err.field == "report.industry" and "appears twice" in err.problem


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5_000,
        "- " * 3_000 + "x\n",
        "".join(" " * i + "a:\n" for i in range(2_000)),
        "a: " + "[" * 40 + "]" * 40 + "\n",
    ],
    ids=["5000 flow brackets", "block lists", "block mappings", "40 levels"],
)
def test_deep_nesting_is_a_clean_error(text: str, tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    for load in LOADERS.values():
        err = _error(load, path)
        assert err.source == path and err.line is not None
        assert "nest" in err.problem


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("lower: 0.1, upper: 0.2", "lower: .nan, upper: 0.2", "rating_scale.stock[1].lower"),
        ("close_at_price_date: 53.61", "close_at_price_date: .inf", "names[0].close_at_price_date"),
        (
            "close_at_price_date: 53.61",
            "close_at_price_date: 1e400",
            "names[0].close_at_price_date",
        ),
        ("2024: 1.48", "2024: -.Inf", "names[0].eps.2024"),
        ("2024: 1.48", "2024: 1.0e+400", "names[0].eps.2024"),
    ],
    ids=["NaN band bound", "infinite close", "1e400 (text)", "minus infinity", "1.0e+400"],
)
def test_non_finite_numbers_name_the_field(
    universe_file: Path, tmp_path: Path, old: str, new: str, field: str
) -> None:
    err = _error(load_universe, _edited(universe_file, tmp_path, old, new))
    # YAML floats are refused by the reader, "1e400" (text to YAML 1.1) by the model
    assert err.field == field and "finite number" in err.problem


@pytest.mark.parametrize("text", ["capital: .inf", "capital: .nan", "capital: " + "9" * 400])
def test_capital_must_be_a_finite_number(text: str, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: x\n{text}\n", encoding="utf-8")
    err = _error(load_strategy, path)
    assert (err.line, err.field) == (2, "capital")


@pytest.mark.parametrize("day", ["2024-02-30", "2024-13-45", "0000-01-01"])
def test_impossible_dates_name_the_field(universe_file: Path, tmp_path: Path, day: str) -> None:
    path = _edited(universe_file, tmp_path, "published: 2024-06-23", f"published: {day}")
    err = _error(load_universe, path)
    assert (err.line, err.field) == (8, "report.published")
    assert "not a calendar date" in err.problem


@pytest.mark.parametrize(
    "day", ["2024-06-23 10:00:00", "'2024/06/23'", "20240623", "1718841600", "'next monday'"]
)
def test_a_publication_that_is_not_a_plain_date(
    universe_file: Path, tmp_path: Path, day: str
) -> None:
    # an int would be read as Unix seconds by pydantic: a silently wrong date
    path = _edited(universe_file, tmp_path, "published: 2024-06-23", f"published: {day}")
    err = _error(load_universe, path)
    assert (err.line, err.field) == (8, "report.published")
    assert "write YYYY-MM-DD" in err.problem


def test_publication_outside_the_calendar(universe_file: Path, tmp_path: Path) -> None:
    early = (FIRST_SESSION - dt.timedelta(days=1)).date()
    path = _edited(
        universe_file,
        tmp_path,
        "published: 2024-06-23\n  price_date: 2024-06-07",
        f"published: {early}\n  price_date: {early}",
    )
    err = _error(load_universe, path)
    assert err.field == "report.published" and "trading calendar" in err.problem
    late = (last_known_day() + dt.timedelta(days=1)).date()
    path = _edited(universe_file, tmp_path, "published: 2024-06-23", f"published: {late}")
    err = _error(load_universe, path)
    assert (err.line, err.field) == (8, "report.published") and str(late) in err.problem


def test_a_huge_eps_year_is_refused(universe_file: Path, tmp_path: Path) -> None:
    path = _edited(
        universe_file, tmp_path, "eps: {2023: 1.01,", "eps: {99999999999999999999999: 1.01,"
    )
    err = _error(load_universe, path)
    assert err.field == "names[0].eps.99999999999999999999999" and err.line is not None


@pytest.mark.parametrize("text", ["exit: {horizon: 99999999999M}", "act: {rebalance: 400000D}"])
def test_a_huge_horizon_is_refused(text: str, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: x\n{text}\n", encoding="utf-8")
    err = _error(load_strategy, path)
    assert err.line == 2 and "longer than" in err.problem


def test_a_folder_given_as_a_file(tmp_path: Path) -> None:
    for load in LOADERS.values():
        err = _error(load, tmp_path)
        assert err.source == tmp_path and "folder" in err.problem


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("capital: !!int abc", "cannot be read as int"),
        ("capital: !!float x", "cannot be read as float"),
        ("description: !!bool maybe", "cannot be read as bool"),
        ("capital: !!timestamp 2024-02-30", "not a calendar date"),
    ],
)
def test_an_explicit_tag_that_cannot_read_its_value(
    text: str, problem: str, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: x\n{text}\n", encoding="utf-8")
    err = _error(load_strategy, path)
    assert err.line == 2 and problem in err.problem


def test_a_list_as_a_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: x\n? [a, b]\n: 1\n", encoding="utf-8")
    err = _error(load_strategy, path)
    assert err.line == 2 and "key" in err.problem


def test_libyaml_parses_when_it_is_installed() -> None:
    if yaml.__with_libyaml__:
        assert yamlio._Loader is yaml.CSafeLoader


def test_control_character_line_counts_utf8_text(tmp_path: Path) -> None:
    # libyaml reports the offset in bytes: Chinese text before it must not shift the line
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: x\ndescription: 景嘉微景嘉微\nweigh: {method: eq\x1fual}\n", encoding="utf-8"
    )
    err = _error(load_strategy, path)
    assert err.line == 3 and "invalid YAML" in err.problem


def _big_universe(universe_file: Path, path: Path, n: int) -> Path:
    text = universe_file.read_text(encoding="utf-8")
    head = text[: text.index("names:\n")] + "names:\n"
    rows = [
        f"  - {{code: '{600000 + i:06d}', name: N{i}, exchange: SH, rating: 推荐, "
        f"in_table: true, eps: {{2024: 1.0, 2025: 1.2}}, pe: {{2024: 10.0, 2025: 8.0}}}}\n"
        for i in range(n)
    ]
    path.write_text(head + "".join(rows), encoding="utf-8")
    return path


def _lines_run(action: Callable[[], object]) -> int:
    """How many Python lines ``action`` executes: a count of work that, unlike a timing,
    does not depend on what else the machine is doing."""
    count = 0

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        action()
    finally:
        sys.settrace(previous)
    return count


def test_loading_grows_linearly_with_the_names(universe_file: Path, tmp_path: Path) -> None:
    small = _big_universe(universe_file, tmp_path / "small.yaml", 200)
    large = _big_universe(universe_file, tmp_path / "large.yaml", 1_000)
    load_universe(small)  # imports and caches warmed: both counts are of the loading alone
    work = [_lines_run(lambda path=path: load_universe(path)) for path in (small, large)]
    assert len(load_universe(large).names) == 1_000
    # 5x the names: about 5x the lines when linear, up to 25x with a quadratic step
    assert work[1] < 6 * work[0], work  # 4.9x measured; deterministic, so a tight bound
