"""``reports/index.html`` lists screens, daily runs and revision charts (no browser needed).

A synthetic ``reports/`` tree in the layouts the other commands write: the index must show
each section, order dated outputs newest first, escape and URL-encode names, link only files
that exist, and survive damaged files.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from coverbt.reports import write_index
from coverbt.reports.outputs import REVISIONS_PAGE, write_revisions_page

ODD = 'cheap & <b>"odd"'  # a screen name needing HTML escaping and URL encoding (no slash)
PNG = b"\x89PNG\r\n\x1a\n"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.images: list[str] = []
        self.headings: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))
        if tag == "img":
            self.images.append(str(values["src"]))
        self._in_h2 = tag == "h2"

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.headings.append(data)
            self._in_h2 = False


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def _daily(reports: Path, day: str, statuses: dict[str, str] | None) -> None:
    folder = reports / "daily" / day
    _write(folder / "summary.html", f"<!doctype html><title>{day}</title>")
    _write(folder / "summary.md", f"# {day}\n")
    steps = [{"name": n, "status": s} for n, s in (statuses or {}).items()]
    _write(folder / "summary.json", json.dumps({"steps": steps}) if statuses else "{not json")


@pytest.fixture()
def reports(tmp_path: Path) -> Path:
    root = tmp_path / "reports"
    for screen, days in (
        (ODD, ("2024-09-30", "2024-11-29", "2024-10-31")),
        ("alpha", ("2024-08-30",)),
    ):
        for day in days:
            _write(root / "screens" / screen / day / "screen.html", "<!doctype html>")
            _write(
                root / "screens" / screen / day / "screen.csv", "code,rank\n300496,1\n002439,2\n"
            )
        _write(root / "screens" / screen / "history.jsonl", "{}\n")
    _write(root / "screens" / "empty" / "history.jsonl", "")  # no rendered run: not listed
    _write(root / "screens" / ODD / "not-a-date" / "screen.html", "<!doctype html>")
    (root / "screens" / "alpha" / "2024-08-30" / "screen.csv").unlink()  # page without its CSV
    _daily(root, "2024-11-28", {"ingest universe": "ok", "screen x": "ok"})
    _daily(root, "2024-11-29", {"ingest universe": "ok", "screen <x>": "failed"})
    _daily(root, "2024-10-01", None)  # damaged summary.json
    _write(root / "daily" / "2024-11-29" / "scorecard.json", "{}")
    _write(root / "daily" / "cron.log", "log\n")
    for code in ("600570", "000977"):
        _write(root / "revisions" / "2024-12-31" / f"{code}.png", PNG)
    _write(root / "revisions" / "2024-09-30" / "600570.png", PNG)
    (root / "revisions" / "2024-06-30").mkdir(parents=True)  # no chart: not listed
    broken = root / "broken-run"  # a run folder missing most of its files
    _write(broken / "manifest.json", "{}")
    _write(broken / "equity.csv", "date,x\n2024-06-24,1\n")
    _write(root / "sweeps" / "grid" / "index.html", "<!doctype html>")
    _write(root / "sweeps" / "grid" / "results.csv", "id,total\na,0.1\nb,0.2\nc,0.3\n")
    _write(root / "sweeps" / "no-page" / "results.csv", "id\n")  # no page: not listed
    events = root / "events"  # the leaderboard; its 12M chart is missing: not linked
    _write(events / "index.html", "<!doctype html>")
    _write(events / "car_6M.png", PNG)
    _write(events / "leaderboard.csv", "by,group\n")
    board = {"events": 24, "horizons": ["6M", "12M"], "as_of": "2025-06-30",
             "first_published": "2024-06-23", "last_published": "2024-12-15"}  # fmt: skip
    _write(events / "leaderboard.json", json.dumps(board))
    return root


def test_sections_in_order_and_every_link_exists(reports: Path) -> None:
    index = write_index(reports)
    parsed = _parse(index)
    assert parsed.headings == [
        "Scorecards",
        "Backtest runs",
        "Screens",
        "Daily runs",
        "Revisions",
        "Parameter sweeps",
        "Rating events",
    ]
    for ref in parsed.hrefs:
        assert (reports / unquote(ref)).is_file(), ref
    hrefs = parsed.hrefs
    odd = "screens/cheap%20%26%20%3Cb%3E%22odd%22"
    screen_links = [h for h in hrefs if h.startswith(odd) and h.endswith("screen.html")]
    assert screen_links == [  # latest as-of first, then the older dates newest first
        f"{odd}/2024-11-29/screen.html",
        f"{odd}/2024-10-31/screen.html",
        f"{odd}/2024-09-30/screen.html",
    ]
    assert f"{odd}/2024-11-29/screen.csv" in hrefs
    assert "screens/alpha/2024-08-30/screen.csv" not in hrefs
    assert hrefs.index("screens/alpha/2024-08-30/screen.html") < hrefs.index(screen_links[0])
    daily = [h for h in hrefs if h.startswith("daily/") and h.endswith("summary.html")]
    assert daily == [f"daily/{d}/summary.html" for d in ("2024-11-29", "2024-11-28", "2024-10-01")]
    assert "daily/2024-11-29/scorecard.json" in hrefs
    assert [h for h in hrefs if h.startswith("revisions/")] == [
        f"revisions/2024-12-31/{REVISIONS_PAGE}",
        f"revisions/2024-09-30/{REVISIONS_PAGE}",
    ]
    assert not any("empty" in h or "not-a-date" in h or "2024-06-30" in h for h in hrefs)
    assert [h for h in hrefs if h.startswith("sweeps/")] == [
        "sweeps/grid/index.html",
        "sweeps/grid/results.csv",
    ]
    assert [h for h in hrefs if h.startswith("events/")] == [
        "events/index.html",
        "events/car_6M.png",
        "events/leaderboard.csv",
        "events/leaderboard.json",
    ]


def test_names_are_escaped_and_problems_shown(reports: Path) -> None:
    html = write_index(reports).read_text(encoding="utf-8")
    assert "<b>" not in html and '"odd"' not in html
    assert "cheap &amp; &lt;b&gt;&quot;odd&quot;" in html
    assert "1 failed: screen &lt;x&gt;" in html
    assert "ok (2 steps)" in html
    assert "summary.json unreadable" in html
    row = re.search(r"<tr><td>broken-run</td>.*?</tr>", html)
    assert (
        row and "unreadable" in row.group(0) and "per_name.csv: the file is missing" in row.group(0)
    )
    selected = re.search(r"2024-11-29</a></td><td class=\"n\">(\d+)</td>", html)
    assert selected and selected.group(1) == "2"  # rows of the latest screen.csv


def test_revisions_page_written_once_and_kept(reports: Path) -> None:
    folder = reports / "revisions" / "2024-12-31"
    write_revisions_page(folder, {"600570": "恒生电子", "000977": "浪潮信息"})
    named = (folder / REVISIONS_PAGE).read_text(encoding="utf-8")
    write_index(reports)
    assert (folder / REVISIONS_PAGE).read_text(encoding="utf-8") == named  # kept, with names
    assert "600570 恒生电子" in named
    page = _parse(folder / REVISIONS_PAGE)
    assert page.images == ["000977.png", "600570.png"]
    assert "../../index.html" in page.hrefs
    missing = reports / "revisions" / "2024-09-30" / REVISIONS_PAGE
    assert _parse(missing).images == ["600570.png"]  # created by write_index
    assert not list(reports.rglob(".*.tmp"))


def test_empty_reports_folder(tmp_path: Path) -> None:
    html = write_index(tmp_path / "reports").read_text(encoding="utf-8")
    assert html.count("<p>none</p>") == 7  # every section, sweeps and rating events included


def test_rating_events_row_says_what_the_leaderboard_holds(reports: Path) -> None:
    html = write_index(reports).read_text(encoding="utf-8")
    row = re.search(r'<h2 id="rating-events">.*?</table>', html, re.S)
    assert row and "as of 2025-06-30, 2024-06-23 .. 2024-12-15" in row.group(0)
    assert '<td class="n">24</td>' in row.group(0)
    (reports / "events" / "leaderboard.json").write_text("{broken", encoding="utf-8")
    html = write_index(reports).read_text(encoding="utf-8")
    assert "leaderboard.json unreadable" in html  # the index is still written
