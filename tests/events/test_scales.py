"""Rating scales as data: the normalised 5-step scale, and unknown labels reported."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from coverbt.errors import InputError
from coverbt.events.scales import STEP_NAMES, ScaleBook, load_scales, workspace_scales

BOOK = load_scales()


@pytest.mark.parametrize(
    ("scale_id", "steps"),
    [
        ("buy_add_5", {"买入": 2, "增持": 1, "中性": 0, "减持": -1, "卖出": -2}),
        ("strong_recommend_4", {"强烈推荐": 2, "推荐": 1, "中性": 0, "回避": -1}),
        ("recommend_cautious_4", {"推荐": 2, "谨慎推荐": 1, "中性": 0, "回避": -1}),
        ("eastmoney", {"买入": 2, "增持": 1, "中性": 0, "减持": -1, "卖出": -2}),
        ("pingan", {"强烈推荐": 2, "推荐": 1, "中性": 0, "回避": -1}),
    ],
)
def test_the_shipped_scales_are_data(scale_id: str, steps: dict[str, int]) -> None:
    scale = BOOK.get(scale_id)
    assert scale is not None
    assert {item.label: item.step for item in scale.labels} == steps
    assert set(steps.values()) <= set(STEP_NAMES)


@pytest.mark.parametrize(
    ("broker", "label", "step", "scale"),
    [
        ("中信证券", "买入", 2, "buy_add_5"),
        ("中信证券", "增持", 1, "buy_add_5"),
        ("中信证券", "卖出", -2, "buy_add_5"),
        ("招商证券", "强烈推荐", 2, "strong_recommend_4"),
        ("民生证券", "谨慎推荐", 1, "recommend_cautious_4"),
        ("民生证券", "回避", -1, "strong_recommend_4"),  # -1 in both four-label scales
        ("某证券", "中性", 0, "buy_add_5"),  # 0 in every common scale
        ("平安证券", "推荐", 1, "pingan"),
        ("平安证券", "强烈推荐", 2, "pingan"),
    ],
)
def test_labels_map_onto_the_normalised_scale(broker: str, label: str, step: int, scale: str):
    resolved = BOOK.resolve(None, broker, label)
    assert (resolved.step, resolved.scale, resolved.reason) == (step, scale, None)
    assert resolved.known


def test_a_broker_that_states_bands_gets_them() -> None:
    band = BOOK.resolve(None, "平安证券", "推荐").band
    assert band is not None
    assert (band.lower, band.upper, band.horizon_months, band.benchmark) == (0.1, 0.2, 6, "000300")
    assert BOOK.resolve(None, "中信证券", "买入").band is None  # common scales state no band
    assert BOOK.resolve(None, "某证券", "中性").band is None  # in several scales: no one band


@pytest.mark.parametrize(
    ("broker", "label", "reason"),
    [
        (
            "某证券",
            "推荐",
            r"'推荐' \(某证券\) is ambiguous \(\+1 in 强烈推荐/推荐/中性/回避, "
            r"\+2 in 推荐/谨慎推荐/中性/回避\)",
        ),
        ("某证券", "跑赢行业", r"'跑赢行业' \(某证券\) is unknown: no common scale has it"),
        ("平安证券", "买入", r"'买入' \(平安证券\) is unknown: 平安证券's own scale lacks it"),
    ],
)
def test_an_unknown_or_ambiguous_label_is_reported_never_guessed(broker, label, reason) -> None:  # type: ignore[no-untyped-def]
    resolved = BOOK.resolve(None, broker, label)
    assert (resolved.step, resolved.scale, resolved.band) == (None, None, None)
    assert not resolved.known
    assert resolved.reason is not None
    assert pd.Series([resolved.reason]).str.contains(reason).all(), resolved.reason
    assert "universe/rating_scales.yaml" in resolved.reason


def test_a_named_scale_is_the_only_one_asked() -> None:
    assert BOOK.resolve("eastmoney", "中信证券", "增持").step == 1
    # eastmoney is exclusive: it never serves an event that does not name it
    assert BOOK.resolve(None, "东方财富", "跑赢大市").step is None
    unknown = BOOK.resolve("eastmoney", "中信证券", "强烈推荐")
    assert (unknown.step, unknown.reason) == (None, "'强烈推荐' is not a label of scale eastmoney")
    missing = BOOK.resolve("guosen", "国信证券", "优于大市")
    assert (missing.step, missing.reason) == (None, "scale 'guosen' is not known")


def test_resolve_frame_gives_every_row_its_step_or_reason() -> None:
    events = pd.DataFrame(
        {
            "scale": [None, "eastmoney", None, None],
            "broker": ["平安证券", "华泰证券", "某证券", "某证券"],
            "label": ["推荐", "减持", "推荐", "买入"],
        }
    )
    got = BOOK.resolve_frame(events)
    assert got["step"].tolist() == [1, -1, pd.NA, 2]
    assert got["scale_id"].fillna("-").tolist() == ["pingan", "eastmoney", "-", "buy_add_5"]
    assert got["has_band"].tolist() == [True, False, False, False]
    assert got["lower"].iloc[0] == 0.1 and pd.isna(got["lower"].iloc[1])
    assert got["label_reason"].notna().tolist() == [False, False, True, False]


GUOSEN = """\
scales:
  - id: guosen
    title: 国信证券
    brokers: [国信证券]
    horizon_months: 6
    benchmark: '000300'
    labels:
      - {label: 优于大市, step: 1, lower: 0.1, upper: null}
      - {label: 中性, step: 0, lower: -0.1, upper: 0.1}
      - {label: 弱于大市, step: -1, lower: null, upper: -0.1}
"""


def test_a_workspace_adds_a_brokers_scale(tmp_path: Path) -> None:
    assert BOOK.resolve(None, "国信证券", "优于大市").step is None
    (tmp_path / "rating_scales.yaml").write_text(GUOSEN, encoding="utf-8")
    book = workspace_scales(tmp_path)
    assert isinstance(book, ScaleBook) and book.get("buy_add_5") is not None
    assert book.resolve(None, "国信证券", "优于大市").step == 1
    assert book.resolve(None, "国信证券", "弱于大市").band.upper == -0.1  # type: ignore[union-attr]
    # its own scale only: a common label it lacks is still reported, not borrowed
    assert book.resolve(None, "国信证券", "买入").step is None


def test_a_workspace_scale_overrides_a_shipped_id(tmp_path: Path) -> None:
    text = "scales:\n  - id: buy_add_5\n    labels:\n      - {label: 买入, step: 1}\n"
    (tmp_path / "rating_scales.yaml").write_text(text, encoding="utf-8")
    assert workspace_scales(tmp_path).resolve("buy_add_5", "某证券", "买入").step == 1


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("scales:\n  - id: x\n    labels:\n      - label: 买入\n        step: 3\n", 5, "step"),
        (
            "scales:\n  - id: x\n    labels:\n      - {label: 买入, step: 2, colour: red}\n",
            4,
            "colour",
        ),
        ("scale: []\n", 1, None),
    ],
)
def test_a_bad_scale_file_names_its_line(tmp_path: Path, text: str, line: int, field) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "rating_scales.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        workspace_scales(tmp_path)
    error = caught.value
    assert (Path(str(error.source)), error.line) == (path, line)
    if field is not None:
        assert field in str(error.field)
    assert error.fix
