"""Load a universe file into a validated :class:`~coverbt.universe.model.Universe`."""

from __future__ import annotations

from pathlib import Path

from coverbt.errors import InputError
from coverbt.universe.model import CoveredName, RatingScale, Universe, name_problems
from coverbt.yamlio import format_loc, line_of, read_yaml, validate_model

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
        _sub(lines, "rating_scale"),
        _FIX,
        prefix=("rating_scale",),
    )
    names = [
        validate_model(CoveredName, entry, path, _sub(lines, "names", i), _FIX, prefix=("names", i))
        for i, entry in enumerate(data["names"])
    ]
    for loc, message in name_problems(names, set(scale.labels())):
        raise InputError(
            message, source=path, line=line_of(lines, loc), field=format_loc(loc), fix=_FIX
        )
    return validate_model(Universe, data, path, lines, _FIX)


def _sub(lines: dict, *prefix: str | int) -> dict:
    """The part of a line map below ``prefix``, re-keyed relative to it."""
    n = len(prefix)
    return {k[n:]: v for k, v in lines.items() if k[:n] == prefix}
