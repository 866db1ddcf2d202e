"""Property: the YAML loaders never fail with anything but a located InputError.

Hostile YAML is generated two ways: a valid file with one value swapped for a random one
(wrong types, huge ints, NaN/inf, unicode, nested structures), and text-level hazards (an
alias, a duplicate key, deep nesting, an impossible date, a control character). Every file
must load, or raise an :class:`InputError` whose message names the file and a line or field,
quickly.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverbt.errors import InputError
from coverbt.screens.spec import load_screen
from coverbt.strategy.spec import load_strategy
from coverbt.universe.load import load_universe

REPO = Path(__file__).resolve().parents[2]
TEMPLATES: dict[str, tuple[Path, Callable[[Path], object]]] = {
    "universe": (REPO / "universe" / "pingan_computer_2024_midyear.yaml", load_universe),
    "strategy": (REPO / "strategies" / "coverage_invvol_monthly.yaml", load_strategy),
    "screen": (REPO / "strategies" / "screens" / "coverage_cheap_strong.yaml", load_screen),
}
SECONDS_PER_FILE = 5.0

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
hazards = st.sampled_from(
    [
        "x: &a [1, 2]\ny: *a\n",
        "name: a\nname: b\n",
        "z: " + "[" * 2_000 + "\n",
        "z: " + "[" * 50 + "]" * 50 + "\n",
        "published: 2024-02-30\n",
        "d: 2024-13-45\n",
        "e: .nan\nf: -.inf\n",
        "g: 1.0e+999\n",
        "h: 景嘉\x1f微\n",
        "? [a, b]\n: 1\n",
        "---\na: 1\n---\nb: 2\n",
        "i: !!python/object:os.system ls\n",
        "j: 99999999999999999999999999999999999999\n",
        "\t- tab\n",
        "k: !!int abc\nl: !!bool maybe\nm: !!float x\n",
        "n: !!timestamp 2024-02-30\n",
    ]
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of ``data`` (mappings and lists)."""
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, (*prefix, i))
    return out


def _replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {k: (_replaced(v, rest, value) if k == head else v) for k, v in data.items()}
    return [(_replaced(v, rest, value) if i == head else v) for i, v in enumerate(data)]


def _check(load: Callable[[Path], object], path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    began = time.perf_counter()
    try:
        load(path)
    except InputError as err:
        message = str(err)
        assert str(path) in message, message
        assert err.line is not None or err.field, message
    assert time.perf_counter() - began < SECONDS_PER_FILE


@pytest.mark.parametrize("kind", list(TEMPLATES))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), value=values)
def test_a_swapped_value_loads_or_is_a_located_error(
    kind: str, tmp_path: Path, data: st.DataObject, value: Any
) -> None:
    template, load = TEMPLATES[kind]
    original = yaml.safe_load(template.read_text(encoding="utf-8"))
    where = data.draw(st.sampled_from(_paths(original)), label="path")
    text = yaml.safe_dump(_replaced(original, where, value), allow_unicode=True)
    _check(load, tmp_path / f"{kind}.yaml", text)


@pytest.mark.parametrize("kind", list(TEMPLATES))
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(hazard=hazards, at_end=st.booleans(), extra=st.text(max_size=20))
def test_a_text_hazard_loads_or_is_a_located_error(
    kind: str, tmp_path: Path, hazard: str, at_end: bool, extra: str
) -> None:
    template, load = TEMPLATES[kind]
    text = template.read_text(encoding="utf-8")
    text = text + hazard + extra if at_end else hazard + extra + "\n" + text
    _check(load, tmp_path / f"{kind}.yaml", text)
