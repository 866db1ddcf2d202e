"""Read YAML user files with line numbers, and turn validation errors into InputErrors.

User-edited files (universes, strategies, screens) are YAML validated by pydantic. To
report *where* a problem is, the YAML is composed into nodes first (with libyaml when it is
installed) and every path (``("names", 3, "eps", "2024")``) is mapped to its line.

The files are data, never programs, so :func:`read_yaml` refuses what YAML allows but no
coverbt file needs, each with the line and field:

* aliases (``*name``): a 1 KB file of nested aliases expands to gigabytes ("billion laughs");
* a key given twice in one mapping (YAML would keep the last one silently);
* nesting deeper than :data:`MAX_DEPTH`;
* ``.nan`` / ``.inf`` (and numbers too large for a float, which YAML reads as infinity);
* dates that do not exist (``2024-02-30``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from coverbt.errors import InputError

Path_ = tuple[str | int, ...]
LineMap = dict[Path_, int]
M = TypeVar("M", bound=BaseModel)

MAX_DEPTH = 32  # nesting of mappings and lists; coverbt's files need 5
MAX_BYTES = 50_000_000  # a universe of 5,000 names is about 2 MB

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SCALARS = yaml.constructor.SafeConstructor()
_FIX_YAML = "correct the file at that line"


def _read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(
                f"file too large ({path.stat().st_size:,} bytes)",
                source=path,
                expected=f"a YAML file under {MAX_BYTES:,} bytes",
                fix="check that this is the right file",
            )
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            "file not found",
            source=path,
            fix="check the path, or list the folder to see what exists",
        ) from None
    except IsADirectoryError:
        raise InputError(
            "is a folder, not a file",
            source=path,
            expected="a YAML file",
            fix="pass the path of a .yaml file inside that folder",
        ) from None
    except PermissionError:
        raise InputError(
            "permission denied", source=path, fix="check the file's permissions"
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text ({exc.reason})",
            source=path,
            expected="a UTF-8 encoded YAML file",
            fix="save the file as UTF-8",
        ) from None


def _compose(text: str, path: Path) -> tuple[LineMap, Any]:
    """Parse ``text`` once: the node tree (for lines) and the data built from it."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: LineMap = {}
        if node is not None:
            _walk(node, path, lines)
        data = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as exc:
        # libyaml counts the position in UTF-8 bytes, PyYAML in characters
        before = text.encode("utf-8")[: exc.position] if _Loader is not yaml.SafeLoader else None
        line = (
            before.count(b"\n") + 1 if before is not None else text.count("\n", 0, exc.position) + 1
        )
        raise InputError(
            f"invalid YAML: {exc.reason} (character #x{exc.character:04x})",
            source=path,
            line=line,
            expected="printable text (write control characters as escapes in double quotes)",
            fix="delete the character at that line",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(
            f"invalid YAML: {exc.problem or exc.context}",
            source=path,
            line=mark.line + 1 if mark else None,
            expected="valid YAML (mind indentation and colons)",
            fix="correct the syntax at that line",
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(
            f"invalid YAML: {exc}".splitlines()[0],
            source=path,
            expected="valid YAML",
            fix="correct the syntax",
        ) from None
    finally:
        loader.dispose()
    return lines, data


def read_yaml(path: Path) -> tuple[Any, LineMap]:
    """Parse ``path`` and return its data with a map from key paths to line numbers.

    Raises
    ------
    InputError
        for an unreadable file or invalid YAML, an alias, a duplicate key, nesting deeper
        than :data:`MAX_DEPTH`, a non-finite number or an impossible date; the message names
        the file, the line and the field.
    """
    path = Path(path)
    text = _read_text(path)
    lines, data = _compose(text, path)
    # YAML may read keys such as 2024 as ints: index the map under both spellings
    for key_path, line in list(lines.items()):
        lines.setdefault(tuple(str(p) if isinstance(p, int) else p for p in key_path), line)
    return data, lines


def _refuse(
    path: Path, line: int, where: Path_, problem: str, expected: str, fix: str
) -> InputError:
    return InputError(
        problem,
        source=path,
        line=line,
        field=format_loc(where) or None,
        expected=expected,
        fix=fix,
    )


def _check_scalar(node: yaml.ScalarNode, path: Path, where: Path_) -> None:
    """Refuse a scalar its tag cannot read (``2024-02-30``, ``!!int abc``) or a non-finite float.

    Plain text needs no check; every other scalar is built once here, so that a value the
    constructor would fail on deep inside (a ``ValueError`` without a line) is reported at
    its line instead.
    """
    if node.tag == _STR:
        return
    construct = _SCALARS.yaml_constructors.get(node.tag)
    if construct is None:
        return  # the constructor reports an unknown tag itself, with its line
    line = node.start_mark.line + 1
    try:
        value = construct(_SCALARS, node)
    except (ValueError, KeyError, TypeError, OverflowError):
        if node.tag == _TIMESTAMP:
            raise _refuse(
                path,
                line,
                where,
                f"{node.value} is not a calendar date",
                "a date YYYY-MM-DD that exists, such as 2024-06-23",
                "correct the month or the day",
            ) from None
        raise _refuse(
            path,
            line,
            where,
            f"{node.value!r} cannot be read as {node.tag.rsplit(':', 1)[-1]}",
            "a value of that type",
            "correct the value or drop the !!tag",
        ) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise _refuse(
            path,
            line,
            where,
            f"{node.value} is not a finite number",
            "a finite number such as 0.1",
            "write a number (a field without a value is null or left out)",
        )


def _children(node: yaml.Node, path: Path, where: Path_) -> list[tuple[yaml.Node, Path_, int]]:
    """The children of a mapping or list, each with its key path and the line naming it."""
    out: list[tuple[yaml.Node, Path_, int]] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise _refuse(
                    path, line, where, "a key is a list or a mapping", "a plain key", _FIX_YAML
                )
            key = key_node.value
            if (key_node.tag, key) in first:
                raise _refuse(
                    path,
                    line,
                    (*where, key),
                    f"key {key!r} appears twice in one mapping (lines "
                    f"{first[(key_node.tag, key)]} and {line}); YAML would keep only the last",
                    "each key once",
                    "delete or merge one of the two",
                )
            first[(key_node.tag, key)] = line
            out.append((value_node, (*where, key), line))
    elif isinstance(node, yaml.SequenceNode):
        line = node.start_mark.line + 1
        for i, item in enumerate(node.value):
            out.append((item, (*where, i), line))
            line = item.end_mark.line + 1
    return out


def _walk(root: yaml.Node, path: Path, lines: LineMap) -> None:
    """Map every key path below ``root`` to its line, refusing what :func:`read_yaml` refuses.

    Iterative (no recursion limit), and it visits each node once: the composer hands an
    alias back as the very node it names, so a node seen twice is an alias.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Path_, int]] = [(root, (), root.start_mark.line + 1)]
    while stack:
        node, where, line = stack.pop()
        if id(node) in seen:
            raise _refuse(
                path,
                line,
                where,
                "YAML aliases (*name) are not allowed",
                "every value written out in place",
                "replace the alias by the value it names, and drop the &anchor",
            )
        seen.add(id(node))
        if len(where) > MAX_DEPTH:
            raise _refuse(
                path,
                node.start_mark.line + 1,
                where[:3],
                f"nested more than {MAX_DEPTH} levels deep",
                "the shape of the template file",
                "remove the extra brackets or indentation",
            )
        lines[where] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            _check_scalar(node, path, where)
        else:
            stack.extend(reversed(_children(node, path, where)))


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
        loc = tuple(
            p
            for p in err["loc"]
            if not (isinstance(p, str) and (p.startswith("function-") or p == "[key]"))
        )
        expected = err.get("ctx", {}).get("expected") if err.get("ctx") else None
        raise InputError(
            err["msg"].removeprefix("Value error, "),
            source=path,
            line=line_of(lines, loc),
            field=format_loc((*prefix, *loc)) or None,
            expected=str(expected) if expected else None,
            fix=fix,
        ) from None
