"""The scorecard page names its convention, the fragile verdicts and paper vs executable."""

from __future__ import annotations

import json
from pathlib import Path

from coverbt.reports import write_scorecard_report
from coverbt.scorecard.convention import Convention
from coverbt.scorecard.full import full_scorecards


def test_page_shows_convention_robustness_and_executable(
    universe, report_market, tmp_path: Path
) -> None:
    cards = full_scorecards(universe, report_market, ["6M"], Convention())
    folder = write_scorecard_report(cards, tmp_path)
    html = (folder / "scorecard.html").read_text(encoding="utf-8")
    assert "entry/next_open/csi300/difference" in html
    assert "Fragile verdicts" in html and "<td>300496</td>" in html
    assert "33% .. 67%" in html  # 强烈推荐 over the 16 conventions
    assert "Paper vs executable" in html
    data = json.loads((folder / "scorecard.json").read_text(encoding="utf-8"))
    assert data[0]["convention"]["tag"] == "entry/next_open/csi300/difference"
    assert "300496" in data[0]["robustness"]["fragile"]
