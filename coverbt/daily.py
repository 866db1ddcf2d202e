"""``coverbt daily``: the one idempotent job cron runs after the close.

Steps, in order; each is isolated, so one failing step (or one failing screen) is reported
and the others still run:

1. ``update data`` (skipped with ``--offline``): the data layer's incremental update of the
   series the cache does not yet hold up to the ``--as-of`` session; skipped, without any
   network call, when the cache already covers it.
2. ``snapshot consensus`` (skipped with ``--offline``): today's consensus forecasts into the
   revision ledger. Skipped for a past ``--as-of``: the sites serve only today's figures,
   and storing them as known on an earlier day would look ahead.

Both steps share one :class:`~coverbt.data.netfail.FetchGuard`: with no route to the
vendors they fail fast, with one line per failure class, instead of retrying every series.
3. ``ingest universe``: the report's forecast rows into the ledger (a no-op once present).
4. ``screen <name>`` for every file in ``strategies/screens`` (stored append-only).
5. ``scorecard``: the report's hit rates (``coverbt.scorecard``).
6. ``revisions``: the revision summary (breadth, per-name EPS changes) as known on the date.
7. ``rating events``: the leaderboard ``reports/events/`` (hit rates per broker, analyst and
   label, CAR charts) of every event in the store and in ``universe/`` published by the
   date, scored on the market as known at its close (:mod:`coverbt.reports.leaderboard`).

Output: ``reports/daily/<date>/summary.json``, ``summary.md`` and ``summary.html`` (rewritten
atomically on a re-run of the same date; the screens' own history is append-only), then
``reports/index.html`` is refreshed to link them.
A lock (``data_cache/daily.lock``) keeps two runs from overlapping: a second run fails at once
with :class:`~coverbt.errors.LockedError`. Any failed step makes the run end with
:class:`DailyFailed` (exit code 1) after the summary is written.

Crontab (after the close, Monday to Friday)::

    30 18 * * 1-5 cd /path/to/workspace && .venv/bin/coverbt daily >> reports/daily/cron.log 2>&1
"""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from coverbt import jsonio
from coverbt.atomic import atomic_write_text
from coverbt.data.netfail import FetchGuard
from coverbt.data.provider import MarketData
from coverbt.errors import CoverbtError, LockedError
from coverbt.oserrors import environment_problem
from coverbt.workspace import Workspace

LOCK_NAME = "daily.lock"
OK, SKIPPED, FAILED, UNAVAILABLE = "ok", "skipped", "failed", "unavailable"


class DailyFailed(CoverbtError):
    """At least one step of the daily run failed (the others ran; see the summary)."""


@dataclass
class Step:
    """The outcome of one step."""

    name: str
    status: str
    detail: str
    seconds: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class DailyRun:
    date: dt.date
    offline: bool
    steps: list[Step]
    folder: Path

    @property
    def failed(self) -> list[Step]:
        return [s for s in self.steps if s.status == FAILED]

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "offline": self.offline,
            "ok": not self.failed,
            "steps": [asdict(s) for s in self.steps],
        }


Job = Callable[[], tuple[str, str, dict[str, Any]]]  # -> (status, detail, data)
Report = Callable[[Step], None]


def _run_step(name: str, job: Job, report: Report | None) -> Step:
    started = time.perf_counter()
    try:
        status, detail, data = job()
    except CoverbtError as exc:
        status, detail, data = FAILED, str(exc), {}
    except OSError as exc:  # a full or read-only disk, said with its path and fix
        problem = environment_problem(exc)
        detail = str(problem) if problem else f"internal error {type(exc).__name__}: {exc}"
        status, data = FAILED, {}
    except Exception as exc:  # a bug in one step must not stop the others; it is reported
        status, detail, data = FAILED, f"internal error {type(exc).__name__}: {exc}", {}
    step = Step(name, status, detail, round(time.perf_counter() - started, 3), data)
    if report is not None:
        report(step)
    return step


def run_daily(
    workspace: Workspace,
    *,
    offline: bool = False,
    as_of: dt.date | None = None,
    universe_path: Path | None = None,
    market: MarketData | None = None,
    report: Report | None = None,
    lock_timeout: float = 0.0,
    today: dt.date | None = None,
    live: MarketData | None = None,
) -> DailyRun:
    """Run every step under the workspace's daily lock and write the summary.

    ``today`` (default: the clock's date) tells a past ``as_of`` from today's run; ``live``
    replaces akshare as the source of the update (tests pass a recorder).

    Raises :class:`LockedError` when another run holds the lock and :class:`DailyFailed`
    (after writing the summary) when any step failed.
    """
    lock_path = workspace.cache_dir / LOCK_NAME
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path), timeout=lock_timeout)
    try:
        lock.acquire()
    except Timeout:
        raise LockedError(
            f"another `coverbt daily` is running (it holds {lock_path}); this run did not "
            "start. Wait for it to finish; if no coverbt process is running, the lock is "
            "released automatically"
        ) from None
    try:
        return _run_locked(
            workspace, offline, as_of, universe_path, market, report, today or dt.date.today(), live
        )
    finally:
        lock.release()


