"""Build the report files of a run and of a scorecard, and ``reports/index.html``.

Call :func:`build_run_report` after every backtest (the engine's command does) and
:func:`write_index` after anything new lands in ``reports/``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from importlib import metadata
from pathlib import Path

from coverbt import jsonio
from coverbt.atomic import atomic_path, atomic_write_text
from coverbt.errors import InputError
from coverbt.locks import reports_lock, sweep_temporaries
from coverbt.reports.charts import (
    contribution_figure,
    drawdown_figure,
    equity_figure,
    png_bytes,
    save_png,
    scorecard_figure,
)
from coverbt.reports.html import (
    href,
    link,
    not_held_section,
    page,
    scorecard_section,
    section,
    table,
)
from coverbt.reports.outputs import (
    daily_section,
    ensure_revisions_pages,
    events_section,
    find_daily,
    find_events,
    find_revisions,
    find_screens,
    find_sweeps,
    revisions_section,
    screens_section,
    sweeps_section,
)
from coverbt.reports.run_folder import (
    MANIFEST,
    RunFolder,
    changed_parameters,
    held_counts,
    is_run_folder,
    load_run,
    not_held_rows,
    universe_file,
)
from coverbt.reports.scorecard_extras import scorecard_extras
from coverbt.reports.summary import RunSummary, summarise_equity
from coverbt.reports.tearsheet import BENCHMARK_NAMES, render_tearsheet, tearsheet_path
from coverbt.scorecard.model import Scorecard
from coverbt.scorecard.tables import pct

RUN_PAGE = "report.html"
SCORECARD_PAGE = "scorecard.html"
SCORECARD_JSON = "scorecard.json"
INDEX = "index.html"
CHARTS: tuple[str, ...] = ("equity.png", "drawdown.png", "contribution.png")
# the digest of the inputs the tearsheets and charts were drawn from (see report_key);
# bump REPORT_FORMAT when what they show changes, so every run's are drawn again
REPORT_KEY = "report.sha256"
REPORT_FORMAT = "coverbt-run-report-2"  # 2: quantstats charts drawn once per run


@dataclass(frozen=True)
class RunReport:
    """What :func:`build_run_report` wrote."""

    run_dir: Path
    page: Path
    tearsheets: list[Path]
    charts: list[Path]
    summary: RunSummary


@dataclass(frozen=True)
class RenderedRun:
    """A run's drawn report files, not yet written (:func:`render_run_report`).

    ``files`` maps a file name in the run folder to its content; it is empty when the
    folder already holds the files drawn from the same inputs (``key``).
    """

    run_dir: Path
    key: str
    files: dict[str, bytes]


def build_run_report(run_dir: Path) -> RunReport:
    """Tearsheets vs CSI 300 and SW Computer, PNG charts and ``report.html`` of one run.

    The tearsheets and charts are drawn again only when their inputs changed
    (:func:`report_key`); ``report.html`` is always written.

    Raises
    ------
    InputError
        when the run folder lacks a file or column of the contract.
    """
    return write_run_report(render_run_report(Path(run_dir)))


def render_run_report(run_dir: Path) -> RenderedRun:
    """Draw the tearsheets and charts of ``run_dir`` without writing anything (a worker
    process may call it); nothing when the folder's are still those of its inputs."""
    run_dir = Path(run_dir)
    key = report_key(run_dir)
    if _is_fresh(run_dir, key):
        return RenderedRun(run_dir, key, {})
    run = load_run(run_dir)
    title = _title(run)
    files = {
        CHARTS[0]: png_bytes(equity_figure(run.equity, f"{run.run_id}: growth of 1")),
        CHARTS[1]: png_bytes(drawdown_figure(run.equity, f"{run.run_id}: drawdown")),
        CHARTS[2]: png_bytes(
            contribution_figure(run.per_name, f"{run.run_id}: contribution per name")
        ),
    }
    shared: dict[str, dict[str, str]] = {}  # the portfolio's own charts, drawn once
    for name, label in BENCHMARK_NAMES.items():
        html = render_tearsheet(run.returns, name, f"{title} vs {label}", shared)
        files[tearsheet_path(run_dir, name).name] = html.encode("utf-8")
    return RenderedRun(run_dir, key, files)


