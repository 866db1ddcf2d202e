"""Write a backtest run to ``reports/<run-id>/`` (the contract the report builder reads).

Files: ``manifest.json``, ``equity.csv``, ``returns.csv``, ``trades.csv``,
``positions.csv``, ``per_name.csv``. The folder is written under a temporary name and moved
into place, so a reader never sees half a run. The run id is a digest of everything that
determines the result (inputs, options, the capital, data), so repeating a run reproduces
its folder. Repeating a run keeps the report files (pages, tearsheets, charts) an earlier
run of the same id built, as long as the data files come out the same; a run never touches
another run id's folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import cast

import pandas as pd

from coverbt import jsonio
from coverbt.atomic import temp_dir
from coverbt.backtest.bt_engine import actions_applied
from coverbt.backtest.run import BacktestResult, RunOptions, run_backtest
from coverbt.data.provider import MarketData
from coverbt.errors import InputError
from coverbt.locks import reports_lock, sweep_temporaries
from coverbt.strategy.ratings import RatingHistory
from coverbt.strategy.spec import load_strategy
from coverbt.universe.load import load_universe

PACKAGES = ("coverbt", "backtrader", "pandas", "numpy", "pydantic", "exchange-calendars")


@dataclass(frozen=True)
class RunInputs:
    strategy_file: Path
    universe_file: Path
    command: str


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def data_sources(result: BacktestResult) -> list[dict[str, object]]:
    """Every series the run read: code, kind, source, adjust, first, last and a digest."""
    rows = []
    for code, meta in result.panel.meta.items():
        rows.append({**meta.to_json(), "sha256": result.panel.digest[code]})
    for code, meta in result.panel.execution_meta.items():  # raw bars orders filled at
        rows.append({**meta.to_json(), "sha256": result.panel.execution_digest[code]})
    rows.extend(dict(item) for item in result.benchmark_meta.values())
    return rows


def run_id_for(result: BacktestResult, inputs: RunInputs) -> str:
    """``<strategy>-<12 hex>``: a digest of inputs, options and the bars used."""
    parts = {
        "strategy": sha256_file(inputs.strategy_file),
        "universe": sha256_file(inputs.universe_file),
        "options": result.options.to_json(),
        "capital": result.plan.capital,  # a new default capital is a new run
        "data": sorted(result.panel.digest.items()),
    }
    if result.panel.execution_digest:  # raw bars for execution: a new run
        parts["raw_data"] = sorted(result.panel.execution_digest.items())
    if result.plan.screen_file is not None:  # the screen decides too: a new screen, a new run
        parts["screen"] = sha256_file(result.plan.screen_file)
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return f"{result.spec.name}-{digest[:12]}"


def manifest(result: BacktestResult, inputs: RunInputs, run_id: str, report_dir: Path) -> dict:
    plan = result.plan
    return {
        "run_id": run_id,
        "strategy": {
            "name": result.spec.name,
            "file": str(inputs.strategy_file),
            "sha256": sha256_file(inputs.strategy_file),
            "spec": result.spec.model_dump(mode="json"),
        },
        "universe": {
            "file": str(inputs.universe_file),
            "sha256": sha256_file(inputs.universe_file),
        },
        "screen": (
            {"file": str(plan.screen_file), "sha256": sha256_file(plan.screen_file)}
            if plan.screen_file is not None
            else None
        ),
        "start": plan.start.date().isoformat(),
        "end": plan.end.date().isoformat(),
        "parameters": {
            **result.options.to_json(),
            "profile": plan.profile.name,
            "capital": plan.capital,
            "capital_from": "--capital" if result.options.capital is not None else "strategy",
            "stop_loss": plan.stop_loss,
            "engine": result.engine.engine,
        },
        "decisions": [
            {"date": d.date.date().isoformat(), "reason": d.reason, "weights": d.weights}
            for d in plan.decisions
        ],
        "exits": {c: day.date().isoformat() for c, day in plan.exits.items()},
        "skipped": [{"code": s.code, "name": s.name, "reason": s.reason} for s in plan.skipped],
        "refused_orders": [
            {"date": r.day.isoformat(), "code": r.code, "side": str(r.side), "reason": r.reason}
            for r in result.engine.refusals
        ],
        "not_held": [item.to_json() for item in result.not_held],
        "held_at_end": result.engine.held_at_end,
        "execution_prices": result.engine.execution_prices,
        "corporate_actions_applied": actions_applied(result.engine),
        "data_sources": data_sources(result),
        "packages": package_versions(),
        "command": inputs.command,
        "summary": result.summary(run_id, str(report_dir)),
    }


def write_run(result: BacktestResult, reports_dir: Path, inputs: RunInputs) -> Path:
    """Write the run folder atomically, under the reports lock, and return its path."""
    run_id = run_id_for(result, inputs)
    info = manifest(result, inputs, run_id, reports_dir / run_id)
    with reports_lock(reports_dir):
        sweep_temporaries(reports_dir)
        return _move_in(result, reports_dir, run_id, info)


def _move_in(result: BacktestResult, reports_dir: Path, run_id: str, info: dict) -> Path:
    target = reports_dir / run_id
    tmp = temp_dir(reports_dir, prefix=f".{run_id}.")
    try:
        _write_files(result, tmp, info)
        if target.exists():
            carry_report(target, tmp)
            old = temp_dir(reports_dir, prefix=f".{run_id}.old.")
            os.replace(target, old / run_id)
            os.replace(tmp, target)
            shutil.rmtree(old)
        else:
            os.replace(tmp, target)
    except OSError as exc:  # a full or read-only disk: the error names the run folder
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.filename is None and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, str(target)) from exc
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


DATA_FILES: tuple[str, ...] = (
    "equity.csv", "returns.csv", "trades.csv", "positions.csv", "per_name.csv",
)  # fmt: skip
MANIFEST = "manifest.json"


def carry_report(old: Path, new: Path) -> bool:
    """Copy the report files of the run folder ``old`` into ``new`` when still true.

    Report files are everything but the data files and the manifest (pages, tearsheets,
    charts). They are carried only when every data file of ``new`` is byte for byte the
    one in ``old``: a report of other numbers would be stale. Returns whether it carried.
    """
    for name in DATA_FILES:
        before, after = old / name, new / name
        if not before.is_file() or before.read_bytes() != after.read_bytes():
            return False
    for path in old.iterdir():
        if path.name in (*DATA_FILES, MANIFEST) or (new / path.name).exists():
            continue
        if path.is_dir():
            shutil.copytree(path, new / path.name)
        else:
            shutil.copy2(path, new / path.name)
    return True


def _write_files(result: BacktestResult, folder: Path, info: dict) -> None:
    fmt = "%.12g"
    # both are indexed by session dates; pandas-stubs types a frame's index as a plain Index
    equity = result.equity.copy()
    equity.index = cast(pd.DatetimeIndex, equity.index).strftime("%Y-%m-%d")
    equity.to_csv(folder / "equity.csv", float_format=fmt)
    returns = result.returns.copy()
    returns.index = cast(pd.DatetimeIndex, returns.index).strftime("%Y-%m-%d")
    returns.to_csv(folder / "returns.csv", float_format=fmt)
    result.trades.to_csv(folder / "trades.csv", index=False, float_format=fmt)
    positions = result.positions.copy()
    positions["date"] = positions["date"].dt.strftime("%Y-%m-%d")
    positions.to_csv(folder / "positions.csv", index=False, float_format=fmt)
    result.per_name.to_csv(folder / "per_name.csv", index=False, float_format=fmt)
    text = jsonio.dumps(info, ensure_ascii=False, indent=2, default=str)
    (folder / "manifest.json").write_text(text + "\n", encoding="utf-8")


def backtest_file(
    strategy_file: Path,
    universe_file: Path,
    market: MarketData,
    reports_dir: Path,
    options: RunOptions,
    command: str,
    ratings: RatingHistory | None = None,
) -> tuple[BacktestResult, Path, dict[str, object]]:
    """Load both files, run, write the folder; returns the result, folder and summary.

    ``ratings`` (e.g. :class:`~coverbt.strategy.ratings.LedgerRatings`) feeds
    ``exit.on_rating_change``.
    """
    spec = load_strategy(strategy_file)
    universe = load_universe(universe_file)
    reports_dir.mkdir(parents=True, exist_ok=True)  # an unwritable reports/ fails before the run
    result = run_backtest(spec, universe, market, options, ratings)
    folder = write_run(result, reports_dir, RunInputs(strategy_file, universe_file, command))
    return result, folder, result.summary(folder.name, str(folder))


def resolve_strategy(text: str, strategies_dir: Path) -> Path:
    """A strategy given as a file path, or as a name in ``strategies/`` (``coverage_equal``)."""
    path = Path(text)
    if path.is_file():
        return path
    named = strategies_dir / f"{text}.yaml"
    if named.is_file():
        return named
    known = sorted(p.stem for p in strategies_dir.glob("*.yaml"))
    raise InputError(
        f"no strategy file {text!r}",
        source=path,
        field="STRATEGY",
        expected=f"a YAML file, or one of {known}" if known else "a YAML file",
        fix=f"pass a path, or a name from {strategies_dir}/",
    )
