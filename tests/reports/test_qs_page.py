"""coverbt's quantstats page is quantstats' own, less only what coverbt's slots replace.

:func:`coverbt.reports.qs_page.quantstats_page` skips quantstats' metrics table and rolling
charts (the template has coverbt's slots there) and draws a run's strategy-only charts
once; the page it writes must be ``quantstats.reports.html``'s byte for byte. SVG ids are
made deterministic (``svg.hashsalt``) and the SVG date stripped, so both can be compared.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from coverbt.reports.qs_page import quantstats_page
from coverbt.reports.run_folder import load_run
from coverbt.reports.tearsheet import _quiet_font_lookup, _template

SVG_DATE = re.compile(r"<dc:date>.*?</dc:date>", re.S)


def _pair(run_dir: Path) -> pd.DataFrame:
    returns = load_run(run_dir).returns
    return pd.DataFrame(
        {"Strategy": returns["portfolio"], "SWComputer": returns["sw_computer"]}
    ).dropna()


@pytest.mark.slow
def test_the_page_is_quantstats_own(run_dir: Path, tmp_path: Path) -> None:
    import quantstats as qs

    template = _template(Path(qs.__file__).parent)
    (tmp_path / "template.html").write_text(template, encoding="utf-8")
    pair = _pair(run_dir)
    strategy, benchmark = pair["Strategy"], pair["SWComputer"]
    with matplotlib.rc_context({"svg.hashsalt": "coverbt-test"}), _quiet_font_lookup():
        qs.reports.html(
            strategy.copy(), benchmark=benchmark.copy(), output=str(tmp_path / "qs.html"),
            periods_per_year=242, title="t", template_path=str(tmp_path / "template.html"),
        )  # fmt: skip
        shared: dict[str, dict[str, str]] = {}
        ours = quantstats_page(
            template, strategy, benchmark, title="t", periods_per_year=242, shared=shared
        )
        again = quantstats_page(
            template, strategy, benchmark, title="t", periods_per_year=242, shared=shared
        )
    theirs = (tmp_path / "qs.html").read_text(encoding="utf-8")
    assert SVG_DATE.sub("", ours) == SVG_DATE.sub("", theirs)
    assert len(shared) == 1  # the strategy's own charts were drawn once, for both calls
    assert SVG_DATE.sub("", again) == SVG_DATE.sub("", ours)
