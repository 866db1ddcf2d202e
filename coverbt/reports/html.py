"""The HTML pages: ``reports/index.html``, a run's ``report.html``, a scorecard's page.

Self-contained: inline CSS, no remote resource (pages open offline); the only script is
the small inline sorter of sortable tables (:data:`SORT_SCRIPT`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from urllib.parse import quote

from coverbt.scorecard.model import Scorecard
from coverbt.scorecard.tables import pct

CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{padding:.25em .6em;border-bottom:1px solid #ddd}
th{text-align:left;background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.hit{color:#1e8449}.miss{color:#c0392b}img{max-width:100%;margin:.5em 0}
small{color:#666}table.sortable th{cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
"""
# Click a header of a ``table.sortable`` to sort its rows by that column, again to reverse.
# A cell's ``data-sort`` is its key (numeric columns: a number, or "" for none, listed last).
SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var numeric = th.classList.contains("n");
      var key = function (row) {
        var cell = row.cells[col];
        return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
      };
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (numeric) {
          if (x === "" || y === "") { return (x === "") - (y === ""); }
          return up ? x - y : y - x;
        }
        return up ? x.localeCompare(y, "zh-CN") : y.localeCompare(x, "zh-CN");
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""
Cell = str | tuple[str, float | str | None]  # HTML, or (HTML, sort key) in a sortable table


def page(title: str, body: str, script: str = "") -> str:
    """A complete HTML document (``script``: inline JavaScript run after the body)."""
    tail = f"<script>{script}</script>\n" if script else ""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<title>{escape(title)}</title><link rel="icon" href="data:,">'
        f"<style>{CSS}</style></head><body>\n<h1>{escape(title)}</h1>\n{body}\n{tail}"
        "</body></html>\n"
    )


def link(href: str, text: str) -> str:
    """A link to ``href`` (a URL: build relative ones from path parts with :func:`href`)."""
    return f'<a href="{escape(href, quote=True)}">{escape(text)}</a>'


def href(*parts: str) -> str:
    """A relative URL from path segments (folder and file names), each percent-encoded.

    Examples
    --------
    >>> href("screens", "cheap & <strong>", "2024-11-29", "screen.html")
    'screens/cheap%20%26%20%3Cstrong%3E/2024-11-29/screen.html'
    """
    return "/".join(quote(part, safe="") for part in parts)


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    numeric: set[int],
    *,
    sortable: bool = False,
) -> str:
    """An HTML table; cells are already-escaped HTML; columns in ``numeric`` align right.

    A cell may be ``(html, key)``: ``key`` is what a ``sortable`` table (sorted by clicking
    a header, :data:`SORT_SCRIPT`) sorts it by; ``None`` sorts last.

    Examples
    --------
    >>> print(table(["n"], [[("5%", 0.05)]], {0}, sortable=True))
    <table class="sortable"><thead><tr><th class="n">n</th></tr></thead><tbody>
    <tr><td class="n" data-sort="0.05">5%</td></tr>
    </tbody></table>
    """
    head = "".join(
        f'<th class="n">{escape(h)}</th>' if sortable and i in numeric else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>" + "".join(_cell(cell, i in numeric) for i, cell in enumerate(row)) + "</tr>\n"
        for row in rows
    )
    opening = '<table class="sortable">' if sortable else "<table>"
    return f"{opening}<thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>"


def _cell(cell: Cell, numeric: bool) -> str:
    attrs = ' class="n"' if numeric else ""
    if isinstance(cell, tuple):
        cell, key = cell
        attrs += f' data-sort="{escape("" if key is None else str(key), quote=True)}"'
    return f"<td{attrs}>{cell}</td>"


def section(title: str, headers: Sequence[str], rows: list[list[str]], numeric: set[int]) -> str:
    """A titled index section (anchor ``#title-in-lower-case``): a table, or "none".

    Examples
    --------
    >>> section("Daily runs", ["date"], [], set())
    '<h2 id="daily-runs">Daily runs</h2>\\n<p>none</p>'
    """
    content = table(headers, rows, numeric) if rows else "<p>none</p>"
    anchor = title.lower().replace(" ", "-")
    return f'<h2 id="{escape(anchor, quote=True)}">{escape(title)}</h2>\n{content}'


def verdict(value: bool | None) -> str:
    if value is None:
        return ""
    return '<span class="hit">yes</span>' if value else '<span class="miss">no</span>'


def scorecard_section(card: Scorecard, image: str) -> str:
    """One horizon of a scorecard: hit rates, the chart, then every name."""
    rates = table(
        ["rating", "n", "band hits", "threshold", "direction", "touch", "band rate", "95% CI"],
        (
            [
                escape(r.rating),
                str(r.n),
                str(r.band_hits),
                str(r.threshold_hits),
                str(r.direction_hits),
                str(r.touch_hits),
                "" if r.band_hit_rate is None else f"{r.band_hit_rate:.0%}",
                "" if r.ci_low is None else f"{r.ci_low:.0%} .. {r.ci_high:.0%}",
            ]
            for r in card.by_rating
        ),
        numeric={1, 2, 3, 4, 5, 6, 7},
    )
    ind = card.industry
    industry = (
        f"<p>Industry rating {escape(ind.rating)}: {escape(ind.index_code)} "
        f"{pct(ind.index_return)} vs {escape(ind.benchmark_code)} {pct(ind.benchmark_return)}, "
        f"excess {pct(ind.excess)}: {verdict(ind.hit) or escape(ind.reason or '')}</p>"
    )
    names = table(
        [
            "code",
            "name",
            "rating",
            "entry",
            "exit",
            "return",
            "benchmark",
            "excess",
            "band",
            "threshold",
            "direction",
            "touch",
            "reason",
        ],
        (
            [
                escape(s.code),
                escape(s.name),
                escape(s.rating or ""),
                str(s.entry_date or ""),
                str(s.exit_date or ""),
                pct(s.ret),
                pct(s.benchmark_return),
                pct(s.excess),
                verdict(s.band_hit),
                verdict(s.threshold_hit),
                verdict(s.direction_hit),
                verdict(s.touch_hit),
                escape(s.reason or ""),
            ]
            for s in card.names
        ),
        numeric={5, 6, 7},
    )
    title = (
        f"{card.horizon} vs {card.benchmark} ({card.benchmark_code}): "
        f"{card.planned_entry} open to {card.planned_exit} close"
    )
    return (
        f"<h2>{escape(title)}</h2>\n{rates}\n{industry}\n"
        f'<img src="{escape(image, quote=True)}" alt="excess per name, {escape(card.horizon)}">'
        f"\n{names}"
    )


def not_held_section(rows: Sequence[dict[str, object]], held: tuple[int, int] | None) -> str:
    """The run page's list of names never held or cut: why, and the weight left in cash."""
    head = "<h2>Not held as planned</h2>\n"
    if not rows:
        return head + (
            "<p>none: every name was held as planned</p>"
            if held
            else "<p>not recorded by this run</p>"
        )
    body = table(
        ["code", "name", "status", "target weight", "left in cash", "decisions", "why"],
        (
            [
                escape(str(row.get("code", ""))),
                escape(str(row.get("name", ""))),
                escape(str(row.get("status", ""))),
                _weight(row.get("target_weight")),
                _weight(row.get("cash_weight")),
                escape(", ".join(str(d) for d in _list(row.get("dates")))),
                escape(str(row.get("reason", ""))),
            ]
            for row in rows
        ),
        numeric={3, 4},
    )
    return head + body


def _weight(value: object) -> str:
    return f"{value:.2%}" if isinstance(value, int | float) else ""


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []
