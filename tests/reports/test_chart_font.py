"""Every chart draws the report's Chinese names and rating labels with the bundled CJK font."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

from coverbt.reports.charts import (
    contribution_figure,
    drawdown_figure,
    equity_figure,
    scorecard_figure,
)
from coverbt.reports.fonts import BUNDLED_FAMILY, BUNDLED_FONT, chart_font, name_label
from coverbt.revisions.charts import name_chart, source_label
from coverbt.scorecard.model import IndustryScore, NameScore, Scorecard

NAMES = {"600570": "恒生电子", "688256": "寒武纪", "002230": "科大讯飞", "300033": "同花顺"}
RATINGS = {"600570": "强烈推荐", "688256": "强烈推荐", "002230": "推荐", "300033": "-"}
BANDS: dict[str, tuple[float | None, float | None]] = {
    "强烈推荐": (0.20, None),
    "推荐": (0.10, 0.20),
    "中性": (-0.10, 0.10),
    "回避": (None, -0.10),
}


def _scorecard() -> Scorecard:
    names = [
        NameScore(code, name, RATINGS[code], RATINGS[code] in BANDS, excess=0.05 * i - 0.05)
        for i, (code, name) in enumerate(NAMES.items())
    ]
    return Scorecard(
        report_id="pingan_computer_2024_midyear",
        horizon="6M",
        benchmark="沪深300",
        benchmark_code="000300",
        planned_entry=dt.date(2024, 6, 24),
        planned_exit=dt.date(2024, 12, 24),
        names=names,
        by_rating=[],
        industry=IndustryScore("强于大市", "801750", "000300"),
        bands=BANDS,
    )


def _equity() -> pd.DataFrame:
    days = pd.bdate_range("2024-06-24", periods=30, name="date")
    steps = pd.Series(range(30), index=days, dtype=float)
    return pd.DataFrame(
        {"portfolio": 1 + steps / 100, "csi300": 1 + steps / 200, "sw_computer": 1 - steps / 300}
    )


def _figures() -> dict[str, Figure]:
    per_name = pd.DataFrame(
        {
            "code": list(NAMES),
            "name": list(NAMES.values()),
            "contribution": [0.02, -0.01, 0.0, 0.03],
        }
    )
    return {
        "scorecard": scorecard_figure(_scorecard()),
        "contribution": contribution_figure(per_name, "恒生电子 寒武纪: contribution"),
        "equity": equity_figure(_equity(), "coverage_equal 计算机"),
        "drawdown": drawdown_figure(_equity(), "coverage_equal 计算机"),
    }


def _draw(fig: Figure) -> list[str]:
    """Render ``fig`` to PNG and return the texts of the warnings matplotlib raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    return [str(w.message) for w in caught]


def _shown(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if isinstance(t, Text) and t.get_text()]


@pytest.mark.parametrize("chart", ["scorecard", "contribution", "equity", "drawdown"])
def test_chart_draws_chinese_without_missing_glyphs(chart: str) -> None:
    fig = _figures()[chart]
    messages = _draw(fig)
    assert not [m for m in messages if "missing from font" in m], messages
    texts = _shown(fig)
    bundled = BUNDLED_FONT.resolve()
    for text in texts:
        used = Path(font_manager.findfont(text.get_fontproperties(), fallback_to_default=False))
        assert used.resolve() == bundled, (text.get_text(), used)


def test_scorecard_labels_are_chinese() -> None:
    fig = _figures()["scorecard"]
    _draw(fig)
    shown = " | ".join(t.get_text() for t in _shown(fig))
    for word in ("600570 恒生电子", "688256 寒武纪", "强烈推荐 (> +20%)", "推荐 (+10%..+20%)"):
        assert word in shown


def test_revisions_chart_draws_chinese(tmp_path: Path) -> None:
    rows = pd.DataFrame(
        {
            "seq": [1, 2],
            "source": ["平安证券:闫磊", "中信证券:计算机"],
            "as_of": pd.to_datetime(["2024-06-23", "2024-08-30"]),
            "code": ["600570", "600570"],
            "fiscal_year": [2024, 2024],
            "kind": ["forecast", "forecast"],
            "eps": [0.85, 0.80],
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = name_chart(
            tmp_path / "600570.png",
            title=f"{name_label('600570', '恒生电子')}: EPS and P/E",
            report_source="平安证券:闫磊",
            rows=rows,
            code="600570",
            pe_ttm=pd.Series([40.0, 43.0], index=pd.to_datetime(["2024-06-03", "2024-09-02"])),
            pe_report={2024: 41.0},
            published=dt.date(2024, 6, 23),
            as_of=dt.date(2024, 12, 31),
        )
    assert path.stat().st_size > 0
    assert source_label("中信证券:计算机", "平安证券:闫磊") == "中信证券:计算机"
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_font_covers_the_report_and_falls_back_by_code() -> None:
    font = chart_font()
    assert font.family == BUNDLED_FAMILY
    assert font.covers("恒生电子 寒武纪 强烈推荐 推荐 中性 回避 强于大市 建议关注")
    assert name_label("600000", "\u9fa5\u9fa4") == "600000"  # outside the subset: code only


def test_bundled_font_is_small_and_licensed() -> None:
    assert BUNDLED_FONT.stat().st_size < 400_000
    assert "SIL Open Font License" in (BUNDLED_FONT.parent / "OFL.txt").read_text("utf-8")


def test_importing_coverbt_registers_no_font() -> None:
    code = (
        "import coverbt.reports, coverbt.reports.charts, coverbt.revisions.report\n"
        "from matplotlib import font_manager\n"
        f"assert not any(f.name == {BUNDLED_FAMILY!r} for f in font_manager.fontManager.ttflist)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
