"""Read YAML user files with line numbers, and turn validation errors into InputErrors.

User-edited files (universes, strategies, screens) are YAML validated by pydantic. To
report *where* a problem is, the YAML is composed into nodes first and every path
(``("names", 3, "eps", "2024")``) is mapped to its line.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from coverbt.errors import InputError

Path_ = tuple[str | int, ...]
LineMap = dict[Path_, int]
M = TypeVar("M", bound=BaseModel)


def _walk(node: yaml.Node, path: Path_, lines: LineMap) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines)


def read_yaml(path: Path) -> tuple[Any, LineMap]:
    """Parse ``path`` and return its data with a map from key paths to line numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            "file not found",
            source=path,
            fix="check the path, or list the folder to see what exists",
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text ({exc.reason})",
            source=path,
            expected="a UTF-8 encoded YAML file",
            fix="save the file as UTF-8",
        ) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.reader.ReaderError as exc:
        raise InputError(
            f"invalid YAML: {exc.reason} (character #x{exc.character:04x})",
            source=path,
            line=text.count("\n", 0, exc.position) + 1,
            expected="printable text (write control characters as escapes in double quotes)",
            fix="delete the character at that line",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise InputError(
            f"invalid YAML: {exc.problem}",
            source=path,
            line=mark.line + 1 if mark else None,
            expected="valid YAML (mind indentation and colons)",
            fix="correct the syntax at that line",
        ) from None
    lines: LineMap = {}
    if node is not None:
        _walk(node, (), lines)
    # YAML may read keys such as 2024 as ints: index the map under both spellings
    for key_path, line in list(lines.items()):
        lines.setdefault(tuple(str(p) if isinstance(p, int) else p for p in key_path), line)
    return data, lines


def line_of(lines: LineMap, loc: Iterable[str | int]) -> int | None:
    """Best line for a validation location: the deepest prefix that has a line."""
    parts = tuple(loc)
    for end in range(len(parts), -1, -1):
        prefix = parts[:end]
        if prefix in lines:
            return lines[prefix]
        as_str = tuple(str(p) for p in prefix)
        if as_str in lines:
            return lines[as_str]
    return None


def format_loc(loc: Iterable[str | int]) -> str:
    """``("names", 3, "eps")`` -> ``names[3].eps``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def validate_model(
    model: type[M],
    data: Any,
    path: Path,
    lines: LineMap,
    fix: str,
    prefix: Path_ = (),
) -> M:
    """Validate ``data`` as ``model``; the first error becomes an :class:`InputError`.

    ``lines`` is keyed relative to ``data``; ``prefix`` is where ``data`` sits in the file
    (used to name the field in the message).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        expected = err.get("ctx", {}).get("expected") if err.get("ctx") else None
        raise InputError(
            err["msg"].removeprefix("Value error, "),
            source=path,
            line=line_of(lines, loc),
            field=format_loc((*prefix, *loc)) or None,
            expected=str(expected) if expected else None,
            fix=fix,
        ) from None