def _run_locked(
    workspace: Workspace,
    offline: bool,
    as_of: dt.date | None,
    universe_path: Path | None,
    market: MarketData | None,
    report: Report | None,
    today: dt.date,
    live: MarketData | None,
) -> DailyRun:
    day = as_of or today
    steps = [
        _run_step(name, job, report)
        for name, job in plan(
            workspace, offline, as_of, day, universe_path, market, today=today, live=live
        )
    ]
    folder = workspace.reports_dir / "daily" / day.isoformat()
    run = DailyRun(day, offline, steps, folder)
    write_summary(run)
    from coverbt.reports import write_index

    write_index(workspace.reports_dir)
    if run.failed:
        names = ", ".join(s.name for s in run.failed)
        raise DailyFailed(
            f"daily run of {day} finished with {len(run.failed)} failed step(s): {names}. "
            f"Details: {folder / 'summary.md'}"
        )
    return run


def plan(
    workspace: Workspace,
    offline: bool,
    as_of: dt.date | None,
    day: dt.date,
    universe_path: Path | None,
    market: MarketData | None,
    *,
    today: dt.date | None = None,
    live: MarketData | None = None,
) -> list[tuple[str, Job]]:
    """The steps of one run, as (name, job) pairs; jobs open what they need lazily.

    ``today`` defaults to ``day``; ``live`` to akshare (see :func:`run_daily`).
    """
    context = _Context(workspace, offline, as_of, day, universe_path, market, today or day, live)
    steps: list[tuple[str, Job]] = [
        ("update data", context.update_data),
        ("snapshot consensus", context.snapshot),
        ("ingest universe", context.ingest_universe),
    ]
    from coverbt.screens.service import configured_screens

    for name in configured_screens(workspace):
        steps.append((f"screen {name}", partial(context.screen, name)))
    steps += [
        ("scorecard", context.scorecard),
        ("revisions", context.revisions),
        ("rating events", context.rating_events),
    ]
    return steps


