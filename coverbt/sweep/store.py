"""A sweep's results on disk: parquet parts written atomically, one per finished task.

``reports/sweeps/<name>/`` holds ``sweep.json`` (what the results belong to: the sweep and
strategy files' digests) and ``parts/part-<first combo>-<n>.parquet``. A killed sweep keeps
every part it finished; run again, it computes only the points no part holds. Results of
another version of the sweep or strategy file are never mixed in: the run stops and says
so (``--fresh`` starts over). :func:`results` reads the parts as one table in grid order.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from coverbt.atomic import atomic_path, atomic_write_text
from coverbt.errors import InputError

MANIFEST = "sweep.json"
PARTS = "parts"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(sweep_file: Path, strategy_file: Path, engine: str) -> dict[str, str]:
    return {
        "sweep_file": str(sweep_file),
        "sweep_sha256": sha256_file(sweep_file),
        "strategy_file": str(strategy_file),
        "strategy_sha256": sha256_file(strategy_file),
        "engine": engine,
    }


def open_folder(folder: Path, stamp: dict[str, str], *, fresh: bool) -> set[str]:
    """Ready ``folder`` for a run; the combo ids already done (empty when fresh)."""
    manifest = folder / MANIFEST
    if fresh and folder.exists():
        shutil.rmtree(folder)
    if manifest.exists():
        held = json.loads(manifest.read_text(encoding="utf-8"))
        if {k: held.get(k) for k in ("sweep_sha256", "strategy_sha256")} != {
            k: stamp[k] for k in ("sweep_sha256", "strategy_sha256")
        }:
            raise InputError(
                f"{folder} holds results of another version of the sweep or strategy file",
                source=stamp["sweep_file"],
                expected="the files the results were computed from",
                fix="pass --fresh to start over (the old results are deleted)",
            )
    folder.joinpath(PARTS).mkdir(parents=True, exist_ok=True)
    atomic_write_text(manifest, json.dumps(stamp, indent=2, sort_keys=True) + "\n")
    return done_ids(folder)


def done_ids(folder: Path) -> set[str]:
    done: set[str] = set()
    for part in sorted(folder.joinpath(PARTS).glob("part-*.parquet")):
        done.update(pd.read_parquet(part, columns=["combo_id"])["combo_id"].tolist())
    return done


def write_part(folder: Path, rows: list[dict[str, Any]]) -> Path:
    """One finished task's rows, all or nothing."""
    frame = pd.DataFrame(rows)
    first = str(rows[0]["combo_id"]) if rows else "empty"
    path = folder / PARTS / f"part-{first}-{len(rows)}.parquet"
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
    return path


def results(folder: Path, order: list[str]) -> pd.DataFrame:
    """Every row held, one per combo id, in ``order`` (the grid's)."""
    parts = sorted(folder.joinpath(PARTS).glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame({"combo_id": []})
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    frame = frame.drop_duplicates("combo_id", keep="last")
    rank = {cid: i for i, cid in enumerate(order)}
    frame = frame.loc[frame["combo_id"].isin(rank)]
    return frame.sort_values("combo_id", key=lambda s: s.map(rank)).reset_index(drop=True)
