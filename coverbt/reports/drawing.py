"""Draw run reports in worker processes while the caller goes on (``coverbt run``).

Drawing a run's tearsheets and charts is CPU-bound matplotlib work, independent from one
run to the next, so :class:`ReportDrawer` hands each run folder to a pool of processes
(:func:`~coverbt.reports.build.render_run_report`, which writes nothing) and writes what
they drew from this process, under the reports lock
(:func:`~coverbt.reports.build.write_run_report`). Workers are started with ``spawn``
(never ``fork``: the caller has threads and open database handles) and take the caller's
warning filters, so a warning that is an error here is one there too.

Usage (``tests/reports/test_report_cache.py`` runs it on real run folders)::

    with ReportDrawer(workers=1) as drawer:
        drawer.submit(run_dir)
        reports = drawer.finish()
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import warnings
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import Any

from coverbt.reports.build import (
    RenderedRun,
    RunReport,
    render_run_report,
    report_is_fresh,
    write_run_report,
)

_log = logging.getLogger(__name__)
MAX_WORKERS = 2  # the pipeline's other work (backtests, scorecard) runs beside them


def default_workers() -> int:
    """Worker processes worth starting here: one per core, at most :data:`MAX_WORKERS`
    (a single core draws in-process: a worker would only add its start-up)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(MAX_WORKERS, cores or 1)
    return workers if workers > 1 else 0


def _start_worker(filters: list[Any]) -> None:
    """Worker initializer: the caller's warning filters, and the drawing libraries loaded
    while the caller is still running its first backtest."""
    warnings.resetwarnings()
    for action, message, category, module, lineno in reversed(filters):
        warnings.filterwarnings(
            action,
            message=_pattern(message),
            category=category,
            module=_pattern(module),
            lineno=lineno,
        )
    import matplotlib

    matplotlib.use("Agg")
    import quantstats  # noqa: F401  (2 s to import: once per worker, not per run)


def _pattern(value: re.Pattern[str] | str | None) -> str:
    """A warning filter's message or module as the text ``filterwarnings`` takes."""
    if value is None:
        return ""
    return value.pattern if isinstance(value, re.Pattern) else value


class ReportDrawer:
    """Draws each submitted run folder's report, in ``workers`` processes (0: in this one),
    started only when a report needs drawing.

    :meth:`finish` writes them in the order submitted and returns what was written.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else workers
        self._pool: ProcessPoolExecutor | None = None
        self._broken = False
        self._pending: list[tuple[Path, Future[RenderedRun] | None]] = []

    def __enter__(self) -> ReportDrawer:
        return self

    def _workers(self) -> ProcessPoolExecutor | None:
        """The pool, started on the first report there is to draw (none when 0 workers)."""
        if self._pool is None and self.workers > 0 and not self._broken:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(list(warnings.filters),),
            )
        return self._pool

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=exc is not None)
            self._pool = None

    def submit(self, run_dir: Path) -> None:
        """Start drawing ``run_dir``'s report in a worker; one whose files are up to date
        (:func:`~coverbt.reports.build.report_is_fresh`), or any without workers, is left
        to :meth:`finish`, in this process."""
        pool = None if report_is_fresh(run_dir) else self._workers()
        future = None
        if pool is not None:
            try:
                future = pool.submit(render_run_report, run_dir)
            except BrokenProcessPool as exc:
                _stopped(exc)
                pool.shutdown(wait=False)
                self._pool, self._broken = None, True
        self._pending.append((run_dir, future))

    def finish(self) -> list[RunReport]:
        """Wait for every drawing and write each; a worker's error is raised here."""
        out = []
        for run_dir, future in self._pending:
            out.append(write_run_report(_result(run_dir, future)))
        self._pending.clear()
        return out


def _result(run_dir: Path, future: Future[RenderedRun] | None) -> RenderedRun:
    if future is None:
        return render_run_report(run_dir)
    try:
        return future.result()
    except BrokenProcessPool as exc:  # a worker died (out of memory, a signal)
        _stopped(exc)
        return render_run_report(run_dir)


def _stopped(exc: BrokenProcessPool) -> None:
    _log.info(f"report workers stopped ({exc}); drawing the remaining reports in this process")
