"""The scorecard page's convention, robustness and paper-vs-executable sections (HTML)."""

from __future__ import annotations

from html import escape

from coverbt.reports.html import table
from coverbt.scorecard.model import Scorecard
from coverbt.scorecard.tables import pct


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _pp(value: float | None) -> str:
    return "" if value is None else f"{value * 100:+.2f}"


def robustness_html(card: Scorecard) -> str:
    """Which convention, each rating's hit-rate range and every fragile verdict."""
    out = [
        f"<p><b>Convention</b> <code>{escape(str(card.convention))}</code>: "
        f"{escape(card.convention.describe())}</p>"
    ]
    robust = card.robustness
    if robust is None:
        return out[0]
    count = len(robust.conventions)
    out.append(
        table(
            [
                "rating",
                "band rate (this convention)",
                f"range over {count} conventions",
                "lowest under",
                "highest under",
            ],
            (
                [
                    escape(r.rating),
                    _rate(r.chosen),
                    f"{_rate(r.low)} .. {_rate(r.high)}",
                    escape(r.low_at or ""),
                    escape(r.high_at or ""),
                ]
                for r in robust.ratings
            ),
            numeric={1, 2},
        )
    )
    fragile = [item for item in robust.names if item.fragile]
    chosen = str(card.convention)
    rows = []
    for item in fragile:
        differ = [
            t
            for t, hit in item.verdicts.items()
            if hit is not None and hit != item.verdicts[chosen]
        ]
        rows.append(
            [
                escape(item.code),
                escape(item.rating or ""),
                f"{item.hits}/{item.judged}",
                escape(", ".join(differ)),
            ]
        )
    out.append(
        f"<h3>Fragile verdicts ({len(fragile)})</h3>\n"
        + (
            table(["code", "rating", "in band", "verdict differs under"], rows, numeric={2})
            if rows
            else "<p>none: every band verdict is the same under every convention</p>"
        )
    )
    out += [f"<p>not scored under {escape(t)}: {escape(w)}</p>" for t, w in robust.skipped.items()]
    return "\n".join(out)


def executable_html(card: Scorecard) -> str:
    """Paper vs executable return per name, the gap and why."""
    rows = card.executable
    if rows is None:
        return ""
    notional = rows[0].notional if rows else 0.0
    body = table(
        [
            "code",
            "name",
            "rating",
            "paper",
            "executable",
            "gap pp",
            "timing",
            "lots",
            "fees",
            "why",
        ],
        (
            [
                escape(e.code),
                escape(e.name),
                escape(e.rating or ""),
                pct(e.paper_return),
                pct(e.executable_return),
                _pp(e.gap),
                _pp(e.timing),
                _pp(e.lot_rounding),
                _pp(e.fee_cost),
                escape("; ".join(e.reasons)),
            ]
            for e in rows
        ),
        numeric={3, 4, 5, 6, 7, 8},
    )
    return (
        f"<h3>Paper vs executable ({notional:,.0f} CNY per name)</h3>\n<p>One position "
        "bought at the first open it can fill (whole lots, limit-up and suspensions push it "
        "to the next session), sold at the horizon's last close (T+1, limit-down, "
        "suspensions push it later), a_share_default fees.</p>\n" + body
    )


def scorecard_extras(card: Scorecard) -> str:
    """Everything the page shows beyond the verdicts of the chosen convention."""
    return "\n" + robustness_html(card) + "\n" + executable_html(card)
