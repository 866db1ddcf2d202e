"""The leaderboard page ``reports/events/``: its numbers are ``hit_rates()``'s, its tables
sort, rates below the minimum count are hidden, its CAR charts are the events' CARs, the
index links it, ``coverbt hitrate --page`` writes it and ``coverbt daily`` refreshes it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from coverbt.cli import app
from coverbt.daily import FAILED, OK, DailyFailed, run_daily
from coverbt.events import event_study as es
from coverbt.events.car_path import car_paths, event_paths
from coverbt.events.leaderboard import BOARD_GROUPINGS, Leaderboard, build_leaderboard
from coverbt.events.service import hit_rates, panel_for, run_study, score_set
from coverbt.reports import write_index
from coverbt.reports.html import SORT_SCRIPT
from coverbt.reports.leaderboard import write_leaderboard
from coverbt.workspace import Workspace

HORIZONS = ["3M", "6M"]
PNG = b"\x89PNG\r\n\x1a\n"


class _Tables(HTMLParser):
    """Each ``<table>`` of a page: its class, header texts and rows of (text, data-sort)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, object]] = []
        self.headings: list[str] = []
        self.hrefs: list[str] = []
        self.images: list[str] = []
        self._cell: list[str] | None = None
        self._sort: str | None = None
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "table":
            self.tables.append({"class": values.get("class"), "head": [], "rows": []})
        elif tag == "tr" and self.tables:
            self._row: list[tuple[str, str | None]] = []
        elif tag in ("td", "th"):
            self._cell, self._sort = [], values.get("data-sort")
        elif tag == "h3":
            self._heading = []
        elif tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))
        elif tag == "img":
            self.images.append(str(values["src"]))

    def handle_data(self, data: str) -> None:
        for part in (self._cell, self._heading):
            if part is not None:
                part.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell)
            table = self.tables[-1]
            if tag == "th":
                table["head"].append(text)  # type: ignore[attr-defined]
            else:
                self._row.append((text, self._sort))
            self._cell = None
        elif tag == "tr" and self.tables and self._row:
            self.tables[-1]["rows"].append(self._row)  # type: ignore[attr-defined]
            self._row = []
        elif tag == "h3" and self._heading is not None:
            self.headings.append("".join(self._heading))
            self._heading = None


def _parse(path: Path) -> _Tables:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def found(event_set, two_reports: Path):  # type: ignore[no-untyped-def]
    return event_set(two_reports)


@pytest.fixture(scope="module")
def board(found, report_market) -> Leaderboard:  # type: ignore[no-untyped-def]
    return build_leaderboard(found.table, report_market, HORIZONS)


