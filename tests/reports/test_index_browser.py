"""Open ``reports/index.html`` in headless Chromium, follow every link, fail on any error.

Needs Debian's ``chromium`` (``/usr/bin/chromium``; ``.ci/run`` installs it). A missing
browser FAILS this test with the install command: it never skips silently.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from coverbt.reports import build_run_report, write_index, write_scorecard_report
from coverbt.scorecard import score_universe

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]  # fmt: skip

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(run_dir: Path, universe, shared_provider) -> Iterator[str]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.fail(
            f"headless Chromium is missing ({CHROMIUM}): install it with "
            "`sudo apt-get install -y chromium` (as .ci/run does); never `playwright install`",
            pytrace=False,
        )
    reports = run_dir.parent
    build_run_report(run_dir)
    write_scorecard_report(
        [score_universe(universe, shared_provider, h) for h in ("3M", "6M")], reports
    )
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


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def test_index_and_every_linked_page_load_cleanly(site: str) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        page.route("**/*", lambda route: _local_only(route, problems))
        visited = _crawl(page, urljoin(site, "index.html"), problems)
        browser.close()
    assert not problems, "\n".join(problems)
    kinds = {Path(urlparse(url).path).name for url in visited}
    assert {"index.html", "report.html", "scorecard.html", "tearsheet_csi300.html",
            "tearsheet_sw_computer.html", "scorecard.json"} <= kinds  # fmt: skip


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
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            problems.append(f"broken link: {url} -> {response and response.status}")
            continue
        for image in page.eval_on_selector_all(
            "img", "els => els.map(e => [e.src, e.naturalWidth])"
        ):
            if image[1] == 0:
                problems.append(f"broken image on {url}: {image[0]}")
        if not url.endswith(".html") or "tearsheet_" in url:
            continue  # JSON, and quantstats pages (their only link is quantstats.io)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            if urlparse(href).hostname == "127.0.0.1":
                queue.append(href.split("#")[0])
            else:
                problems.append(f"link leaves the report: {href} on {url}")
    return seen
