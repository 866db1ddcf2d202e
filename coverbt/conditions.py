"""A small, safe condition grammar over named fields (screens and strategy rules).

A condition is one line of text such as::

    pe_ttm < fy1_pe and rs_60d_csi300 > 0
    rating in ["强烈推荐", "推荐"] and not (board == "star")
    0 < pe_ttm <= 0.8 * fy1_pe

It is parsed with :func:`ast.parse` in ``eval`` mode and every node is checked against a
strict whitelist; the text is **never** passed to ``eval`` or ``exec``. The grammar:

* comparisons ``< <= > >= == !=`` (chains such as ``0 < x < 30`` allowed), ``in [...]`` and
  ``not in [...]`` against a list of literals;
* ``and``, ``or``, ``not`` and parentheses;
* arithmetic ``+ - * /`` and unary minus on numbers and numeric fields;
* numbers, quoted strings, ``True``/``False``, and field names (letters, digits, ``_``; not
  starting with ``_``).

Attribute access, calls, subscripts, lambdas, comprehensions, ``None`` and names starting
with an underscore are rejected at parse time with the offending token underlined.

Missing values follow three-valued (Kleene) logic: a comparison involving a missing value is
*unknown*; ``not unknown`` is unknown; ``False and unknown`` is False; ``True or unknown`` is
True. :meth:`Condition.evaluate` treats unknown as "does not pass", so a stock without a PE
never passes ``pe_ttm < 30`` **nor** ``not (pe_ttm < 30)``.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"pe_ttm": [12.0, 45.0, float("nan")], "rating": ["推荐", "-", "推荐"]})
>>> cond = parse_condition('pe_ttm < 30 and rating == "推荐"')
>>> sorted(cond.fields)
['pe_ttm', 'rating']
>>> cond.evaluate(frame).tolist()
[True, False, False]
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coverbt.errors import InputError

MAX_LENGTH = 2_000  # characters; longer conditions are surely a mistake
MAX_DEPTH = 40  # nesting depth of the parsed expression
_SHOWN = 80  # characters of a long condition echoed under an error
MAX_NUMBER = 1e18  # larger literals are surely a typo (and overflow float arithmetic)

_GRAMMAR = (
    "comparisons of fields with numbers or quoted text (< <= > >= == != in [...]), "
    "joined by and/or/not and parentheses"
)

_COMPARE: dict[type[ast.cmpop], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
}
_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_REFUSED: dict[type[ast.AST], str] = {
    ast.Call: "function calls are not allowed",
    ast.Attribute: "attribute access (.) is not allowed",
    ast.Subscript: "indexing ([...] after a value) is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.IfExp: "if/else expressions are not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Set: "sets are not allowed; use a list [..]",
    ast.ListComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.Starred: "* unpacking is not allowed",
}
_BITWISE_HINT: dict[type[ast.operator], tuple[str, str]] = {
    ast.BitAnd: ("&", "and"),
    ast.BitOr: ("|", "or"),
}


@dataclass(frozen=True)
class _Where:
    """Where a condition came from, for error messages."""

    source: str | Path | None = None
    line: int | None = None
    field: str | None = None

    def error(
        self, text: str, problem: str, col: int, end: int, *, expected: str, fix: str
    ) -> InputError:
        column = col + 1
        if len(text) > _SHOWN:  # show the part around the problem, not a page of digits
            left = max(0, min(col - 10, len(text) - _SHOWN))
            tail = "..." if left + _SHOWN < len(text) else ""
            text = ("..." if left else "") + text[left : left + _SHOWN] + tail
            col, end = col - left + (3 if left else 0), min(end - left, _SHOWN) + (3 if left else 0)
        width = max(1, end - col)
        caret = f"\n    {text}\n    {' ' * col}{'^' * width}"
        return InputError(
            f"{problem} (column {column})",
            source=self.source,
            line=self.line,
            field=self.field,
            expected=expected,
            fix=fix + caret,
        )


def parse_condition(
    text: str,
    *,
    source: str | Path | None = None,
    line: int | None = None,
    field: str | None = None,
) -> Condition:
    """Parse and check ``text``; raise :class:`InputError` with a caret hint when invalid.

    Parameters
    ----------
    text : the condition, e.g. ``"pe_ttm < 30 and ret_20d > 0"``.
    source, line, field : where it came from (a YAML file, the line of its key, the key
        path), used in error messages.

    Examples
    --------
    >>> sorted(parse_condition("ret_20d > 0 and not (board == 'star')").fields)
    ['board', 'ret_20d']
    >>> parse_condition("__import__('os')")
    Traceback (most recent call last):
    ...
    coverbt.errors.InputError: function calls are not allowed (column 1)...
    """
    where = _Where(source, line, field)
    if not isinstance(text, str) or not text.strip():
        raise InputError(
            "empty condition",
            source=source,
            line=line,
            field=field,
            expected=_GRAMMAR,
            fix="write a condition such as pe_ttm < 30",
        )
    body = text.replace("\r", " ").replace("\n", " ").replace("\t", " ").strip()
    if len(body) > MAX_LENGTH:
        raise where.error(
            body[:60] + "...",
            f"condition longer than {MAX_LENGTH} characters",
            0,
            60,
            expected="a short condition",
            fix="split it into several conditions (all must pass)",
        )
    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as exc:
        col = max(0, (exc.offset or 1) - 1)
        hint = "check brackets, quotes and operators"
        if "=" in body and "==" not in body and not any(op in body for op in ("<=", ">=", "!=")):
            hint = "use == to compare for equality, not ="
        raise where.error(
            body,
            f"invalid syntax: {exc.msg}",
            col,
            max(col + 1, (exc.end_offset or 0) - 1),
            expected=_GRAMMAR,
            fix=hint,
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise where.error(
            body, "condition too deeply nested", 0, 1, expected=_GRAMMAR, fix="simplify it"
        ) from None
    names: set[str] = set()
    _check(tree.body, body, where, names, depth=0)
    return Condition(text=body, tree=tree.body, fields=frozenset(names), where=where)


def _check(node: ast.AST, text: str, where: _Where, names: set[str], depth: int) -> None:
    """Walk the tree and refuse anything outside the whitelist."""

    def refuse(problem: str, fix: str = "remove it") -> InputError:
        col = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", col + 1) or col + 1
        return where.error(text, problem, col, end, expected=_GRAMMAR, fix=fix)

    if depth > MAX_DEPTH:
        raise refuse("condition too deeply nested", "simplify it")
    if isinstance(node, ast.BoolOp):
        children: list[ast.AST] = list(node.values)
    elif isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Invert):
            raise refuse("~ is not an operator here", "write not (...)")
        children = [node.operand]
    elif isinstance(node, ast.BinOp):
        if type(node.op) in _BITWISE_HINT:
            symbol, word = _BITWISE_HINT[type(node.op)]
            raise refuse(f"operator {symbol} is not allowed", f"write `{word}` instead")
        if type(node.op) not in _ARITH:
            raise refuse("only + - * / are allowed in arithmetic")
        children = [node.left, node.right]
    elif isinstance(node, ast.Compare):
        children = [node.left]
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right, ast.List | ast.Tuple):
                    raise refuse("`in` needs a list of values", 'write field in ["a", "b"]')
                for item in right.elts:
                    if _literal(item) is None or not _sane_number(_literal(item)):
                        raise refuse(
                            "the list after `in` may hold only numbers or quoted text",
                            "quote text values",
                        )
                continue
            if type(op) not in _COMPARE:
                raise refuse("`is` is not allowed", "use == or !=")
            children.append(right)
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise refuse(f"name {node.id!r} is not a field (fields never start with _)")
        names.add(node.id)
        return
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool | int | float | str):
            if not _sane_number(node.value):
                raise refuse(
                    f"number out of range (beyond ±{MAX_NUMBER:g})", "write a smaller number"
                )
            return
        raise refuse(
            "constant " + repr(node.value)[:40] + " is not allowed", "use a number or quoted text"
        )
    elif isinstance(node, ast.List | ast.Tuple):
        raise refuse("a list is only allowed after `in`")
    else:
        message = _REFUSED.get(type(node), f"{type(node).__name__} is not allowed")
        raise refuse(message)
    for child in children:
        _check(child, text, where, names, depth + 1)


def _sane_number(value: object) -> bool:
    """Whether a literal is text, a bool, or a finite number within ±:data:`MAX_NUMBER`."""
    if isinstance(value, bool | str) or not isinstance(value, int | float):
        return True
    try:
        number = float(value)
    except OverflowError:
        return False
    return math.isfinite(number) and abs(number) <= MAX_NUMBER


def _literal(node: ast.AST) -> bool | int | float | str | None:
    """Value of a literal list item (number, negative number, text, bool), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, bool | int | float | str):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float)
        and not isinstance(node.operand.value, bool)
    ):
        return -node.operand.value
    return None