@pytest.fixture(scope="module")
def reports(board: Leaderboard, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("board") / "reports"
    write_leaderboard(board, root)
    write_index(root)
    return root


def test_page_numbers_equal_hit_rates(found, report_market, reports: Path) -> None:  # type: ignore[no-untyped-def]
    scored = score_set(found.table, report_market, HORIZONS)  # scored apart from the board
    parsed = _parse(reports / "events" / "index.html")
    rate_tables = [t for t in parsed.tables if t["head"][1:3] == ["events", "scored"]]  # type: ignore[index]
    expected = [(h, by) for h in HORIZONS for by in BOARD_GROUPINGS]
    assert len(rate_tables) == len(expected)
    for (horizon, by), shown in zip(expected, rate_tables, strict=True):
        rates = [g for g in hit_rates(scored, by, 5) if g.horizon == horizon]
        assert shown["head"][0] == by  # type: ignore[index]
        rows = shown["rows"]
        assert [r[0][0] for r in rows] == [g.group for g in rates]  # type: ignore[union-attr]
        for row, g in zip(rows, rates, strict=True):  # type: ignore[call-overload]
            cells = [text for text, _key in row]
            assert cells[1:4] == [str(g.events), str(g.n), f"{g.band_hits}/{g.n_band}"]
            assert cells[6] == f"{g.direction_hits}/{g.n_direction}"
            rate, ci, direction = (float(row[i][1]) for i in (4, 5, 7))  # the sort keys
            assert (rate, ci, direction) == (g.band_rate, g.band_ci[0], g.direction_rate)  # type: ignore[index]
            assert cells[4] == f"{g.band_rate:.0%}"
    assert parsed.headings[:3] == ["By broker (1)", "By analyst (2)", "By label (2)"]


def test_csv_and_json_hold_the_same_numbers(found, report_market, reports: Path) -> None:  # type: ignore[no-untyped-def]
    scored = score_set(found.table, report_market, HORIZONS)
    expected = [g.to_json() for by in BOARD_GROUPINGS for g in hit_rates(scored, by, 5)]
    data = json.loads((reports / "events" / "leaderboard.json").read_text(encoding="utf-8"))
    assert data["groups"] == expected
    assert data["events"] == 24 and data["brokers"] == 1 and data["horizons"] == HORIZONS
    with (reports / "events" / "leaderboard.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(expected)
    for row, g in zip(rows, expected, strict=True):
        assert (row["by"], row["group"], row["horizon"]) == (g["by"], g["group"], g["horizon"])
        assert int(row["band_hits"]) == g["band_hits"] and int(row["n_band"]) == g["n_band"]
        assert float(row["band_ci_low"]) == pytest.approx(g["band_ci"][0], rel=1e-12)


def test_tables_are_sortable_and_the_page_is_offline(reports: Path) -> None:
    html = (reports / "events" / "index.html").read_text(encoding="utf-8")
    parsed = _parse(reports / "events" / "index.html")
    sortable = [t for t in parsed.tables if t["class"] == "sortable"]
    assert len(sortable) == len(HORIZONS) * (len(BOARD_GROUPINGS) + 1)  # + the CAR table
    assert f"<script>{SORT_SCRIPT}</script>" in html
    assert 'th class="n">events</th>' in html
    assert "http://" not in html and "https://" not in html and "<script src" not in html
    assert parsed.images == ["car_3M.png", "car_6M.png"]
    for name in parsed.hrefs:
        if not name.startswith("#"):
            assert (reports / "events" / name).is_file(), name


def test_rates_below_the_min_count_are_hidden_but_counted(
    found, report_market, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    board = build_leaderboard(found.table, report_market, ["6M"], min_count=10)
    label = {g.group: g for g in board.rates["label"]}
    assert label["强烈推荐"].n == 6 and label["强烈推荐"].band_rate is None
    assert label["推荐"].n == 18 and label["推荐"].band_rate is not None
    page = write_leaderboard(board, tmp_path / "reports")
    table = next(t for t in _parse(page).tables if t["head"][0] == "label")  # type: ignore[index]
    strong = next(r for r in table["rows"] if r[0][0] == "强烈推荐")  # type: ignore[attr-defined]
    assert [c for c, _ in strong[1:6]] == ["6", "6", f"{label['强烈推荐'].band_hits}/6",
                                          "n<10", ""]  # fmt: skip
    assert strong[4][1] == "" and strong[7][0] == "n<10"  # sorts last, never as a rate


def test_car_charts_are_pngs_of_the_events_cars(found, report_market, board, reports: Path) -> None:  # type: ignore[no-untyped-def]
    for horizon in HORIZONS:
        assert (reports / "events" / f"car_{horizon}.png").read_bytes()[:8] == PNG
    table = found.table
    panel = panel_for(table, report_market, ["6M"])
    got, paths = event_paths(table, panel, "6M")
    last = np.array([row[np.isfinite(row)][-1] for row in paths])
    np.testing.assert_allclose(last, got["car"].to_numpy(float), rtol=0, atol=1e-12)
    strong = (table["label"] == "强烈推荐").to_numpy()
    (mine,) = [p for p in car_paths(table, panel, "6M") if p.group == "强烈推荐"]
    width = len(mine.days)
    assert mine.days[0] == -es.PRE_DAYS and (mine.n == 6).all()
    np.testing.assert_allclose(mine.mean, paths[strong, :width].mean(axis=0), atol=1e-12)
    assert width == int(np.isfinite(paths[strong]).sum(axis=1).min())  # the shortest window
    assert (mine.low <= mine.mean).all() and (mine.mean <= mine.high).all()
    study = run_study(table, report_market, ["6M"], panel=panel)
    group = next(g for g in study.groups if g.group == "强烈推荐" and g.adjustment == "market")
    assert mine.average.mean == pytest.approx(group.car.mean, abs=1e-12)
    assert mine.average.inflation == pytest.approx(group.car.inflation, rel=1e-12)
    assert [p.group for p in board.paths if p.horizon == "6M"] == ["推荐", "强烈推荐"]


def test_index_links_the_leaderboard(reports: Path) -> None:
    html = (reports / "index.html").read_text(encoding="utf-8")
    assert '<h2 id="rating-events">Rating events</h2>' in html
    section = html.split('id="rating-events"')[1]
    for name in ("index.html", "car_3M.png", "car_6M.png", "leaderboard.csv", "leaderboard.json"):
        assert f'href="events/{name}"' in section
    assert '<td class="n">24</td>' in section  # the number of events


def test_as_of_scores_only_what_was_known(found, report_market) -> None:  # type: ignore[no-untyped-def]
    day = dt.date(2024, 11, 29)
    early = found.table.loc[found.table["published"] <= pd.Timestamp(day)]
    board = build_leaderboard(early, report_market, ["3M", "6M"], as_of=day)
    scored = board.scored
    assert board.events == 12
    late = scored.loc[scored["horizon"] == "6M"]  # 2024-06-24 + 6M ends after 2024-11-29
    assert late["excess"].isna().all()
    assert set(late["reason"]) == {"the horizon ends after 2024-11-29, the as-of date"}
    assert scored.loc[scored["horizon"] == "3M", "excess"].notna().sum() == 12
    assert not [p for p in board.paths if p.horizon == "6M" and p.average.n]


def _workspace(events_workspace: Path, tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(events_workspace, root)
    return Workspace.at(root)


def test_hitrate_page_writes_the_leaderboard(events_workspace: Path, tmp_path: Path) -> None:
    ws = _workspace(events_workspace, tmp_path)
    args = ["hitrate", "--by", "broker", "--page", "--horizons", "6M", "--json",
            "--workspace", str(ws.root)]  # fmt: skip
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["page"] == str(ws.reports_dir / "events" / "index.html")
    assert [g["group"] for g in data["groups"]] == ["平安证券"]
    stored = json.loads((ws.reports_dir / "events" / "leaderboard.json").read_text("utf-8"))
    broker = next(g for g in stored["groups"] if g["by"] == "broker")
    assert broker == data["groups"][0]  # the page's numbers are the printed ones
    assert 'href="events/index.html"' in (ws.reports_dir / "index.html").read_text("utf-8")


def _statuses(ws: Workspace, day: str) -> dict[str, str]:
    summary = json.loads((ws.reports_dir / "daily" / day / "summary.json").read_text("utf-8"))
    return {s["name"]: s["status"] for s in summary["steps"]}


def test_daily_refreshes_the_leaderboard(events_workspace: Path, tmp_path: Path,
                                         report_market) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    ws = _workspace(events_workspace, tmp_path)
    run = run_daily(ws, offline=True, as_of=dt.date(2025, 6, 30), market=report_market)
    step = next(s for s in run.steps if s.name == "rating events")
    assert step.status == OK and step.data["events"] == 24, step.detail
    assert _statuses(ws, "2025-06-30")["rating events"] == OK
    data = json.loads((ws.reports_dir / "events" / "leaderboard.json").read_text("utf-8"))
    assert data["as_of"] == "2025-06-30" and data["events"] == 24
    assert 'href="events/index.html"' in (ws.reports_dir / "index.html").read_text("utf-8")


def test_a_failing_leaderboard_does_not_stop_the_other_steps(
    events_workspace: Path, tmp_path: Path, report_market
) -> None:  # type: ignore[no-untyped-def]
    ws = _workspace(events_workspace, tmp_path)
    (ws.cache_dir / "events.duckdb").write_bytes(b"not a database" * 100)
    with pytest.raises(DailyFailed, match="rating events"):
        run_daily(ws, offline=True, as_of=dt.date(2024, 11, 29), market=report_market)
    status = _statuses(ws, "2024-11-29")
    assert status["rating events"] == FAILED
    assert status["scorecard"] == OK and status["revisions"] == OK
    assert not (ws.reports_dir / "events").exists()
    assert "daily/2024-11-29/summary.html" in (ws.reports_dir / "index.html").read_text("utf-8")