def write_run_report(rendered: RenderedRun) -> RunReport:
    """Write what :func:`render_run_report` drew, and ``report.html``, under the reports
    lock. A folder whose inputs changed since it was drawn is drawn again, in the lock."""
    run_dir = rendered.run_dir
    with reports_lock(run_dir.parent):
        sweep_temporaries(run_dir)
        if report_key(run_dir) != rendered.key:
            rendered = render_run_report(run_dir)
        if rendered.files:
            (run_dir / REPORT_KEY).unlink(missing_ok=True)  # stale until all are written
            for name, content in rendered.files.items():
                with atomic_path(run_dir / name) as tmp:
                    tmp.write_bytes(content)
            atomic_write_text(run_dir / REPORT_KEY, rendered.key + "\n")
        return _write_run_page(run_dir)


def report_key(run_dir: Path) -> str:
    """SHA-256 of everything the tearsheets and charts are drawn from: the data files, the
    run id, strategy and start in the manifest, and the drawing libraries' versions."""
    digest = hashlib.sha256(REPORT_FORMAT.encode())
    for name in ("equity.csv", "returns.csv", "per_name.csv"):
        path = run_dir / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    manifest_path = run_dir / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    identity = (
        manifest
        if not isinstance(manifest, dict)
        else {key: manifest.get(key) for key in ("run_id", "strategy", "start")}
    )
    digest.update(json.dumps([identity, _drawing_versions()], sort_keys=True).encode())
    return digest.hexdigest()


def report_is_fresh(run_dir: Path) -> bool:
    """Whether ``run_dir``'s tearsheets and charts are those its inputs would draw."""
    return _is_fresh(Path(run_dir), report_key(Path(run_dir)))


def _is_fresh(run_dir: Path, key: str) -> bool:
    """Whether the folder holds every drawn file, drawn from inputs hashing to ``key``."""
    try:
        stored = (run_dir / REPORT_KEY).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return False
    drawn = [*CHARTS, *(tearsheet_path(run_dir, name).name for name in BENCHMARK_NAMES)]
    return stored == key and all((run_dir / name).is_file() for name in drawn)