@dataclass(frozen=True)
class Condition:
    """A parsed, checked condition. Build it with :func:`parse_condition`.

    Attributes
    ----------
    text : the normalised text (one line).
    fields : the field names it reads.
    """

    text: str
    tree: ast.expr = field(repr=False, compare=False)
    fields: frozenset[str] = frozenset()
    where: _Where = field(default_factory=_Where, repr=False, compare=False)

    def __str__(self) -> str:
        return self.text

    def truth(self, frame: pd.DataFrame) -> pd.Series:
        """Three-valued result per row: a pandas ``boolean`` Series with ``<NA>`` = unknown."""
        value = _Evaluator(self, frame).visit(self.tree)
        if value.kind != "bool":
            raise self._error(
                self.tree,
                f"the condition is a {value.kind}, not true/false",
                "compare it, e.g. pe_ttm < 30",
            )
        return _as_series(value, frame.index).astype("boolean")

    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        """Whether each row passes (unknown counts as not passing); a ``bool`` Series.

        The frame has one row per stock and one column per field.
        """
        return self.truth(frame).fillna(False).astype(bool)

    def _error(self, node: ast.AST, problem: str, fix: str) -> InputError:
        col = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", col + 1) or col + 1
        return self.where.error(self.text, problem, col, end, expected=_GRAMMAR, fix=fix)