@dataclass
class _Context:
    """What the steps share: the workspace, the date, and lazily opened universe/market."""

    workspace: Workspace
    offline: bool
    as_of: dt.date | None
    day: dt.date
    universe_path: Path | None
    market: MarketData | None = None
    today: dt.date | None = None
    live: MarketData | None = None
    guard: FetchGuard = field(default_factory=FetchGuard)  # shared by update and snapshot

    def _universe(self) -> Any:
        from coverbt.universe.load import load_universe

        return load_universe(self.universe_path or self.workspace.default_universe)

    def _market(self) -> MarketData:
        if self.market is None:
            from coverbt.data.store import open_store

            self.market = open_store(self.workspace.cache_dir)
        return self.market

    def update_data(self) -> tuple[str, str, dict[str, Any]]:
        if self.offline:
            return SKIPPED, "--offline: market data not updated", {}
        from coverbt.data.akshare_live import AkshareLive
        from coverbt.data.cache import Cache
        from coverbt.data.update import (
            failure_summary,
            last_session,
            to_fetch,
            universe_targets,
            update_cache,
        )

        cache, session = Cache(self.workspace.cache_dir), last_session(self.day)
        todo = to_fetch(cache, universe_targets(self._universe()), self.day)
        if not todo:
            return SKIPPED, f"cache covers {session}, nothing to fetch", {}
        live = self.live or AkshareLive(guard=self.guard)
        results = update_cache(cache, live, todo, today=self.day)
        self.market = None  # re-open: the cache changed
        failed = [r for r in results if r.failed]
        lines = failure_summary(results)
        data = {"results": [r.to_json() for r in results], "failures": lines}
        lacked = f"{len(results)} series the cache lacked up to {session}"
        if failed:
            return FAILED, f"{len(failed)} of the {lacked} failed: " + " | ".join(lines), data
        added = sum(r.rows_added for r in results)
        return OK, f"fetched the {lacked}: {added} rows added", data

    def snapshot(self) -> tuple[str, str, dict[str, Any]]:
        if self.offline:
            return SKIPPED, "--offline: consensus forecasts not fetched", {}
        today = self.today or dt.date.today()
        if self.day != today:
            return (
                SKIPPED,
                f"as of {self.day}, not today ({today}): the sites serve only today's consensus, "
                f"and storing it as known on {self.day} would look ahead. Run `coverbt daily` "
                "without --as-of to snapshot today's",
                {},
            )
        from coverbt.revisions.ledger import Ledger
        from coverbt.revisions.service import take_snapshot

        codes = [n.code for n in self._universe().names if n.a_share]
        ledger = Ledger.in_cache(self.workspace.cache_dir)
        result = take_snapshot(ledger, codes, self.day, guard=self.guard)
        detail = f"{result.records} records fetched, {result.summary.added} new in the ledger"
        if result.problems:
            lines = result.failure_lines()
            return (
                FAILED,
                f"{detail}; {len(result.problems)} request(s) failed: " + " | ".join(lines),
                {"problems": result.problems, "failures": lines},
            )
        return OK, detail, {}

    def ingest_universe(self) -> tuple[str, str, dict[str, Any]]:
        from coverbt.revisions.ledger import Ledger
        from coverbt.revisions.service import ingest_universe

        path = self.universe_path or self.workspace.default_universe
        summary = ingest_universe(Ledger.in_cache(self.workspace.cache_dir), self._universe(), path)
        return OK, f"{summary.added} new row(s), {summary.unchanged} already stored", {}

    def screen(self, name: str) -> tuple[str, str, dict[str, Any]]:
        from coverbt.screens.service import screen_in_workspace

        outcome = screen_in_workspace(self.workspace, name, as_of=self.as_of, market=self._market())
        result = outcome.result
        stored = "stored" if outcome.new else "unchanged (already stored)"
        detail = (
            f"as of {result.as_of}: {len(result.selected)} selected of "
            f"{int(result.table['passed'].sum())} passing, {len(outcome.diff.entered)} entered, "
            f"{len(outcome.diff.left)} left; {stored}"
        )
        return OK, detail, outcome.to_json()

    def scorecard(self) -> tuple[str, str, dict[str, Any]]:
        from coverbt.scorecard import score_universe

        card = score_universe(self._universe(), self._market())
        payload = card.to_json()
        folder = self.workspace.reports_dir / "daily" / self.day.isoformat()
        atomic_write_text(
            folder / "scorecard.json", jsonio.dumps(payload, ensure_ascii=False, indent=2)
        )
        rates = ", ".join(f"{r.rating} {r.band_hits}/{r.n} in band" for r in card.by_rating)
        return OK, f"{len(payload['names'])} names scored ({card.horizon}); {rates}", {}

    def revisions(self) -> tuple[str, str, dict[str, Any]]:
        from coverbt.revisions.ledger import Ledger
        from coverbt.revisions.view import build_view

        rows = Ledger.in_cache(self.workspace.cache_dir).rows()
        view = build_view(self._universe(), rows, self._market(), self.as_of or self.day)
        folder = self.workspace.reports_dir / "daily" / self.day.isoformat()
        atomic_write_text(
            folder / "revisions.json", jsonio.dumps(view, ensure_ascii=False, indent=2, default=str)
        )
        return (
            OK,
            (
                f"as of {view['as_of']}: breadth 1M {view.get('breadth_1m')}, "
                f"3M {view.get('breadth_3m')}"
            ),
            {},
        )

    def rating_events(self) -> tuple[str, str, dict[str, Any]]:
        from coverbt.events.leaderboard import build_leaderboard
        from coverbt.events.service import load_event_set
        from coverbt.events.store import EventStore
        from coverbt.reports.leaderboard import write_leaderboard

        ws = self.workspace
        paths = [ws.universe_dir] if ws.universe_dir.is_dir() else []
        extra = self.universe_path
        if extra is not None and extra.resolve().parent != ws.universe_dir.resolve():
            paths.append(extra)
        found = load_event_set(
            EventStore.in_cache(ws.cache_dir), paths, ws.universe_dir, until=self.day
        )
        if found.table.empty:
            return SKIPPED, f"no rating event published by {self.day}: no leaderboard", {}
        board = build_leaderboard(found.table, self._market(), as_of=self.day)
        page = write_leaderboard(board, ws.reports_dir)
        detail = (
            f"{board.events} distinct ratings from {board.brokers} broker(s) published by "
            f"{self.day}, scored at {', '.join(board.horizons)}: {page}"
        )
        return OK, detail, {"events": board.events, "page": str(page)}


def write_summary(run: DailyRun) -> None:
    """summary.json, summary.md and summary.html in the run's folder (atomic writes)."""
    payload = run.to_json()
    text = jsonio.dumps(payload, ensure_ascii=False, indent=2, default=str)
    atomic_write_text(run.folder / "summary.json", text)
    lines = [f"# coverbt daily {run.date}", ""]
    lines.append(
        f"{'offline' if run.offline else 'online'}; "
        f"{'all steps ok' if not run.failed else f'{len(run.failed)} step(s) FAILED'}"
    )
    lines += ["", "| step | status | detail | seconds |", "|---|---|---|---|"]
    for step in run.steps:
        detail = step.detail.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {step.name} | {step.status} | {detail} | {step.seconds:.2f} |")
    atomic_write_text(run.folder / "summary.md", "\n".join(lines) + "\n")
    rows = "".join(
        f"<tr class='{s.status}'><td>{html.escape(s.name)}</td><td>{s.status}</td>"
        f"<td>{html.escape(s.detail)}</td><td>{s.seconds:.2f}</td></tr>"
        for s in run.steps
    )
    atomic_write_text(
        run.folder / "summary.html",
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>coverbt daily {run.date}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2rem}td,th{padding:.3rem .6rem;"
        "border-bottom:1px solid #ddd;text-align:left}.failed{background:#fde8e8}"
        ".skipped,.unavailable{color:#888}</style></head><body>"
        f"<h1>coverbt daily {run.date}</h1><table><tr><th>step</th><th>status</th>"
        f"<th>detail</th><th>seconds</th></tr>{rows}</table></body></html>",
    )
