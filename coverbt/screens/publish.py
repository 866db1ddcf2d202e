"""Store a screen run, diff it against the previous run, write CSV + HTML, build the JSON.

``--json`` contract of ``coverbt screen``::

    {"screen", "as_of", "rows": [{"code", "name", "score", "values": {...}}],
     "entered": [{"code", "name", "why", "flipped"}], "left": [...]}
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coverbt.atomic import atomic_write_text
from coverbt.screens.diff import Change, ScreenDiff, diff_runs
from coverbt.screens.history import ScreenHistory, StoredRun
from coverbt.screens.run import ScreenResult, format_value, plain


@dataclass(frozen=True)
class Outcome:
    """A published run: the result, its diff, where it was stored, and whether it was new."""

    result: ScreenResult
    diff: ScreenDiff
    stored: StoredRun
    new: bool
    folder: Path

    def to_json(self) -> dict[str, Any]:
        return {
            "screen": self.result.screen,
            "as_of": self.result.as_of.isoformat(),
            "rows": self.result.rows(),
            "entered": [c.to_json() for c in self.diff.entered],
            "left": [c.to_json() for c in self.diff.left],
        }


def publish(result: ScreenResult, screens_root: Path, now: dt.datetime | None = None) -> Outcome:
    """Diff ``result`` against the previous stored run, store it, and write CSV + HTML."""
    history = ScreenHistory(screens_root, result.screen)
    previous = history.previous(result.as_of)
    before = history.load(previous) if previous else None
    diff = diff_runs(
        before,
        previous.conditions if previous else [],
        previous.as_of if previous else None,
        result,
    )
    stored, new = history.record(result, now=now)
    folder = history.folder / result.as_of.isoformat()
    if new:
        write_csv(result, folder / "screen.csv")
        atomic_write_text(folder / "screen.html", render_html(result, diff))
    return Outcome(result, diff, stored, new, folder)


def write_csv(result: ScreenResult, path: Path) -> None:
    """The ranked rows with the values that made them pass."""
    columns = ["rank", "name", "score", *result.value_fields]
    frame = result.selected[columns].copy()
    frame.index.name = "code"
    atomic_write_text(path, frame.to_csv(float_format="%.6g"))


def _cell(value: Any) -> str:
    value = plain(value)
    css = " class='na'" if value is None else " class='num'" if isinstance(value, float) else ""
    return f"<td{css}>{html.escape(format_value(value))}</td>"


def _changes(title: str, changes: list[Change]) -> str:
    if not changes:
        return f"<h2>{title}</h2><p class='na'>none</p>"
    items = "".join(
        f"<li><b>{html.escape(c.code)}</b> {html.escape(c.name or '')}: {html.escape(c.why)}</li>"
        for c in changes
    )
    return f"<h2>{title} ({len(changes)})</h2><ul>{items}</ul>"


def _skipped(skipped: dict[str, str]) -> str:
    if not skipped:
        return ""
    items = "".join(f"<li>{html.escape(c)}: {html.escape(r)}</li>" for c, r in skipped.items())
    return f"<h2>Not screened ({len(skipped)})</h2><ul>{items}</ul>"


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse}td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd}
th{background:#f4f4f4;text-align:left}.num{text-align:right;font-variant-numeric:tabular-nums}
.na{color:#999}code{background:#f4f4f4;padding:0 .2rem}
"""


def render_html(result: ScreenResult, diff: ScreenDiff) -> str:
    """A standalone HTML page: conditions, ranked table, entered and left with reasons."""
    head = ["#", "code", "name", "score", *result.value_fields]
    rows = "".join(
        "<tr>"
        + _cell(int(row["rank"]))
        + _cell(code)
        + _cell(row["name"])
        + _cell(row["score"])
        + "".join(_cell(row[f]) for f in result.value_fields)
        + "</tr>"
        for code, row in result.selected.iterrows()
    )
    conditions = "".join(f"<li><code>{html.escape(c)}</code></li>" for c in result.conditions)
    since = f" since {diff.previous_as_of}" if diff.previous_as_of else ""
    n_passed = int(result.table["passed"].sum())
    return (
        f"<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(result.screen)} {result.as_of}</title><style>{_STYLE}</style>"
        f"</head><body><h1>Screen {html.escape(result.screen)} as of {result.as_of}</h1>"
        f"<p>{len(result.table)} stocks screened ({result.scope}), {n_passed} pass every "
        f"condition, top {result.top} shown.</p><ul>{conditions}</ul>"
        f"<table><tr>{''.join(f'<th>{html.escape(h)}</th>' for h in head)}</tr>{rows}</table>"
        f"{_changes('Entered' + since, diff.entered)}{_changes('Left' + since, diff.left)}"
        f"{_skipped(result.skipped)}"
        f"</body></html>"
    )
