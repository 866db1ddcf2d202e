"""``coverbt universe extract``: the shared report gives the committed file, byte for byte,
also after the usual PDF-to-text damage; unresolved names are reported, never dropped."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from coverbt.cli import main
from coverbt.data.vendor import read_code_names
from coverbt.errors import FetchError, InputError
from coverbt.universe.dump import dump_universe
from coverbt.universe.extract import extract_universe
from coverbt.universe.load import load_universe
from coverbt.universe.model import Universe
from coverbt.universe.names import (
    Listing,
    listings_from_frame,
    primary_listings,
    read_known_listings,
)

REPORT_ID = "pingan-computer-2024-midyear"


@pytest.fixture(scope="module")
def baostock(market_data_dir: Path) -> list[Listing]:
    path = market_data_dir / "cross-section" / "baostock_stock_list.csv"
    return listings_from_frame(read_code_names(path), path.name)


@pytest.fixture(scope="module")
def curated(repo_root: Path) -> list[Listing]:
    return read_known_listings(repo_root / "universe" / "known_listings.csv")


def _extract(path: Path, primary: list[Listing], curated: list[Listing]) -> Universe:
    found = extract_universe(path, primary=primary, curated=curated, report_id=REPORT_ID)
    return found.raise_if_unresolved()


def test_shared_report_reproduces_the_committed_file(
    report_txt: Path, universe_file: Path, baostock: list[Listing], curated: list[Listing]
) -> None:
    universe = _extract(report_txt, baostock, curated)
    assert universe == load_universe(universe_file)
    assert dump_universe(universe) == universe_file.read_text(encoding="utf-8")


def test_which_list_resolved_each_prose_name(
    report_txt: Path, baostock: list[Listing], curated: list[Listing]
) -> None:
    found = extract_universe(report_txt, primary=baostock, curated=curated, report_id=REPORT_ID)
    by_list = {name: item.source.split(":")[0] for name, item in found.prose_only.items()}
    # the offline baostock list (1126 names) has only three of the 13 prose-only names
    assert sorted(n for n, s in by_list.items() if s == "baostock_stock_list.csv") == sorted(
        ["同花顺", "彩讯股份", "中信海直"]
    )
    assert by_list["亿航智能"] == "known_listings.csv"
    assert len(by_list) == 13 and found.warnings == []


def _tabs_to_spaces(text: str) -> str:
    return text.replace("\t", "   ")


def _split_rows(text: str) -> str:
    """Break every table row after its EPS columns, and one between name and code."""
    text = re.sub(r"^(\S+\t\d{6}\.S[HZ](?:\t\S+){5})\t", r"\1\n", text, flags=re.M)
    return text.replace("中科创达\t300496.SZ", "中科创达\n300496.SZ")


def _fullwidth_digits(text: str) -> str:
    table = {ord(c): chr(ord(c) + 0xFEE0) for c in "0123456789()"}
    return text.translate(table)


def _spaced_rating_and_blank_lines(text: str) -> str:
    text = text.replace("\t推荐\n", "\t推 荐\n\n\n")
    # the recommendation paragraph broken over two lines with a stray blank line between
    return text.replace("建议关注万兴科技、", "建议关注万兴科技、\n\n")


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


@pytest.mark.parametrize(
    "damage",
    [_tabs_to_spaces, _split_rows, _fullwidth_digits, _spaced_rating_and_blank_lines, _crlf],
)
def test_damaged_text_gives_the_same_file(
    damage,
    report_txt: Path,
    universe_file: Path,
    tmp_path: Path,
    baostock: list[Listing],
    curated: list[Listing],
) -> None:
    clean = report_txt.read_text(encoding="utf-8")
    damaged = damage(clean)
    assert damaged != clean
    path = tmp_path / report_txt.name
    path.write_text(damaged, encoding="utf-8", newline="")
    assert dump_universe(_extract(path, baostock, curated)) == universe_file.read_text(
        encoding="utf-8"
    )


def _write(tmp_path: Path, text: str, name: str = "report.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("row_start", "old", "new", "says"),
    [
        ("紫光股份\t", "22.79\t0.74\t", "22.79\t", "close, 4 EPS, 4 PE"),  # a cell lost
        ("启明星辰\t", "14.1\t强烈推荐", "14.1\t买入", "买入"),  # a label off the scale
    ],
)
def test_a_bad_table_row_names_its_line(
    row_start: str,
    old: str,
    new: str,
    says: str,
    report_txt: Path,
    tmp_path: Path,
    baostock: list[Listing],
    curated: list[Listing],
) -> None:
    text = report_txt.read_text(encoding="utf-8")
    line = text[: text.index(row_start)].count("\n") + 1
    path = _write(tmp_path, text.replace(old, new))
    with pytest.raises(InputError) as err:
        _extract(path, baostock, curated)
    assert err.value.line == line and says in str(err.value)


def test_unresolved_names_are_reported_and_nothing_is_written(
    report_txt: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "universe").mkdir()
    out = tmp_path / "universe" / "u.yaml"
    argv = ["coverbt", "universe", "extract", str(report_txt), "-o", str(out), "--offline"]
    monkeypatch.setattr(sys, "argv", [*argv, "--workspace", str(tmp_path)])
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err.replace("\n", "")
    assert stop.value.code == 2 and not out.exists()
    assert "13 name(s) of the recommendation paragraph have no code" in err
    assert "亿航智能" in err and "深城交" in err and "Traceback" not in err


def test_cli_writes_the_committed_file(
    report_txt: Path,
    universe_file: Path,
    market_data_dir: Path,
    repo_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / universe_file.name
    names = market_data_dir / "cross-section" / "baostock_stock_list.csv"
    argv = ["universe", "extract", str(report_txt), "-o", str(out), "--names", str(names)]
    monkeypatch.setattr(sys, "argv", ["coverbt", *argv, "--workspace", str(repo_root)])
    with pytest.raises(SystemExit) as done:  # a console entry point always exits
        main()
    assert done.value.code == 0
    assert out.read_bytes() == universe_file.read_bytes()
    assert "26 names" in capsys.readouterr().out
    out.write_text(out.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:  # a hand-edited file is not overwritten silently
        main()
    assert stop.value.code == 2 and "--force" in capsys.readouterr().err


def test_curated_row_that_contradicts_the_primary_list_is_an_error(
    report_txt: Path, tmp_path: Path, baostock: list[Listing]
) -> None:
    path = tmp_path / "known_listings.csv"
    path.write_text("code,name,exchange,note,reason\n300034,同花顺,SZ,,typo\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        _extract(report_txt, baostock, read_known_listings(path))
    assert err.value.source == "known_listings.csv:2" and "300033" in str(err.value)


@pytest.mark.parametrize(
    ("row", "field"),
    [("688256,寒武纪,SZ,,", "code"), ("688256,寒武纪,LSE,,", "exchange"), (",寒武纪,SH,,", "code")],
)
def test_bad_curated_rows_name_their_line(tmp_path: Path, row: str, field: str) -> None:
    path = tmp_path / "known_listings.csv"
    path.write_text(f"code,name,exchange,note,reason\n\n{row}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_known_listings(path)
    assert err.value.line == 3 and err.value.field == field


def test_akshare_list_resolves_names_offline_with_a_fake_fetcher(
    report_txt: Path, universe_file: Path, universe: Universe
) -> None:
    a_shares = [n for n in universe.names if n.a_share]
    fake = pd.DataFrame({"code": [n.code for n in a_shares], "name": [n.name for n in a_shares]})
    primary = primary_listings(None, None, online=True, fetch=lambda: fake)
    assert {item.source for item in primary} == {"akshare:stock_info_a_code_name"}
    ehang = [Listing("EH", "亿航智能", universe.get("EH").exchange, "k", universe.get("EH").note)]
    assert _extract(report_txt, primary, ehang) == universe


def test_akshare_failure_and_changed_payload_are_clear() -> None:
    def offline() -> pd.DataFrame:
        raise ConnectionError("no route to host")

    with pytest.raises(FetchError, match="--names"):
        primary_listings(None, None, online=True, fetch=offline)
    renamed = pd.DataFrame({"证券代码": ["600570"], "证券简称": ["恒生电子"]})
    with pytest.raises(InputError, match="columns code, name"):
        primary_listings(None, None, online=True, fetch=lambda: renamed)


def test_offline_without_any_list_resolves_from_the_curated_list_only() -> None:
    assert primary_listings(None, None, online=False) == []


def test_the_cache_code_name_list_is_the_primary_list(
    market_data_dir: Path, tmp_path: Path, baostock: list[Listing]
) -> None:
    from coverbt.data.store import import_path

    cache = tmp_path / "data_cache"
    assert primary_listings(None, cache, online=False) == []  # no cache yet: nothing
    import_path(cache, market_data_dir / "cross-section" / "baostock_stock_list.csv")
    cached = primary_listings(None, cache, online=False)
    assert len(cached) == len(baostock) == 1126
    assert {(x.code, x.name) for x in cached} == {(x.code, x.name) for x in baostock}
