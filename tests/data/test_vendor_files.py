"""Vendor files parse into the English schema with the right units."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from coverbt.data.schema import Adjust, SeriesKind
from coverbt.data.trading_calendar import trading_days
from coverbt.data.vendor import parse_vendor_csv


def _parse(path: Path):
    return parse_vendor_csv(path.read_text(encoding="utf-8-sig"), str(path))


def test_akshare_lots_become_shares(market_data_dir: Path) -> None:
    series = _parse(market_data_dir / "stock" / "akshare" / "688041.csv")
    first = series.frame.iloc[0]
    # 2022-08-12,688041,69.68,59.78,73.48,59.78,1191336,7864877720.0,...
    assert series.meta.code == "688041" and series.meta.source == "akshare"
    assert first["open"] == 69.68 and first["close"] == 59.78 and first["high"] == 73.48
    assert first["volume"] == 1191336 * 100 and first["amount"] == 7864877720.0


def test_sw_index_close_before_open_and_yi_units(market_data_dir: Path) -> None:
    series = _parse(market_data_dir / "index" / "sw_computer_801750.csv")
    first = series.frame.iloc[0]
    # 801750,2023-01-03,4056.8,3876.49,4060.97,3876.45,44.39915142,594.45694291
    assert series.meta.kind is SeriesKind.INDEX and series.meta.code == "801750"
    assert (first["close"], first["open"]) == (4056.8, 3876.49)
    assert first["volume"] == pytest.approx(44.39915142e8)
    assert first["amount"] == pytest.approx(594.45694291e8)


def test_baostock_keeps_valuation_and_drops_nothing_in_window(market_data_dir: Path) -> None:
    series = _parse(market_data_dir / "stock" / "baostock" / "sz.300496.csv")
    assert series.meta.code == "300496" and series.meta.adjust is Adjust.QFQ
    assert {"pe_ttm", "pb", "is_st", "turnover"} <= set(series.frame.columns)
    assert series.frame["pe_ttm"].iloc[0] == pytest.approx(58.416815)


def test_csi300_sessions_are_the_exchange_calendar(market_data_dir: Path) -> None:
    series = _parse(market_data_dir / "index" / "csi300_000300.csv")
    window = series.between(pd.Timestamp("2006-11-24"), pd.Timestamp("2026-07-31")).frame.index
    assert window.equals(trading_days("2006-11-24", "2026-07-31"))


def test_tushare_amount_is_thousands_of_cny(market_data_dir: Path) -> None:
    series = _parse(market_data_dir / "stock" / "tushare" / "000034.csv")
    row = series.frame.loc["2025-08-27"]
    # 2025-08-27,48.6,47.43,49.38,47.43,696541.25,3360148.664 (lots, thousand CNY)
    assert row["volume"] == pytest.approx(696541.25 * 100)
    assert row["amount"] == pytest.approx(3360148.664 * 1000)
    # amount / volume is a price inside the day's range
    assert row["low"] <= row["amount"] / row["volume"] <= row["high"]
