"""Open ``reports/index.html`` in headless Chromium, follow every link, fail on any error.

Needs Debian's ``chromium`` (``/usr/bin/chromium``; ``.ci/run`` installs it). Without it the
test is skipped with the install command as its reason; under ``.ci/run``
(``COVERBT_REQUIRE_ALL=1``) a missing browser fails the run.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from coverbt.daily import run_daily
from coverbt.reports import build_run_report, write_index, write_scorecard_report
from coverbt.revisions.ledger import Ledger
from coverbt.revisions.report import run_revisions
from coverbt.scorecard import score_universe
from coverbt.screens.service import screen_in_workspace
from coverbt.workspace import Workspace

ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]  # fmt: skip

SCREEN = "coverage_cheap_strong"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(
    run_dir: Path,
    universe,
    universe_file: Path,
    report_market,
    repo_root: Path,
    tmp_path_factory,
    chromium: Path,
) -> Iterator[str]:
    workspace = _workspace(tmp_path_factory.mktemp("site"), repo_root, run_dir)
    reports = workspace.reports_dir
    build_run_report(reports / run_dir.name)
    write_scorecard_report(
        [score_universe(universe, report_market, h) for h in ("3M", "6M")], reports
    )
    # a screen over two dates, a daily run (which screens 2024-11-29 again) and revision charts
    screen_in_workspace(workspace, SCREEN, as_of=dt.date(2024, 9, 30), market=report_market)
    run_daily(workspace, offline=True, as_of=dt.date(2024, 11, 29), market=report_market)
    run_revisions(
        Ledger.in_cache(workspace.cache_dir), universe, universe_file, report_market,
        dt.date(2024, 12, 31), reports / "revisions" / "2024-12-31",
    )  # fmt: skip
    write_index(reports)
    handler = functools.partial(_QuietHandler, directory=str(reports))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _workspace(root: Path, repo_root: Path, run_dir: Path) -> Workspace:
    """A workspace with the universe, one screen and a copy of the backtest run folder."""
    workspace = Workspace.at(root)
    shutil.copytree(repo_root / "universe", workspace.universe_dir)
    workspace.screens_dir.mkdir(parents=True)
    shutil.copy(repo_root / "strategies" / "screens" / f"{SCREEN}.yaml", workspace.screens_dir)
    shutil.copytree(run_dir, workspace.reports_dir / run_dir.name)
    return workspace


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def test_index_and_every_linked_page_load_cleanly(site: str, chromium: Path) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=ARGS)
        page = browser.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        page.route("**/*", lambda route: _local_only(route, problems))
        visited = _crawl(page, urljoin(site, "index.html"), problems)
        browser.close()
    assert not problems, "\n".join(problems)
    paths = {urlparse(url).path for url in visited}
    kinds = {Path(path).name for path in paths}
    assert {"index.html", "report.html", "scorecard.html", "tearsheet_csi300.html",
            "tearsheet_sw_computer.html", "scorecard.json", "screen.html", "screen.csv",
            "summary.html", "summary.md", "summary.json", "revisions.html"} <= kinds  # fmt: skip
    screens = f"/screens/{SCREEN}"
    assert {
        f"{screens}/2024-11-29/screen.html",
        f"{screens}/2024-09-30/screen.html",
        "/daily/2024-11-29/summary.html",
        "/revisions/2024-12-31/revisions.html",
        "/events/index.html",  # the daily run's leaderboard
        "/events/car_3M.png",
    } <= paths


def test_leaderboard_tables_sort_by_a_clicked_column(site: str, chromium: Path) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=ARGS)
        page = browser.new_page()
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.goto(urljoin(site, "events/index.html"), wait_until="load")
        table = page.locator("table.sortable").nth(2)  # 1M, by label: 推荐 9, 强烈推荐 3
        labels = "els => els.map(e => e.cells[0].textContent)"
        before = table.locator("tbody tr").evaluate_all(labels)
        table.locator("th", has_text="events").click()
        ascending = table.locator("tbody tr").evaluate_all(labels)
        table.locator("th", has_text="events").click()
        descending = table.locator("tbody tr").evaluate_all(labels)
        browser.close()
    assert not problems, "\n".join(problems)
    assert before == ["推荐", "强烈推荐"] == descending
    assert ascending == ["强烈推荐", "推荐"]


def _local_only(route, problems: list[str]) -> None:  # type: ignore[no-untyped-def]
    host = urlparse(route.request.url).hostname
    if route.request.url.startswith("data:") or host == "127.0.0.1":
        route.continue_()
    else:
        problems.append(f"remote request: {route.request.url}")
        route.abort()


def _crawl(page, start: str, problems: list[str]) -> set[str]:  # type: ignore[no-untyped-def]
    """Visit ``start`` and every local page it links, transitively; HTML pages only crawl."""
    queue, seen = [start], set()
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        if not url.endswith(".html"):  # CSV, Markdown, JSON: Chromium would download them
            status = page.request.get(url).status
            if status != 200:
                problems.append(f"broken link: {url} -> {status}")
            continue
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            problems.append(f"broken link: {url} -> {response and response.status}")
            continue
        for image in page.eval_on_selector_all(
            "img", "els => els.map(e => [e.src, e.naturalWidth])"
        ):
            if image[1] == 0:
                problems.append(f"broken image on {url}: {image[0]}")
        if "tearsheet_" in url:
            continue  # quantstats pages: their only link is quantstats.io
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            if urlparse(href).hostname == "127.0.0.1":
                queue.append(href.split("#")[0])
            else:
                problems.append(f"link leaves the report: {href} on {url}")
    return seen
