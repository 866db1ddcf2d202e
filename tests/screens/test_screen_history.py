"""Two dates, a known answer: who enters, who leaves and why; storage is append-only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from coverbt.errors import InputError
from coverbt.screens.history import ScreenHistory
from coverbt.screens.publish import publish
from coverbt.screens.run import run_screen
from coverbt.screens.spec import load_screen

I1, I2 = 40, 50  # session positions of the two runs


def _screen(tmp_path: Path, top: int = 2, name: str = "momo") -> Path:
    path = tmp_path / f"{name}-{top}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": name,
                "universe": "all",
                "conditions": ["ret_5d > 0", "stale_days == 0"],
                "score": {"field": "ret_5d"},
                "top": top,
            }
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture()
def market(make_market, synthetic_days, growth):
    """A: +1%/day, then +0.2% after I1 (falls to rank 3); B: +2% then -2% (fails);
    C: -1% then +3% (passes, first); D: +0.5% throughout (moves up into the top 2)."""
    return make_market(
        {
            "600001": growth(synthetic_days, [(1, 0.01), (I1 + 1, 0.002)]),
            "600002": growth(synthetic_days, [(1, 0.02), (I1 + 1, -0.02)]),
            "600003": growth(synthetic_days, [(1, -0.01), (I1 + 1, 0.03)]),
            "600004": growth(synthetic_days, [(1, 0.005)]),
        }
    )


def test_entered_and_left_with_reasons(tmp_path: Path, market, synthetic_days) -> None:
    screen = load_screen(_screen(tmp_path))
    d1, d2 = synthetic_days[I1].date(), synthetic_days[I2].date()
    first = publish(run_screen(screen, market, as_of=d1), tmp_path / "screens")
    assert list(first.result.selected.index) == ["600002", "600001"]
    assert [c.why for c in first.diff.entered] == ["no earlier stored run of this screen"] * 2

    second = publish(run_screen(screen, market, as_of=d2), tmp_path / "screens")
    assert list(second.result.selected.index) == ["600003", "600004"]
    entered = {c.code: c for c in second.diff.entered}
    left = {c.code: c for c in second.diff.left}
    assert set(entered) == {"600003", "600004"} and set(left) == {"600001", "600002"}
    assert entered["600003"].flipped == ("ret_5d > 0",)
    assert entered["600003"].why.startswith("`ret_5d > 0` now holds (ret_5d -0.049")
    assert entered["600004"].why == "made the top-2 cut: rank 3 -> rank 2"
    assert left["600001"].why == "missed the top-2 cut: rank 2 -> rank 3"
    assert left["600002"].flipped == ("ret_5d > 0",)
    assert "no longer holds (ret_5d 0.1041 -> -0.09608)" in left["600002"].why
    assert second.diff.previous_as_of == d1.isoformat()

    payload = second.to_json()
    assert list(payload) == ["screen", "as_of", "rows", "entered", "left"]
    assert payload["rows"][0]["code"] == "600003"
    assert payload["rows"][0]["values"]["ret_5d"] == pytest.approx(1.03**5 - 1)
    assert payload["rows"][0]["score"] == pytest.approx(1.03**5 - 1)


def test_rerun_is_idempotent_and_history_append_only(
    tmp_path: Path, market, synthetic_days
) -> None:
    root = tmp_path / "screens"
    d1 = synthetic_days[I1].date()
    first = publish(run_screen(load_screen(_screen(tmp_path)), market, as_of=d1), root)
    history = ScreenHistory(root, "momo")
    stored = (root / "momo" / first.stored.file).read_bytes()
    lines = history.history_file.read_text(encoding="utf-8")

    again = publish(run_screen(load_screen(_screen(tmp_path)), market, as_of=d1), root)
    assert again.new is False and again.stored == first.stored
    assert history.history_file.read_text(encoding="utf-8") == lines

    # an edited screen gives a different result for the same date: a new version, old kept
    edited = publish(run_screen(load_screen(_screen(tmp_path, top=3)), market, as_of=d1), root)
    assert edited.new is True and edited.stored.file != first.stored.file
    assert (root / "momo" / first.stored.file).read_bytes() == stored
    assert history.history_file.read_text(encoding="utf-8").startswith(lines)
    assert len(history.runs()) == 2
    assert history.latest_per_date()[d1.isoformat()].content_hash == edited.stored.content_hash
    assert (root / "momo" / d1.isoformat() / "screen.csv").read_text().count("\n") == 4


def test_a_damaged_history_line_is_reported(tmp_path: Path, market, synthetic_days) -> None:
    root = tmp_path / "screens"
    publish(run_screen(load_screen(_screen(tmp_path)), market, as_of=dt.date(2024, 3, 1)), root)
    history = ScreenHistory(root, "momo")
    with history.history_file.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    with pytest.raises(InputError, match=r"history.jsonl:2: unreadable history line"):
        history.runs()


def test_bad_screen_files_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\nconditions:\n  - pe_ttm < 30\n  - foo_bar > 1\nscore: {field: ret_5d}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"bad.yaml:4: field conditions\[1\]: unknown field"):
        load_screen(path)
    path.write_text("name: bad\nconditions:\n  - pe_ttm.__class__ < 30\nscore: {field: x}\n")
    with pytest.raises(InputError, match=r"bad.yaml:3: .*attribute access"):
        load_screen(path)
    path.write_text("name: bad\nconditions: [ret_5d > 0]\nscore: {}\ntop: 0\n")
    with pytest.raises(InputError, match=r"bad.yaml:3: field score"):
        load_screen(path)
