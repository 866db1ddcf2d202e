"""Run a sweep: in process, on a local Dask cluster, or on an existing one; resumable.

Points are cut into tasks of :data:`TASK_SIZE`; each finished task is written as one parquet
part at once (:mod:`coverbt.sweep.store`), so a killed sweep resumes where it stopped. The
rows are the same whichever runs them: each point is computed by the same pure chain (plan,
compiled engine, metrics) from the same cache, and the table is put in grid order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from coverbt.errors import InputError
from coverbt.sweep.evaluate import STATUS_OK, SweepContext, evaluate_chunk
from coverbt.sweep.grid import Combo, combinations, variant
from coverbt.sweep.spec import SweepSpec
from coverbt.sweep.store import fingerprint, open_folder, results, write_part

TASK_SIZE = 25  # points per task: one parquet part each
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Backend:
    """Where the points run: ``workers`` local Dask processes, or the cluster at
    ``scheduler`` (its workers must see the same cache folder), or in process."""

    workers: int = 0
    scheduler: str | None = None

    @property
    def label(self) -> str:
        if self.scheduler:
            return f"dask cluster {self.scheduler}"
        if self.workers:
            return f"dask LocalCluster, {self.workers} workers"
        return "in process"


@dataclass(frozen=True)
class SweepOutcome:
    folder: Path
    table: pd.DataFrame
    computed: int  # points computed by this run (the rest were resumed)
    total: int
    backend: str


def run_sweep(
    spec: SweepSpec,
    ctx: SweepContext,
    out_dir: Path,
    *,
    backend: Backend = Backend(),
    fresh: bool = False,
    progress: Progress | None = None,
    limit: int | None = None,
) -> SweepOutcome:
    """Compute every point of ``spec`` not yet in ``out_dir/<name>``; the whole table.

    ``limit`` stops after that many new points (what a test uses to stand for a kill).
    """
    step = progress or (lambda _label, _done, _total: None)
    if ctx.sweep_file is None:
        raise ValueError("a sweep context needs its sweep file (for the results' stamp)")
    combos = combinations(spec, ctx.default_universe)
    for combo in combos:  # a bad value fails now, with the sweep file named, not mid-run
        variant(ctx.base, combo, ctx.sweep_file)
        _universe_exists(ctx, combo)
    folder = out_dir / spec.name
    done = open_folder(folder, fingerprint(ctx.sweep_file, ctx.strategy_file, "fast"),
                       fresh=fresh)  # fmt: skip
    todo = [c for c in combos if c.id not in done]
    finished = len(combos) - len(todo)
    if limit is not None:
        todo = todo[:limit]
    tasks = [todo[i : i + TASK_SIZE] for i in range(0, len(todo), TASK_SIZE)]
    step(f"sweep {spec.name}: {backend.label}", finished, len(combos))
    for rows in _execute(ctx, tasks, backend):
        write_part(folder, rows)
        finished += len(rows)
        step(f"sweep {spec.name}: {backend.label}", finished, len(combos))
    table = results(folder, [c.id for c in combos])
    return SweepOutcome(folder, table, len(todo), len(combos), backend.label)


def _universe_exists(ctx: SweepContext, combo: Combo) -> None:
    path = ctx.universe_dir / f"{combo.universe}.yaml"
    if not path.exists():
        raise InputError(
            f"universe {combo.universe!r} is not in {ctx.universe_dir}",
            source=ctx.sweep_file,
            field="universes",
            expected="file stems of universe/*.yaml",
            fix="list the universe files with `ls universe/`",
        )


def _execute(
    ctx: SweepContext, tasks: list[list[Combo]], backend: Backend
) -> Iterator[list[dict[str, Any]]]:
    if not tasks:
        return
    if not backend.workers and not backend.scheduler:
        for task in tasks:
            yield evaluate_chunk(ctx, task)
        return
    from dask.distributed import as_completed

    with _client(backend) as client:
        shared = client.scatter(ctx, broadcast=True)  # once per worker, never per task
        futures = [client.submit(evaluate_chunk, shared, task, pure=False) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


@contextmanager
def _client(backend: Backend) -> Iterator[Any]:
    from dask.distributed import Client, LocalCluster

    if backend.scheduler:
        with Client(backend.scheduler) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=backend.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: two sweeps at once never collide
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def failures(table: pd.DataFrame) -> pd.DataFrame:
    """The points that produced no run, with why."""
    if "status" not in table:
        return table.iloc[0:0]
    return table.loc[table["status"] != STATUS_OK]
