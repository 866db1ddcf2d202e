"""Load a universe file into a validated :class:`~coverbt.universe.model.Universe`."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from coverbt.data.calendar_span import known_span
from coverbt.errors import InputError
from coverbt.universe.model import CoveredName, RatingScale, Universe, name_problems
from coverbt.yamlio import LineMap, format_loc, line_of, read_yaml, validate_model

DEFAULT_UNIVERSE = Path("universe") / "pingan_computer_2024_midyear.yaml"

_FIX = "edit the universe file at that line; `coverbt universe check FILE` re-validates it"


def load_universe(path: Path | str | None = None) -> Universe:
    """Read and validate a universe file (YAML).

    Raises
    ------
    InputError
        naming the file, the line and the field, for malformed YAML, a missing field, a
        non-numeric EPS, an unknown rating label, an invalid code or a duplicate name.
    """
    path = Path(path) if path is not None else DEFAULT_UNIVERSE
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(
            "the file is not a mapping",
            source=path,
            line=1,
            expected="top-level keys report, rating_scale and names",
            fix="start from universe/pingan_computer_2024_midyear.yaml",
        )
    for key in ("report", "rating_scale", "names"):
        if key not in data:
            raise InputError(
                f"missing top-level key {key!r}",
                source=path,
                line=1,
                field=key,
                expected="top-level keys report, rating_scale and names",
                fix=f"add a {key}: section (see the shipped universe file)",
            )
    if not isinstance(data["names"], list):
        raise InputError(
            "names is not a list",
            source=path,
            line=line_of(lines, ("names",)),
            field="names",
            expected="a list of entries starting with '- code:'",
            fix=_FIX,
        )
    scale = validate_model(
        RatingScale,
        data["rating_scale"],
        path,
        {k[1:]: v for k, v in lines.items() if k[:1] == ("rating_scale",)},
        _FIX,
        prefix=("rating_scale",),
    )
    entries = _items(lines, "names")
    names = [
        validate_model(CoveredName, entry, path, entries[i], _FIX, prefix=("names", i))
        for i, entry in enumerate(data["names"])
    ]
    for loc, message in name_problems(names, set(scale.labels())):
        raise InputError(
            message, source=path, line=line_of(lines, loc), field=format_loc(loc), fix=_FIX
        )
    universe = validate_model(Universe, data, path, lines, _FIX)
    _check_dates_in_calendar(universe, path, lines)
    return universe


def _check_dates_in_calendar(universe: Universe, path: Path, lines: LineMap) -> None:
    """Refuse report dates outside the trading calendar (no session is known there)."""
    keys = ("published", "price_date")
    first, last = known_span(getattr(universe.report, key) for key in keys)
    for key in keys:
        day = getattr(universe.report, key)
        if not first <= day <= last:
            raise InputError(
                f"{key} {day} lies outside the XSHG trading calendar ({first} .. {last})",
                source=path,
                line=line_of(lines, ("report", key)),
                field=f"report.{key}",
                expected=f"a date from {first} to {last}",
                fix="correct the date (a typo in the year?); for a later date, upgrade "
                "exchange-calendars (`pip install -U exchange-calendars`)",
            )


def _items(lines: LineMap, key: str) -> defaultdict[int, LineMap]:
    """The line maps of the entries of list ``key``, each re-keyed relative to its entry.

    One pass over ``lines`` (filtering the whole map once per entry was quadratic).
    """
    out: defaultdict[int, LineMap] = defaultdict(dict)
    for path, line in lines.items():
        if len(path) >= 2 and path[0] == key and isinstance(path[1], int):
            out[path[1]][path[2:]] = line
    return out