@lru_cache(maxsize=1)
def _drawing_versions() -> dict[str, str]:
    versions = {}
    for package in ("coverbt", "quantstats", "matplotlib", "pandas"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _title(run: RunFolder) -> str:
    return f"{run.run_id} ({run.strategy})" if run.strategy else run.run_id


def _write_run_page(run_dir: Path) -> RunReport:
    run = load_run(run_dir)
    summary = summarise_equity(run.equity, start=_manifest_start(run))
    tearsheets = [tearsheet_path(run.path, name) for name in BENCHMARK_NAMES]
    charts = [run.path / name for name in CHARTS]
    body = _run_body(run.manifest, summary, tearsheets, charts)
    target = run.path / RUN_PAGE
    atomic_write_text(target, page(f"Backtest {_title(run)}", body))
    return RunReport(run.path, target, tearsheets, charts, summary)


def _run_body(
    manifest: dict[str, object], summary: RunSummary, tearsheets: list[Path], charts: list[Path]
) -> str:
    numbers = table(
        ["", "portfolio", "CSI 300", "SW Computer"],
        [
            [
                "total return",
                pct(summary.total_return),
                pct(summary.csi300_return),
                pct(summary.sw_computer_return),
            ],
            ["portfolio excess", "", pct(summary.excess_csi300), pct(summary.excess_sw_computer)],
            ["max drawdown", pct(summary.max_drawdown), "", ""],
        ],
        numeric={1, 2, 3},
    )
    links = " · ".join(link(p.name, f"quantstats tearsheet: {p.stem}") for p in tearsheets)
    images = "\n".join(f'<img src="{p.name}" alt="{p.stem}">' for p in charts)
    command = escape(str(manifest.get("command", "")))
    return (
        f"<p>{escape(summary.start)} to {escape(summary.end)}{escape(_run_facts(manifest))}. "
        f"{links}</p>\n{numbers}\n"
        f"{not_held_section(not_held_rows(manifest), held_counts(manifest))}\n{images}\n"
        f"<h2>manifest</h2><pre>{escape(json.dumps(manifest, ensure_ascii=False, indent=2))}"
        f"</pre>\n<p><small>repeat: <code>{command}</code></small></p>\n"
        f"<p>{link('../' + INDEX, 'all reports')} · {link('manifest.json', 'manifest.json')}</p>"
    )


def _run_facts(manifest: dict[str, object]) -> str:
    """``, held 23 of 25 names, capital 1,000,000 CNY, options: fractional``."""
    out = ""
    counts = held_counts(manifest)
    if counts is not None:
        out += f", held {counts[0]} of {counts[1]} names"
    params = manifest.get("parameters")
    capital = params.get("capital") if isinstance(params, dict) else None
    if isinstance(capital, int | float):
        out += f", capital {capital:,.0f} CNY"
    changed = changed_parameters(manifest)
    return out + (f", options: {', '.join(changed)}" if changed else "")


def scorecard_dir(reports_dir: Path, cards: list[Scorecard]) -> Path:
    """``reports/scorecard-<report-id>-<benchmark>/``."""
    return Path(reports_dir) / f"scorecard-{cards[0].report_id}-{cards[0].benchmark}"


def write_scorecard_report(cards: list[Scorecard], reports_dir: Path) -> Path:
    """Write one scorecard folder (JSON, a PNG per horizon, ``scorecard.html``); its path."""
    if not cards:
        raise ValueError("no scorecard to write")
    with reports_lock(reports_dir):
        return _write_scorecard_report(cards, scorecard_dir(reports_dir, cards))


def _write_scorecard_report(cards: list[Scorecard], folder: Path) -> Path:
    sections = []
    for card in cards:
        image = f"scorecard_{card.horizon}.png"
        save_png(scorecard_figure(card), folder / image)
        sections.append(scorecard_section(card, image) + scorecard_extras(card))
    payload = [card.to_json() for card in cards]
    atomic_write_text(folder / SCORECARD_JSON, jsonio.dumps(payload, ensure_ascii=False, indent=2))
    body = (
        "<p>Entry at the open of the first session after publication, exit at the close "
        "ending the horizon; excess = return - benchmark return over the same span.</p>\n"
        + "\n".join(sections)
        + f"\n<p>{link(SCORECARD_JSON, 'scorecard.json')} · "
        + f"{link('../' + INDEX, 'all reports')}</p>"
    )
    atomic_write_text(folder / SCORECARD_PAGE, page(f"Scorecard {cards[0].report_id}", body))
    return folder


def write_index(reports_dir: Path) -> Path:
    """Regenerate ``reports/index.html`` (atomic) linking everything under ``reports/``.

    Sections: scorecards, backtest runs, screens (latest as-of date first, older dates
    linked), daily runs and revision charts (both newest first), parameter sweeps, and the
    rating-event leaderboard with its CAR charts. A revisions folder without
    its page gets one (:func:`~coverbt.reports.outputs.write_revisions_page`). A damaged run
    folder is listed with the problem instead of failing: every command that writes under
    ``reports/`` refreshes this page, and none should fail because of another's output.
    """
    reports_dir = Path(reports_dir)
    with reports_lock(reports_dir):
        sweep_temporaries(reports_dir)
        return _write_index(reports_dir)


def _write_index(reports_dir: Path) -> Path:
    runs, scorecards = [], []
    loaded: list[tuple[Path, RunFolder | InputError]] = []
    for folder in (
        sorted(p for p in reports_dir.iterdir() if p.is_dir()) if reports_dir.is_dir() else []
    ):
        if is_run_folder(folder):
            loaded.append((folder, _try_load(folder)))
        elif (folder / SCORECARD_JSON).is_file() and (folder / SCORECARD_PAGE).is_file():
            scorecards.append(_scorecard_row(folder))
    universes = {universe_file(r.manifest) for _f, r in loaded if isinstance(r, RunFolder)}
    runs = [_run_row(folder, run, len(universes) > 1) for folder, run in loaded]
    body = section("Scorecards", ["scorecard", "horizons", "json"], scorecards, set())
    body += "\n" + section(
        "Backtest runs",
        [
            "run", "strategy", "options (vs the strategy file)", "period", "held",
            "return", "vs CSI 300", "vs SW Computer", "tearsheets",
        ],
        runs,
        numeric={5, 6, 7},
    )  # fmt: skip
    revisions = find_revisions(reports_dir)
    ensure_revisions_pages(revisions, reports_dir)
    body += "\n" + "\n".join(
        (
            screens_section(find_screens(reports_dir)),
            daily_section(find_daily(reports_dir)),
            revisions_section(revisions),
            sweeps_section(find_sweeps(reports_dir)),
            events_section(find_events(reports_dir)),
        )
    )
    target = reports_dir / INDEX
    atomic_write_text(target, page("coverbt reports", body))
    return target


def _manifest_start(run: RunFolder) -> str | None:
    value = run.manifest.get("start")
    return str(value) if value else None


def _try_load(folder: Path) -> RunFolder | InputError:
    try:
        return load_run(folder)
    except InputError as exc:
        return exc


def _run_row(folder: Path, run: RunFolder | InputError, show_universe: bool) -> list[str]:
    if isinstance(run, InputError):
        return [escape(folder.name), "", "", f"unreadable: {escape(str(run))}", *[""] * 5]
    summary = summarise_equity(run.equity, start=_manifest_start(run))
    report = (
        link(href(folder.name, RUN_PAGE), run.run_id)
        if (folder / RUN_PAGE).is_file()
        else escape(run.run_id)
    )
    sheets = [
        link(href(folder.name, tearsheet_path(folder, name).name), name)
        for name in BENCHMARK_NAMES
        if tearsheet_path(folder, name).is_file()
    ]
    options = changed_parameters(run.manifest)
    if show_universe and universe_file(run.manifest):
        options.append(f"universe {universe_file(run.manifest)}")
    return [
        report,
        escape(run.strategy),
        escape(", ".join(options) or "as in the file"),
        f"{summary.start} .. {summary.end}",
        _held_cell(run.manifest),
        pct(summary.total_return),
        pct(summary.excess_csi300),
        pct(summary.excess_sw_computer),
        " ".join(sheets),
    ]


def _held_cell(manifest: dict[str, object]) -> str:
    """``23 of 25`` and, below, each name not held as planned with what it left in cash."""
    counts = held_counts(manifest)
    text = (
        "<small>not recorded (older run)</small>"
        if counts is None
        else f"{counts[0]} of {counts[1]}"
    )
    missing = [
        f"{row.get('code')} {row.get('status')}"
        + (f" ({row['cash_weight']:.2%} cash)" if isinstance(row.get("cash_weight"), float) else "")
        for row in not_held_rows(manifest)
    ]
    if missing:
        text += "<br><small>" + escape("; ".join(missing)) + "</small>"
    return text


def _scorecard_row(folder: Path) -> list[str]:
    try:
        data = json.loads((folder / SCORECARD_JSON).read_text(encoding="utf-8"))
        items = data if isinstance(data, list) else []
        horizons = ", ".join(str(item.get("horizon")) for item in items if isinstance(item, dict))
    except (OSError, ValueError):
        horizons = f"{SCORECARD_JSON} unreadable"
    return [
        link(href(folder.name, SCORECARD_PAGE), folder.name),
        escape(horizons),
        link(href(folder.name, SCORECARD_JSON), "json"),
    ]
