"""``coverbt reports``, in process: every way in, and what each command prints.

The feeds' HTTP is answered by ``responses`` (real akshare code); errors exit 2 with one
line and no traceback.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import responses

from coverbt.cli import main
from tests.events import payloads as pay

CSV = """code,broker,published,label,previous_label,target_price
600570,中信证券,2024-06-25,增持,,32
300496,某证券,2024-06-26,跑赢行业,,
"""


def _coverbt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], ws: Path, *args: str
) -> tuple[int, str, str]:
    """Run ``coverbt reports ARGS --workspace WS`` here: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["coverbt", "reports", *args, "--workspace", str(ws)])
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.delenv("COVERBT_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exited:
        main()
    out = capsys.readouterr()
    return int(exited.value.code or 0), out.out, out.err


@pytest.fixture
def ws(tmp_path: Path, universe_file: Path) -> Path:
    """A workspace holding the report under universe/ (nothing stored yet)."""
    (tmp_path / "universe").mkdir()
    shutil.copy(universe_file, tmp_path / "universe")
    return tmp_path


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], ws: Path):  # type: ignore[no-untyped-def]
    return lambda *args: _coverbt(monkeypatch, capsys, ws, *args)


def _csv(ws: Path, text: str = CSV) -> Path:
    path = ws / "mine.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _error_line(rc: int, err: str) -> str:
    """The one error line of a failed command (exit 2, no traceback)."""
    assert rc == 2, err
    assert "Traceback" not in err and "internal error" not in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_ingest_stores_the_universe_files_once(run) -> None:  # type: ignore[no-untyped-def]
    rc, out, _ = run("ingest")
    assert rc == 0
    assert out.strip() == ("1 report file(s), 12 rating event(s): 12 new, 0 corrected, 0 unchanged")
    rc, out, _ = run("ingest")
    assert "12 rating event(s): 0 new, 0 corrected, 12 unchanged" in out


def test_list_shows_the_report_files_and_the_feeds(run, ws: Path) -> None:  # type: ignore[no-untyped-def]
    run("ingest")
    run("import-csv", str(_csv(ws)))
    rc, out, _ = run("list", "--json")
    assert rc == 0
    report, feed = json.loads(out)
    assert (report["report_id"], report["broker"], report["published"]) == (
        "pingan-computer-2024-midyear",
        "平安证券",
        "2024-06-23",
    )
    assert (report["labels"], report["events"], report["stored"]) == (
        {"强烈推荐": 3, "推荐": 9},
        12,
        12,
    )
    assert report["source"] == "universe/pingan_computer_2024_midyear.yaml"
    assert (feed["source"], feed["broker"], feed["events"]) == ("csv", "2 brokers", 2)
    assert feed["labels"] == {"增持": 1, "跑赢行业": 1}
    rc, out, _ = run("list")
    assert rc == 0
    assert "pingan-computer-2024-midyear" in out and "12 (强烈推荐 3, 推荐 9)" in out
    assert "from 2024-06-25 to 2024-06-26" in out


def test_list_names_a_bad_universe_file(run, ws: Path) -> None:  # type: ignore[no-untyped-def]
    (ws / "universe" / "broken.yaml").write_text("report: [\n", encoding="utf-8")
    rc, out, err = run("list", "--json")
    assert [row["report_id"] for row in json.loads(out)] == ["?", "pingan-computer-2024-midyear"]
    assert "1 universe file(s) failed validation" in _error_line(rc, err)
    assert "broken.yaml" in err


def test_import_csv_stores_the_list_and_a_bad_file_exits_2(run, ws: Path) -> None:  # type: ignore[no-untyped-def]
    path = _csv(ws)
    rc, out, _ = run("import-csv", str(path))
    assert rc == 0
    assert out.strip() == f"{path}: 2 rating event(s): 2 new, 0 corrected, 0 unchanged"
    bad = _csv(ws, CSV + "601318,中信证券,2024-06-26,买入,,三十\n")
    rc, _, err = run("import-csv", str(bad))
    line = _error_line(rc, err)
    assert f"{bad}:4: field target_price: '三十' is not a number" in line
    assert "expected a number" in line and "Fix: correct the cell" in line
    rc, out, _ = run("events", "--json", "--code", "601318")
    assert json.loads(out) == []  # nothing of the bad file was stored


def test_events_shows_label_step_previous_rating_and_action(run, ws: Path) -> None:  # type: ignore[no-untyped-def]
    run("import-csv", str(_csv(ws)))
    rc, out, _ = run("events", "--json", "--broker", "中信证券")
    assert rc == 0
    (event,) = json.loads(out)
    assert (event["code"], event["label"], event["scale_id"], event["step"]) == (
        "600570",
        "增持",
        "buy_add_5",
        1,
    )
    assert (event["action"], event["target_low"], event["source"]) == ("initiate", 32.0, "csv")
    rc, out, _ = run("events", "--json", "--code", "600570", "--until", "2024-06-23")
    # the report (2024-06-23) rates 恒生电子 强烈推荐; the CSV's rating comes later
    assert [(e["broker"], e["label"], e["step"]) for e in json.loads(out)] == [
        ("平安证券", "强烈推荐", 2)
    ]
    rc, out, _ = run("events", "--limit", "2")
    assert rc == 0
    assert "Rating events (14; newest first)" in out
    newest, second = (line for line in out.splitlines() if "2024-06-2" in line)
    cells = [cell.strip() for cell in newest.split("│")[1:-1]]
    assert cells == [
        "2024-06-26",
        "300496",
        "",
        "某证券",
        "跑赢行业",
        "unknown",
        "",
        "initiate",
        "",
        "csv",
    ]
    assert "中信证券" in second and "+1 buy" in second and "32" in second
    rc, _, err = run("events", "--since", "24/06/2024")
    assert "field --since: invalid date '24/06/2024'" in _error_line(rc, err)


