"""Absurd bars and unreadable vendor files are InputErrors naming file, line and field
(issue 11, cases 5 and 6)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coverbt.cli import app
from coverbt.data.importer import ImportSummary
from coverbt.data.store import import_path, open_store
from coverbt.data.trading_calendar import last_known_day
from coverbt.data.validate import MAX_PRICE, import_horizon
from coverbt.data.vendor import parse_vendor_csv
from coverbt.errors import InputError

# The shared files end before the calendar's last known day: importing them must not depend
# on the day the tests run (the suite may run with the clock moved), so tests that are not
# about the date bound import with ``latest`` at that day.
ANY_DAY = last_known_day().date()


def _import(cache: Path, path: Path, **kwargs: bool) -> ImportSummary:
    return import_path(cache, path, latest=ANY_DAY, **kwargs)


AKSHARE_688041 = "stock/akshare/688041.csv"
ROW = "{day},688041,{o},{c},{h},{l},274098,{a},7.31,1.14,2.92,1.18"


def _file(market_data_dir: Path, folder: Path, extra: str, name: str = "688041.csv") -> Path:
    """The first 20 rows of the real 688041 file plus one ``extra`` line (line 22)."""
    lines = (market_data_dir / AKSHARE_688041).read_text(encoding="utf-8-sig").splitlines()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join([*lines[:21], extra]) + "\n", encoding="utf-8")
    return path


def _row(day: str = "2022-09-13", o: str = "50", c: str = "51", h: str = "52", low: str = "49",
         a: str = "1e9") -> str:  # fmt: skip
    return ROW.format(day=day, o=o, c=c, h=h, l=low, a=a)


def test_a_future_bar_is_refused_and_never_wins_over_the_real_file(
    tmp_path: Path, market_data_dir: Path
) -> None:
    cache = tmp_path / "cache"
    assert _import(cache, market_data_dir / AKSHARE_688041).ok
    future = (last_known_day().date() + dt.timedelta(days=400)).isoformat()
    bad = _file(market_data_dir, tmp_path / "f", _row(day=future))
    summary = import_path(cache, bad, latest=import_horizon())  # as `coverbt data import`
    [error] = summary.errors
    assert (error.source, error.line, error.field) == (str(bad), 22, "date")
    assert f"date {future} lies after" in str(error) and "Fix: drop that line" in str(error)
    [entry] = open_store(cache, seed=False).entries()
    assert (entry.meta.rows, entry.meta.last) == (824, dt.date(2026, 1, 20))  # unchanged
    result = CliRunner().invoke(app, ["data", "import", str(bad), "--workspace", str(tmp_path)])
    assert result.exit_code == 2 and f"date{future}liesafter" in "".join(result.output.split())


def test_a_bar_after_the_import_day_is_refused(tmp_path: Path, market_data_dir: Path) -> None:
    """The bound an import is given (today for the CLI), below the calendar's end."""
    bad = _file(market_data_dir, tmp_path, _row(day="2022-09-14"))
    day = dt.date(2022, 9, 13)
    [error] = import_path(tmp_path / "cache", bad, latest=day).errors
    assert (error.line, error.field) == (22, "date")
    assert "date 2022-09-14 lies after 2022-09-13, the last date this import accepts" in str(error)


def test_the_import_horizon_is_the_calendar_end_whatever_the_clock() -> None:
    import time_machine

    for day in (dt.date(2024, 7, 1), dt.date(2031, 6, 30)):
        with time_machine.travel(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)):
            assert dt.date.today() == day
            assert import_horizon() == last_known_day().date()


def test_a_bar_after_the_calendar_is_refused_without_a_today_bound(market_data_dir: Path) -> None:
    text = (market_data_dir / AKSHARE_688041).read_text(encoding="utf-8-sig")
    beyond = (last_known_day() + dt.timedelta(days=3)).date().isoformat()
    with pytest.raises(InputError, match="the last day the trading calendar knows") as info:
        parse_vendor_csv(text + _row(day=beyond) + "\n", "x.csv")
    assert info.value.field == "date" and "exchange-calendars" in str(info.value)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (_row(o="1e308", h="1e308"), "open"),
        (_row(o="inf", h="inf"), "open"),
        (_row(c="-inf"), "close"),
        (_row(h=str(MAX_PRICE * 2)), "high"),
        (_row(a="inf"), "amount"),
        (_row(a="-5"), "amount"),
        (_row(a="1e300"), "amount"),
        (_row(day="1989-01-03"), "date"),
        (_row().replace(",1.18", ",inf"), "turnover"),
    ],
    ids=[
        "1e308",
        "inf",
        "-inf",
        "2x-max",
        "inf-amount",
        "negative",
        "huge-amount",
        "1989",
        "inf-turnover",
    ],
)
def test_absurd_values_are_refused_with_file_line_and_field(
    extra: str, field: str, tmp_path: Path, market_data_dir: Path
) -> None:
    bad = _file(market_data_dir, tmp_path, extra)
    [error] = _import(tmp_path / "cache", bad).errors
    assert (error.source, error.line, error.field) == (str(bad), 22, field)
    assert error.fix


def test_a_blank_code_is_an_input_error_and_the_folder_still_imports(
    tmp_path: Path, market_data_dir: Path
) -> None:
    folder = tmp_path / "mixed"
    lines = (market_data_dir / AKSHARE_688041).read_text(encoding="utf-8-sig").splitlines()
    blank = [lines[0], *(row.replace(",688041,", ",,", 1) for row in lines[1:5])]
    folder.mkdir()
    (folder / "688041.csv").write_text("\n".join(blank) + "\n", encoding="utf-8")
    for code in ("600570", "603019"):
        (folder / f"{code}.csv").write_bytes((market_data_dir / f"stock/akshare/{code}.csv")
                                            .read_bytes())  # fmt: skip
    summary = _import(tmp_path / "cache", folder)
    [error] = summary.errors
    assert (error.source, error.line, error.field) == (str(folder / "688041.csv"), 2, "股票代码")
    assert "blank code" in str(error) and error.fix
    assert summary.outcomes["new"] == 2


def test_a_wrong_explicit_format_names_the_missing_column(
    tmp_path: Path, market_data_dir: Path
) -> None:
    path = market_data_dir / AKSHARE_688041
    result = CliRunner().invoke(
        app, ["data", "import", str(path), "--format", "baostock", "--workspace", str(tmp_path)]
    )
    assert result.exit_code == 2
    text = result.output.replace("\n", "")
    assert f"{path}:1: field date: column date of the format given with --format baostock" in text
    assert "Traceback" not in text and "KeyError" not in text
