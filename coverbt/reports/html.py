"""The HTML pages: ``reports/index.html``, a run's ``report.html``, a scorecard's page.

Self-contained: inline CSS, no script, no remote resource (pages open offline).
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
small{color:#666}
"""


def page(title: str, body: str) -> str:
    """A complete HTML document."""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<title>{escape(title)}</title><link rel="icon" href="data:,">'
        f"<style>{CSS}</style></head><body>\n<h1>{escape(title)}</h1>\n{body}\n</body></html>\n"
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


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int]) -> str:
    """An HTML table; cells are already-escaped HTML; columns in ``numeric`` align right."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>\n"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>"


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
