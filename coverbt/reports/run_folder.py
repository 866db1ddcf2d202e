"""Read a backtest run folder (``reports/<run-id>/``, written by the engine) for reporting.

The layout is the shared contract: ``manifest.json``, ``equity.csv`` (date, portfolio,
csi300, sw_computer values starting at 1.0), ``returns.csv`` (daily simple returns, same
columns), ``trades.csv``, ``positions.csv`` and ``per_name.csv`` (code, name, rating,
theme, weight, return, contribution). Files are checked where they enter: a missing file or
column is an :class:`~coverbt.errors.InputError` naming it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from coverbt.errors import InputError
from coverbt.strategy.spec import DEFAULT_CAPITAL

SERIES_COLUMNS: tuple[str, ...] = ("portfolio", "csi300", "sw_computer")
PER_NAME_COLUMNS: tuple[str, ...] = ("code", "name", "rating", "weight", "return", "contribution")
MANIFEST = "manifest.json"
_FIX = "re-run the backtest that wrote this folder (`coverbt backtest ...`)"


@dataclass(frozen=True)
class RunFolder:
    """The parts of a run folder the reports use."""

    path: Path
    manifest: dict[str, Any]
    equity: pd.DataFrame  # date index; SERIES_COLUMNS
    returns: pd.DataFrame  # date index; SERIES_COLUMNS
    per_name: pd.DataFrame  # PER_NAME_COLUMNS (+ theme when present)

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id") or self.path.name)

    @property
    def strategy(self) -> str:
        value = self.manifest.get("strategy", "")
        if isinstance(value, dict):
            return str(value.get("name") or value.get("file") or "")
        return str(value)

    @property
    def summary(self) -> dict[str, Any]:
        value = self.manifest.get("summary") or {}
        return value if isinstance(value, dict) else {}


def is_run_folder(path: Path) -> bool:
    return (path / MANIFEST).is_file() and (path / "equity.csv").is_file()


def _dated_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    frame = _csv(path, ("date", *columns))
    try:
        frame["date"] = pd.to_datetime(frame["date"])
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"a date does not parse ({exc})", source=path, field="date",
            expected="ISO dates such as 2024-06-24", fix=_FIX,
        ) from None  # fmt: skip
    frame = frame.set_index("date")[list(columns)].astype(float)
    if not frame.index.is_monotonic_increasing or frame.empty:
        raise InputError(
            "dates are not increasing, or there are no rows", source=path, field="date",
            expected="one row per session in order", fix=_FIX,
        )  # fmt: skip
    return frame


def _csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise InputError("the file is missing", source=path, expected="a run folder file", fix=_FIX)
    frame = pd.read_csv(path, dtype={"code": str})
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"columns {missing} are missing", source=path, line=1,
            expected=f"columns {list(columns)}", fix=_FIX,
        )  # fmt: skip
    return frame


def load_run(path: Path) -> RunFolder:
    """Read and check a run folder.

    Raises
    ------
    InputError
        naming the file and field when a file, a column or the manifest is missing/bad.
    """
    path = Path(path)
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise InputError(
            "not a run folder (no manifest.json)", source=path,
            expected="a folder written by `coverbt backtest`",
            fix="pass a folder under reports/ that holds manifest.json",
        )  # fmt: skip
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON ({exc.msg})", source=manifest_path, line=exc.lineno, fix=_FIX
        ) from None
    per_name = _csv(path / "per_name.csv", PER_NAME_COLUMNS)
    return RunFolder(
        path=path,
        manifest=manifest if isinstance(manifest, dict) else {},
        equity=_dated_csv(path / "equity.csv", SERIES_COLUMNS),
        returns=_dated_csv(path / "returns.csv", SERIES_COLUMNS),
        per_name=per_name,
    )


# --- what the manifest says beyond the numbers: omissions and the options of the run --------


def not_held_rows(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifest's ``not_held`` list (names never held or cut); [] for older runs."""
    rows = manifest.get("not_held")
    if rows is None:
        summary = manifest.get("summary")
        rows = summary.get("not_held") if isinstance(summary, dict) else None
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def held_counts(manifest: dict[str, Any]) -> tuple[int, int] | None:
    """``(held, names)``: names ever bought of those the plan traded; None for older runs."""
    summary = manifest.get("summary")
    if not isinstance(summary, dict):
        return None
    held, names = summary.get("held"), summary.get("names")
    if isinstance(held, int) and isinstance(names, int):
        return held, names
    return None


def changed_parameters(manifest: dict[str, Any]) -> list[str]:
    """The run's options that differ from its strategy file: costs, lots, capital, period.

    A capital the file itself sets (or an older default) that is not today's
    :data:`~coverbt.strategy.spec.DEFAULT_CAPITAL` is shown too, marked ``(file)``.

    Examples
    --------
    >>> changed_parameters({
    ...     "strategy": {"spec": {"costs": "a_share_default", "capital": 5e6}},
    ...     "parameters": {"no_costs": True, "fractional": True, "capital": 1e6,
    ...                    "profile": "no_costs", "start": None, "end": "2024-09-30"},
    ... })
    ['no costs', 'fractional', 'capital 1,000,000', 'end 2024-09-30']
    """
    params = manifest.get("parameters")
    strategy = manifest.get("strategy")
    spec = strategy.get("spec") if isinstance(strategy, dict) else None
    if not isinstance(params, dict):
        return []
    spec = spec if isinstance(spec, dict) else {}
    out = []
    if params.get("no_costs"):
        out.append("no costs")
    elif spec.get("costs") and params.get("profile") not in (None, spec.get("costs")):
        out.append(f"costs {params.get('profile')}")
    if params.get("fractional"):
        out.append("fractional")
    capital, default = params.get("capital"), spec.get("capital")
    if isinstance(capital, int | float) and capital != default:
        out.append(f"capital {capital:,.0f}")
    elif isinstance(capital, int | float) and capital != DEFAULT_CAPITAL:
        out.append(f"capital {capital:,.0f} (file)")  # pinned, or an older default
    out.extend(f"{key} {params[key]}" for key in ("start", "end") if params.get(key))
    return out


def universe_file(manifest: dict[str, Any]) -> str:
    """The name of the universe file the run read ('' when the manifest does not say)."""
    universe = manifest.get("universe")
    value = universe.get("file") if isinstance(universe, dict) else None
    return Path(str(value)).name if value else ""
