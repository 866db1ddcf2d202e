"""Corporate actions from akshare, offline: real akshare code, HTTP answered by `responses`."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import responses

from coverbt.data.akshare_live import AkshareLive
from coverbt.data.corporate_actions import (
    ACTION_DIR,
    WithActions,
    empty_actions,
    load_actions,
    raw_execution,
    refresh_actions,
    save_actions,
    to_actions,
    validate_actions,
)
from coverbt.data.memory import InMemoryProvider
from coverbt.data.provider import CorporateActionSource, MarketData, corporate_actions
from coverbt.data.schema import Adjust, Series
from coverbt.data.store import import_path, open_store
from coverbt.data.vendor import parse_vendor_csv
from coverbt.errors import InputError
from coverbt.market.corporate import CorporateAction, reference_prev_close, total_return_index
from tests.data import akshare_payloads as pay
from tests.data import fhps_payloads as fh

EX1, EX2 = dt.date(2024, 6, 20), dt.date(2024, 9, 10)  # both sessions of 600570
START, END = dt.date(2024, 6, 7), dt.date(2024, 12, 31)


@pytest.fixture(autouse=True)
def _instant(no_akshare_sleep: None) -> None:
    """akshare's real code runs with its sleeps stubbed."""


def _records() -> list[dict[str, object]]:
    return [
        fh.fhps_record("600570", EX2, cash10=0.5, bonus10=2.0, transfer10=3.0),
        fh.fhps_record(
            "600570", None, cash10=1.2, report=dt.date(2024, 12, 31), progress="董事会预案"
        ),
        fh.fhps_record("600570", EX1, cash10=1.1),
        fh.fhps_record("600570", EX1, cash10=1.1),  # the same plan listed twice
    ]


@responses.activate
def test_implemented_events_per_share(live: AkshareLive) -> None:
    responses.get(fh.DATACENTER_URL, json=fh.fhps_answer(_records()))
    frame = live.corporate_actions("600570")
    assert list(frame.index.date) == [EX1, EX2]  # sorted; the plan without ex-date dropped
    np.testing.assert_allclose(frame["cash_per_share"], [0.11, 0.05])
    np.testing.assert_allclose(frame["bonus_per_share"], [0.0, 0.2])
    np.testing.assert_allclose(frame["transfer_per_share"], [0.0, 0.3])
    assert frame["announced"].iloc[0] == pd.Timestamp(EX1 - dt.timedelta(days=7))
    sent = responses.calls[0].request.url or ""
    assert "RPT_SHAREBONUS_DET" in sent and "600570" in sent
    assert to_actions(frame)[1] == CorporateAction(EX2, 0.05, 0.2, 0.3)


@responses.activate
def test_a_stock_that_never_paid_has_no_events(live: AkshareLive, waits: list[float]) -> None:
    responses.get(fh.DATACENTER_URL, json=fh.fhps_empty_answer())
    frame = live.corporate_actions("688256")
    assert frame.empty and list(frame.columns)[:3] == [
        "cash_per_share",
        "bonus_per_share",
        "transfer_per_share",
    ]
    assert waits == [] and len(responses.calls) == 1


@pytest.mark.filterwarnings("ignore:Could not infer format")  # akshare parsing shifted dates
@responses.activate
def test_a_shifted_answer_is_an_input_error(live: AkshareLive) -> None:
    """A site that inserts a field before the ratios shifts akshare's positional names."""
    shifted = []
    for record in _records():
        items = list(record.items())
        items.insert(5, ("NEW_FIELD", 7.0))
        shifted.append(dict(items[:30]))
    responses.get(fh.DATACENTER_URL, json=fh.fhps_answer(shifted))
    with pytest.raises(InputError) as info:
        live.corporate_actions("600570")
    assert info.value.field == "最新公告日期" and "stock_fhps_detail_em" in str(info.value)


@responses.activate
def test_an_answer_with_a_field_more_is_an_input_error(live: AkshareLive) -> None:
    longer = [record | {"NEW_FIELD": 1.0} for record in _records()]
    responses.get(fh.DATACENTER_URL, json=fh.fhps_answer(longer))
    with pytest.raises(InputError, match="stock_fhps_detail_em"):
        live.corporate_actions("600570")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"PRETAX_BONUS_RMB": -1.0}, "现金分红-现金分红比例"),
        ({"EQUITY_RECORD_DATE": "2024-06-25 00:00:00"}, "股权登记日"),
        ({"BONUS_IT_RATIO": 9.0}, "送转股份-送转总比例"),
    ],
)
@responses.activate
def test_bad_event_rows_name_their_field(
    live: AkshareLive, change: dict[str, object], field: str
) -> None:
    records = _records()
    records[2] = records[2] | change
    responses.get(fh.DATACENTER_URL, json=fh.fhps_answer(records))
    with pytest.raises(InputError) as info:
        live.corporate_actions("600570")
    assert info.value.field == field


def test_validate_actions_rejects_bad_frames() -> None:
    good = pd.DataFrame(
        {"cash_per_share": [0.1], "bonus_per_share": [0.0], "transfer_per_share": [0.0]},
        index=pd.DatetimeIndex([EX1], name="ex_date"),
    )
    assert validate_actions(good, source="t")["announced"].isna().all()
    with pytest.raises(InputError, match="transfer_per_share"):
        validate_actions(good.drop(columns="transfer_per_share"), source="t")
    with pytest.raises(InputError, match="two different events"):
        validate_actions(pd.concat([good, good * 2]), source="t")
    with pytest.raises(InputError, match="cash_per_share"):
        validate_actions(good.assign(cash_per_share=np.nan), source="t")


