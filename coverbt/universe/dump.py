"""The one canonical writer of universe files.

The layout is fixed (so a re-extraction diffs cleanly): one block per name, every field
written even when empty, codes and free text always quoted, prices and EPS with at least two
decimals and PE with at least one, as the report prints them. ``load_universe(dump(u)) == u``
for every valid universe (a property test checks it).
"""

from __future__ import annotations

from typing import Any

import yaml

from coverbt.universe.model import CoveredName, RatingBand, RatingScale, Report, Universe

_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW_FORBIDDEN = set(",[]{}")
_NO_WRAP = 2**31  # never fold a long scalar over lines
_HEADER = (
    "# Coverage list of: {broker}, {short_title} ({published}).\n"
    "# Built by `coverbt universe extract` from {source}\n"
    "# and checked by `coverbt universe check`. "
    "Every forecast here became known on report.published.\n"
)


def dump_universe(universe: Universe) -> str:
    """Serialise ``universe`` as the YAML of a universe file (with its header comment)."""
    report = universe.report
    out = [_header(report), "report:\n", *_report(report)]
    out.append("rating_scale:\n")
    scale = universe.rating_scale
    for kind, bands in (("stock", scale.stock), ("industry", scale.industry)):
        out.append(f"  {kind}:\n" if bands else f"  {kind}: []\n")
        out += [f"    - {_band(band)}\n" for band in bands]
    out += _convention(scale)
    out.append("names:\n" if universe.names else "names: []\n")
    for item in universe.names:
        out += _name(item)
    return "".join(out)


_CONVENTION_NOTE = (
    "  # How the bands are measured (coverbt hitrate --anchor/--entry/--benchmark/--excess\n"
    "  # override it). anchor: entry|publication (horizon counted from the entry session or\n"
    "  # the publication date); entry: next_open|prior_close; exit is always the close of the\n"
    "  # last session on or before the horizon end; benchmark: csi300|csi300_tr|sw_computer;\n"
    "  # excess: difference|ratio. The defaults are coverbt's tradable reading; write the\n"
    "  # broker's stated convention here when the report states one.\n"
)


def _convention(scale: RatingScale) -> list[str]:
    c = scale.convention
    return [
        _CONVENTION_NOTE,
        f"  convention: {{anchor: {c.anchor}, entry: {c.entry}, benchmark: {c.benchmark}, "
        f"excess: {c.excess}}}\n",
    ]


def _header(report: Report) -> str:
    short = report.title.split("——")[-1].strip() or report.title
    return _HEADER.format(
        broker=_comment(report.broker),
        short_title=_comment(short),
        published=report.published.isoformat(),
        source=_comment(report.source_file or "the report text"),
    )


def _comment(text: str) -> str:
    """``text`` made safe inside a ``#`` comment line (no line breaks, no control characters)."""
    return "".join(c if c.isprintable() else " " for c in text)


def _report(report: Report) -> list[str]:
    analysts = [
        "    - " + _flow({"name": a.name, "license": a.license, "role": a.role}) + "\n"
        for a in report.analysts
    ]
    fields: list[tuple[str, str]] = [
        ("id", _str(report.id)),
        ("broker", _str(report.broker)),
        ("title", _str(report.title)),
        ("published", report.published.isoformat()),
        ("price_date", report.price_date.isoformat()),
    ]
    tail = [
        ("industry", _str(report.industry)),
        ("industry_rating", _str(report.industry_rating)),
        ("industry_rating_action", _opt(report.industry_rating_action)),
        ("market_benchmark", _quoted(report.market_benchmark)),
        ("industry_index", _opt(report.industry_index, quote=True)),
        ("source_file", _opt(report.source_file)),
    ]
    return [
        *(f"  {k}: {v}\n" for k, v in fields),
        "  analysts:\n" if analysts else "  analysts: []\n",
        *analysts,
        *(f"  {k}: {v}\n" for k, v in tail),
    ]


def _band(band: RatingBand) -> str:
    return _flow(
        {
            "label": band.label,
            "horizon_months": band.horizon_months,
            "benchmark": _Quoted(band.benchmark),
            "lower": band.lower,
            "upper": band.upper,
            "definition": _Quoted(band.definition),
        }
    )


def _name(item: CoveredName) -> list[str]:
    fields: list[tuple[str, str]] = [
        ("code", _quoted(item.code)),
        ("name", _str(item.name)),
        ("exchange", _str(str(item.exchange))),
        ("rating", _opt(item.rating)),
        ("in_table", _scalar(item.in_table)),
        ("prose", _opt(item.prose)),
        ("theme", _opt(item.theme)),
        ("chain", _opt(item.chain)),
        ("close_at_price_date", _num(item.close_at_price_date, 2)),
        ("eps", _year_map(item.eps, 2)),
        ("pe", _year_map(item.pe, 1)),
        ("actual_years", "[" + ", ".join(str(y) for y in item.actual_years) + "]"),
        ("note", _opt(item.note, quote=True)),
    ]
    first, *rest = fields
    return [f"  - {first[0]}: {first[1]}\n", *(f"    {k}: {v}\n" for k, v in rest)]


class _Quoted(str):
    """A string that is always written quoted (codes, free text)."""


def _flow(mapping: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {_scalar(v, flow=True)}" for k, v in mapping.items()) + "}"


def _year_map(values: dict[int, float], decimals: int) -> str:
    return "{" + ", ".join(f"{y}: {_num(v, decimals)}" for y, v in sorted(values.items())) + "}"


def _scalar(value: Any, *, flow: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, _Quoted):
        return _quoted(value)
    return _str(str(value), flow=flow)


def _num(value: float | None, decimals: int) -> str:
    """``value`` with at least ``decimals`` decimals, more only when needed to round-trip."""
    if value is None:
        return "null"
    text = f"{value:.{decimals}f}"
    return text if float(text) == value else repr(value)


def _opt(value: str | None, *, quote: bool = False) -> str:
    if value is None:
        return "null"
    return _quoted(value) if quote else _str(value)


def _str(text: str, *, flow: bool = False) -> str:
    """Plain when YAML reads it back as the same string, else quoted."""
    return text if _plain_ok(text, flow) else _quoted(text)


def _quoted(text: str) -> str:
    if text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    emitted = yaml.dump(
        text, Dumper=yaml.SafeDumper, default_style='"', allow_unicode=True, width=_NO_WRAP
    )
    return emitted.removesuffix("\n").removesuffix("\n...")  # a one-line double-quoted scalar


def _plain_ok(text: str, flow: bool) -> bool:
    if not text or text != text.strip() or not text.isprintable() or text[0] in _INDICATORS:
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    if flow and _FLOW_FORBIDDEN & set(text):
        return False
    try:
        return yaml.safe_load(text) == text
    except yaml.YAMLError:
        return False
