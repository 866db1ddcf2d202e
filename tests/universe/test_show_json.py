"""The ``coverbt universe show --json`` contract other tools read."""

from __future__ import annotations

import json
import sys
from io import StringIO
from pathlib import Path

import pytest

from coverbt.cli import main

CONTRACT_KEYS = {
    "code",
    "name",
    "exchange",
    "board",
    "rating",
    "themes",
    "close_at_price_date",
    "eps",
    "pe",
    "a_share",
}


@pytest.fixture(scope="module")
def shown(universe_file: Path) -> dict:
    mp = pytest.MonkeyPatch()
    mp.setattr(sys, "argv", ["coverbt", "universe", "show", str(universe_file), "--json"])
    buffer = StringIO()
    mp.setattr(sys, "stdout", buffer)
    try:
        with pytest.raises(SystemExit) as done:  # a console entry point always exits
            main()
    finally:
        mp.undo()
    assert done.value.code == 0
    return json.loads(buffer.getvalue())


def test_names_and_keys(shown: dict) -> None:
    assert len(shown["names"]) == 26
    for item in shown["names"]:
        assert set(item) >= CONTRACT_KEYS, item["name"]


def test_report_block(shown: dict) -> None:
    report = shown["report"]
    assert report["published"] == "2024-06-23" and report["price_date"] == "2024-06-07"
    assert report["broker"] == "平安证券" and report["industry_rating"] == "强于大市"


def test_ratings_and_counts(shown: dict) -> None:
    by_code = {item["code"]: item for item in shown["names"]}
    assert by_code["688631"]["rating"] is None  # the table's "-" row
    assert by_code["688256"]["rating"] is None  # prose-only 建议关注
    assert by_code["300496"]["rating"] == "强烈推荐"
    ratings = [item["rating"] for item in shown["names"]]
    assert ratings.count("强烈推荐") == 3 and ratings.count("推荐") == 9
    assert ratings.count(None) == 14
    assert shown["counts"] == {"强烈推荐": 3, "推荐": 9, "-": 1, "建议关注": 14}


def test_values_as_printed(shown: dict) -> None:
    by_code = {item["code"]: item for item in shown["names"]}
    loongson = by_code["688047"]
    assert loongson["board"] == "star" and loongson["exchange"] == "SH"
    assert loongson["eps"] == {"2023": -0.82, "2024": -0.26, "2025": 0.11, "2026": 0.39}
    assert loongson["pe"]["2025"] == 874.0 and loongson["close_at_price_date"] == 95.9
    assert by_code["300496"]["themes"] == ["应用场景"]
    assert by_code["688631"]["themes"] == ["低空经济", "低空经济/基础设施服务商"]


def test_ehang_is_flagged_not_an_a_share(shown: dict) -> None:
    flags = {item["code"]: item["a_share"] for item in shown["names"]}
    assert flags.pop("EH") is False
    assert all(flags.values()) and len(flags) == 25
