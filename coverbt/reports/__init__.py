"""Reports: quantstats tearsheets, PNG charts, run and scorecard pages, ``reports/index.html``.

Public API: :func:`build_run_report` (after every backtest), :func:`write_scorecard_report`
and :func:`write_index`.
"""

from coverbt.reports.build import (
    RunReport,
    build_run_report,
    write_index,
    write_scorecard_report,
)

__all__ = ["RunReport", "build_run_report", "write_index", "write_scorecard_report"]