@dataclass(frozen=True)
class _Value:
    """An intermediate value: a scalar or an array aligned with the frame, and its kind."""

    data: Any  # scalar, numpy array, or pandas BooleanArray
    kind: str  # "number" | "text" | "bool"
    array: bool


def _kind_of_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "text"


def _kind_of_column(column: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(column.dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(column.dtype):
        return "number"
    return "text"


def _as_series(value: _Value, index: pd.Index) -> pd.Series:
    if value.array:
        return pd.Series(value.data, index=index)
    return pd.Series([value.data] * len(index), index=index, dtype=object)


def _missing(value: _Value) -> np.ndarray | bool:
    if not value.array:
        return False
    return np.asarray(pd.isna(value.data), dtype=bool)


class _Evaluator:
    """Evaluates a checked tree over a frame, vectorised (numpy / pandas boolean arrays)."""

    def __init__(self, condition: Condition, frame: pd.DataFrame) -> None:
        self.condition = condition
        self.frame = frame
        self.n = len(frame)

    def visit(self, node: ast.AST) -> _Value:
        if isinstance(node, ast.Constant):
            return _Value(node.value, _kind_of_scalar(node.value), False)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node)
        if isinstance(node, ast.BinOp):
            return self._arith(node)
        if isinstance(node, ast.BoolOp):
            return self._boolop(node)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        raise self.condition._error(node, "not allowed", "remove it")  # checked at parse

    def _name(self, node: ast.Name) -> _Value:
        if node.id not in self.frame.columns:
            known = sorted(str(c) for c in self.frame.columns)
            close = difflib.get_close_matches(node.id, known, n=1)
            fix = f"did you mean {close[0]}?" if close else "use one of the known fields"
            raise self.condition.where.error(
                self.condition.text,
                f"unknown field {node.id!r}",
                node.col_offset,
                node.end_col_offset or node.col_offset + 1,
                expected="one of: " + ", ".join(known),
                fix=fix,
            )
        column = self.frame[node.id]
        kind = _kind_of_column(column)
        if kind == "bool":
            return _Value(column.astype("boolean").array, kind, True)
        if kind == "number":
            return _Value(column.to_numpy(dtype=float, na_value=np.nan), kind, True)
        return _Value(column.to_numpy(dtype=object), kind, True)

    def _need(self, node: ast.AST, value: _Value, kind: str, what: str) -> None:
        if value.kind != kind:
            fix = {
                "bool": "compare it, e.g. pe_ttm < 30",
                "number": "compare numbers with numbers (quote only text values)",
            }.get(kind, "check the operand types")
            raise self.condition._error(node, f"{what} needs a {kind}, got a {value.kind}", fix)

    def _unary(self, node: ast.UnaryOp) -> _Value:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            self._need(node.operand, operand, "bool", "`not`")
            if not operand.array:
                return _Value(not operand.data, "bool", False)
            return _Value(~operand.data, "bool", True)
        self._need(node.operand, operand, "number", "a sign")
        data = -operand.data if isinstance(node.op, ast.USub) else +operand.data
        return _Value(data, "number", operand.array)

    def _arith(self, node: ast.BinOp) -> _Value:
        left, right = self.visit(node.left), self.visit(node.right)
        self._need(node.left, left, "number", "arithmetic")
        self._need(node.right, right, "number", "arithmetic")
        func = _ARITH[type(node.op)]
        with np.errstate(divide="ignore", invalid="ignore"):
            if left.array or right.array:
                data = func(np.asarray(left.data, dtype=float), np.asarray(right.data, dtype=float))
                data = np.where(np.isinf(data), np.nan, data)  # x / 0 is unknown, not infinite
                return _Value(data, "number", True)
            if isinstance(node.op, ast.Div) and right.data == 0:
                return _Value(float("nan"), "number", False)
            return _Value(func(left.data, right.data), "number", False)

    def _boolop(self, node: ast.BoolOp) -> _Value:
        result: Any = None
        for child in node.values:
            value = self.visit(child)
            self._need(child, value, "bool", "`and`/`or`")
            data = self._bool_array(value)
            if result is None:
                result = data
            elif isinstance(node.op, ast.And):
                result = result & data
            else:
                result = result | data
        return _Value(result, "bool", True)

    def _bool_array(self, value: _Value) -> Any:
        if value.array:
            return value.data
        return pd.array([value.data] * self.n, dtype="boolean")

    def _compare(self, node: ast.Compare) -> _Value:
        left = self.visit(node.left)
        result: Any = None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                part = self._membership(node, left, right_node, negate=isinstance(op, ast.NotIn))
                right = left  # a chain after `in` compares with the same left operand
            else:
                right = self.visit(right_node)
                part = self._pair(node, op, left, right, right_node)
            result = part if result is None else result & part
            left = right
        return _Value(result, "bool", True)

    def _pair(
        self, node: ast.AST, op: ast.cmpop, left: _Value, right: _Value, right_node: ast.AST
    ) -> Any:
        symbol, func = _COMPARE[type(op)]
        ordering = symbol not in ("==", "!=")
        if ordering and (left.kind != "number" or right.kind != "number"):
            raise self.condition._error(
                node, f"{symbol} needs numbers on both sides", "compare text only with == or !="
            )
        if left.kind != right.kind:
            raise self.condition._error(
                right_node,
                f"cannot compare a {left.kind} with a {right.kind}",
                "quote text values; write numbers without quotes",
            )
        missing = _missing(left) | _missing(right)
        lhs = np.asarray(left.data, dtype=object if left.kind != "number" else float)
        rhs = np.asarray(right.data, dtype=object if right.kind != "number" else float)
        if left.kind == "bool":
            lhs = np.asarray(pd.array(left.data, dtype="boolean").fillna(False), dtype=bool)
            rhs = (
                np.asarray(pd.array(right.data, dtype="boolean").fillna(False), dtype=bool)
                if right.array
                else rhs
            )
        with np.errstate(invalid="ignore"):
            raw = np.broadcast_to(np.asarray(func(lhs, rhs), dtype=bool), (self.n,))
        out = pd.array(raw, dtype="boolean")
        if np.any(missing):
            out[np.broadcast_to(missing, (self.n,))] = pd.NA
        return out

    def _membership(self, node: ast.AST, left: _Value, right_node: ast.AST, negate: bool) -> Any:
        elts = right_node.elts if isinstance(right_node, ast.List | ast.Tuple) else []
        items = [_literal(item) for item in elts]
        if left.kind == "number":
            if any(_kind_of_scalar(i) != "number" for i in items):
                raise self.condition._error(
                    right_node, "the list holds text but the field is a number", "remove quotes"
                )
        elif left.kind == "text" and any(_kind_of_scalar(i) != "text" for i in items):
            raise self.condition._error(
                right_node, "the list holds numbers but the field is text", "quote every value"
            )
        values = left.data if left.array else np.asarray([left.data] * self.n, dtype=object)
        raw = pd.Series(np.asarray(values)).isin(items).to_numpy(dtype=bool)
        if negate:
            raw = ~raw
        out = pd.array(raw, dtype="boolean")
        missing = _missing(left)
        if np.any(missing):
            out[np.broadcast_to(missing, (self.n,))] = pd.NA
        return out