@responses.activate
def test_cache_round_trip_through_the_store(
    live: AkshareLive, tmp_path: Path, market_data_dir: Path
) -> None:
    root = tmp_path / "data_cache"
    assert import_path(root, market_data_dir / "stock/akshare/600570.csv").ok
    store = open_store(root, seed=False)
    assert corporate_actions(store, "600570") is None  # never fetched: unknown
    responses.get(fh.DATACENTER_URL, json=fh.fhps_answer(_records()))
    assert refresh_actions(live, root, ["600570"]) == {"600570": 2}
    cached = corporate_actions(store, "600570")
    assert cached is not None
    pd.testing.assert_frame_equal(cached, live.corporate_actions("600570"))
    leftovers = [p.name for p in (root / ACTION_DIR).iterdir() if p.suffix != ".parquet"]
    assert leftovers == []
    save_actions(root, "300496", empty_actions())
    reloaded = load_actions(root, "300496")
    assert reloaded is not None and reloaded.empty
    assert corporate_actions(InMemoryProvider([]), "600570") is None
    assert raw_execution(InMemoryProvider([]), "600570") is None  # no events known
    assert raw_execution(store, "600570") is None  # events, but no raw bars cached
    with pytest.raises(InputError, match="6 digits"):
        load_actions(root, "../x")


def test_an_in_memory_market_with_raw_bars_and_events(market_data_dir: Path) -> None:
    """WithActions serves raw bars (here: a vendor file relabelled raw) and events."""
    csv = market_data_dir / "stock/akshare/600570.csv"
    qfq = parse_vendor_csv(csv.read_text(encoding="utf-8-sig"), str(csv))
    raw = Series(replace(qfq.meta, adjust=Adjust.NONE, adjust_base=None), qfq.frame)
    events = pd.DataFrame(
        {"cash_per_share": [0.11], "bonus_per_share": [0.0], "transfer_per_share": [0.0]},
        index=pd.DatetimeIndex([EX1], name="ex_date"),
    )
    market = WithActions(InMemoryProvider([raw]), {"600570": events})
    assert isinstance(market, MarketData) and isinstance(market, CorporateActionSource)
    execution = raw_execution(market, "600570", START, END)
    assert execution is not None and execution.actions == [CorporateAction(EX1, 0.11)]
    assert execution.bars.meta.first >= START and execution.bars.meta.adjust is Adjust.NONE
    assert raw_execution(market, "300496") is None  # events unknown
    assert WithActions(InMemoryProvider([qfq]), {"600570": events}).bars("600570").meta.rows
    assert raw_execution(WithActions(InMemoryProvider([qfq]), {"600570": events}), "600570") is None


@responses.activate
def test_raw_bars_and_events_reproduce_the_qfq_return(
    live: AkshareLive, market_data_dir: Path
) -> None:
    """Raw klines (eastmoney's qfq undone) plus the events give back the vendor's qfq
    series: on the last ex-date the reference price is the qfq previous close rounded
    to the fen, and the reinvested return over the window is the qfq return within the
    gap that subtracting cash (akshare's qfq) opens against reinvesting it."""
    csv = market_data_dir / "stock/akshare/600570.csv"
    events = [(EX1, 0.11, 0.0), (EX2, 0.05, 0.5)]
    responses.get(pay.KLINE_URL, json=fh.raw_klines(csv, events, "2024-06-07", "2024-12-31"))
    responses.get(fh.DATACENTER_URL, json=fh.fhps_answer(_records()))
    execution = raw_execution(live, "600570", START, END)
    assert execution is not None
    raw, actions = execution.bars, execution.actions
    assert actions == to_actions(live.corporate_actions("600570"))
    assert raw.meta.adjust is Adjust.NONE
    assert any("fqt=0" in (call.request.url or "") for call in responses.calls)
    closes = raw.frame["close"]
    assert np.allclose(closes * 100, np.round(closes * 100), atol=1e-6)  # on the tick

    qfq = pd.read_csv(csv, encoding="utf-8-sig", index_col="日期", parse_dates=True)["收盘"]
    qfq = qfq.loc[pd.Timestamp(START) : pd.Timestamp(END)]
    prev_qfq = float(qfq.loc[qfq.index < pd.Timestamp(EX2)].iloc[-1])
    assert reference_prev_close(closes, actions, EX2) == pytest.approx(
        round(prev_qfq, 2), abs=0.011
    )
    day_after = closes.index[closes.index > pd.Timestamp(EX2)][0].date()
    assert reference_prev_close(closes, actions, day_after) == float(closes.loc[pd.Timestamp(EX2)])

    index = total_return_index(closes, actions)
    reinvested = float(index.iloc[-1] / index.iloc[0])
    vendor = float(qfq.iloc[-1] / qfq.iloc[0])
    # akshare's qfq subtracts the cash D from every earlier price instead of reinvesting it:
    # to first order that moves the return by D * |1/first - 1/prev_close| / (1 - D/prev)
    first = float(closes.iloc[0])
    bound = 0.0
    for day, cash, _ in events:
        prev = float(closes.loc[closes.index < pd.Timestamp(day)].iloc[-1])
        bound += cash * abs(1 / first - 1 / prev) / (1 - cash / prev)
    gap = reinvested / vendor - 1
    assert 0 < gap <= 1.1 * bound  # the price fell from the first close: qfq understates
    # raw prices alone miss the events: their return is far from the qfq return
    assert abs(float(closes.iloc[-1] / closes.iloc[0]) / vendor - 1) > 0.3