def test_labels_reports_the_unknown_ones(run, ws: Path) -> None:  # type: ignore[no-untyped-def]
    rc, out, _ = run("labels")
    assert (rc, out.strip()) == (0, "every label has a step on the normalised scale")
    run("import-csv", str(_csv(ws)))
    rc, out, _ = run("labels", "--json")
    assert rc == 0
    (unknown,) = json.loads(out)
    assert (unknown["broker"], unknown["label"], unknown["events"]) == ("某证券", "跑赢行业", 1)
    assert "no common scale has it" in unknown["reason"]
    rc, out, _ = run("labels")
    assert "Labels without a step (never guessed)" in out
    assert "跑赢行业" in out and "add 某证券's scale to universe/rating_scales.yaml" in out


def test_a_workspace_of_feeds_only_needs_no_universe_folder(run, ws: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(ws / "universe")
    run("import-csv", str(_csv(ws)))
    rc, out, _ = run("events", "--json")
    assert rc == 0 and len(json.loads(out)) == 2
    rc, out, _ = run("list", "--json")
    assert rc == 0 and [row["source"] for row in json.loads(out)] == ["csv"]
    rc, out, _ = run("labels", "--json")
    assert rc == 0 and [row["label"] for row in json.loads(out)] == ["跑赢行业"]


@responses.activate
def test_fetch_em_stores_the_reports_and_skips_them_the_second_time(run) -> None:  # type: ignore[no-untyped-def]
    pay.serve_em(
        "600570",
        [pay.em_record("600570", "恒生电子", "中信证券", "2024-06-25", "买入", (0.91, 1.11, 1.32))],
    )
    pay.serve_em("688631", [])
    rc, out, _ = run("fetch-em", "--codes", "600570,688631", "--interval", "0")
    assert rc == 0
    assert " ".join(out.split()) == (
        "stock_research_report_em: 2 asked, 2 fetched, 0 resumed from staged answers, 0 "
        "already stored; 1 event(s): 1 new, 0 corrected, 0 unchanged"
    )
    rc, out, _ = run("fetch-em", "--codes", "600570,688631", "--interval", "0")
    assert "2 asked, 0 fetched, 0 resumed from staged answers, 2 already stored" in out
    assert len(responses.calls) == 3  # page count and page 1; for 688631 no page: once
    rc, out, _ = run("events", "--json", "--code", "600570", "--since", "2024-06-24")
    assert [(e["source"], e["broker"], e["label"], e["step"]) for e in json.loads(out)] == [
        ("akshare_em", "中信证券", "买入", 2)
    ]


@responses.activate
def test_fetch_em_a_changed_answer_exits_2_and_stores_nothing(run, ws: Path) -> None:  # type: ignore[no-untyped-def]
    record = pay.em_record("600570", "恒生电子", "中信证券", "2024-06-20", "买入", (1, 2, 3))
    del record["infoCode"]
    pay.serve_em("600570", [record])
    rc, _, err = run("fetch-em", "--codes", "600570", "--interval", "0")
    line = _error_line(rc, err)
    assert "akshare:stock_research_report_em" in line and "Fix:" in line
    assert not (ws / "data_cache" / "events.duckdb").exists()


@responses.activate
def test_fetch_cninfo_stores_the_days_ratings(run) -> None:  # type: ignore[no-untyped-def]
    pay.serve_cninfo(
        "2024-06-24",
        [
            pay.cninfo_record(
                "600570",
                "恒生电子",
                "2024-06-24",
                "中信证券",
                "张三,李四",
                "买入",
                "增持",
                "上调",
                (30.0, 35.5),
            ),
        ],
    )
    rc, out, _ = run(
        "fetch-cninfo", "--since", "2024-06-22", "--until", "2024-06-24", "--interval", "0"
    )
    assert rc == 0
    assert " ".join(out.split()) == (
        "stock_rank_forecast_cninfo: 1 asked, 1 fetched, 0 resumed from staged answers, 0 "
        "already stored; 1 event(s): 1 new, 0 corrected, 0 unchanged"
    )
    rc, out, _ = run("events", "--json", "--broker", "中信证券")
    (event,) = json.loads(out)
    assert (event["label"], event["prior_label"], event["prior_stated"]) == ("买入", "增持", True)
    assert (event["action"], event["target_low"], event["target_high"]) == ("upgrade", 30.0, 35.5)
    assert event["analysts"] == ["张三", "李四"]


def test_fetch_cninfo_refuses_bad_days(run) -> None:  # type: ignore[no-untyped-def]
    rc, _, err = run("fetch-cninfo", "--since", "2024-06-24", "--until", "2024-06-21")
    assert "--until 2024-06-21 is before --since 2024-06-24" in _error_line(rc, err)
    rc, _, err = run("fetch-cninfo", "--since", "2024-6-x")
    assert "field --since: invalid date '2024-6-x'" in _error_line(rc, err)
