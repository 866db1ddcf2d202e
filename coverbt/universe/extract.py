"""Build a :class:`Universe` from a report's text (``coverbt universe extract``).

The table gives codes, closes, EPS, PE and ratings; the recommendation paragraph gives each
name's verb, theme and sub-chain, and the names that are only in prose; those resolve to codes
through code/name lists (:mod:`coverbt.universe.names`). An unresolved name is never dropped:
:meth:`Extraction.raise_if_unresolved` names every one and how to fix it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from coverbt.data.provider import CSI300, SW_COMPUTER
from coverbt.errors import InputError
from coverbt.universe.model import CoveredName, Report, Universe
from coverbt.universe.names import Listing, resolve_names
from coverbt.universe.parse_prose import Mention, parse_recommendations
from coverbt.universe.parse_report import (
    Metadata,
    RatingTable,
    ReportText,
    TableRow,
    parse_metadata,
    parse_scale,
    parse_table,
)
from coverbt.universe.text import fold, name_key

# Shenwan level-1 industry index of an industry name (extend when a report needs another)
INDUSTRY_INDEX = {"计算机": SW_COMPUTER}
_CONSENSUS = re.compile(r"^.+?(\d{4}(?:-\d{4})?)年EPS取自(.+?)一致预期$")


@dataclass(frozen=True)
class Extraction:
    """What extraction found; ``universe`` is ``None`` while a name is unresolved."""

    source: Path
    universe: Universe | None
    prose_only: dict[str, Listing]
    unresolved: dict[str, str]
    warnings: list[str] = field(default_factory=list)

    def raise_if_unresolved(self) -> Universe:
        if self.universe is None or self.unresolved:
            listed = "; ".join(f"{name} ({why})" for name, why in self.unresolved.items())
            raise InputError(
                f"{len(self.unresolved)} name(s) of the recommendation paragraph have no code: "
                f"{listed}",
                source=self.source,
                field="names",
                expected="every recommended name in a code/name list",
                fix="pass --names with a fuller list (akshare stock_info_a_code_name, or a "
                "baostock stock list), or add code,name,exchange rows to "
                "universe/known_listings.csv",
            )
        return self.universe


def slug(text: str) -> str:
    """A report id from a file stem.

    Examples
    --------
    >>> slug("pingan_computer_2024_midyear")
    'pingan-computer-2024-midyear'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "report"


def extract_universe(
    path: Path,
    *,
    primary: list[Listing],
    curated: list[Listing],
    report_id: str,
    benchmark: str = CSI300,
) -> Extraction:
    """Parse the report text at ``path`` and resolve its prose-only names."""
    text = ReportText.read(path)
    scale = parse_scale(text, benchmark)
    meta = parse_metadata(text, scale.labels(industry=True))
    table = parse_table(text, meta.published)
    mentions = parse_recommendations(text)
    warnings: list[str] = []
    for row in table.rows:
        if row.rating is not None and row.rating not in scale.labels():
            raise text.error(
                f"rating {row.rating!r} of {row.name} is not a label of the stock rating scale",
                row.line - 1,
                f"one of {scale.labels()} or '-'",
                "rating",
            )
    first = _first_mentions(mentions, warnings)
    in_table = {name_key(r.name) for r in table.rows}
    prose_only = [m for m in first.values() if name_key(m.name) not in in_table]
    resolution = resolve_names([m.name for m in prose_only], primary, curated)
    if resolution.unresolved:
        return Extraction(path, None, resolution.found, resolution.unresolved, warnings)
    names = [_table_name(text, row, table, first, warnings) for row in table.rows]
    names += [_prose_name(m, resolution.found[m.name]) for m in prose_only]
    report = _report(meta, table, report_id, path.name, benchmark)
    try:
        universe = Universe(report=report, rating_scale=scale, names=names)
    except ValidationError as exc:
        raise InputError(
            f"the extracted universe is invalid: {exc.errors()[0]['msg']}",
            source=path,
            fix="check the code/name lists for a wrong code",
        ) from None
    return Extraction(path, universe, resolution.found, {}, warnings)


def _first_mentions(mentions: list[Mention], warnings: list[str]) -> dict[str, Mention]:
    first: dict[str, Mention] = {}
    for m in mentions:
        seen = first.get(name_key(m.name))
        if seen is None:
            first[name_key(m.name)] = m
        elif (seen.verb, seen.theme, seen.chain) != (m.verb, m.theme, m.chain):
            warnings.append(
                f"{m.name} is listed twice in the recommendation paragraph "
                f"({seen.verb}/{seen.theme} and {m.verb}/{m.theme}); kept the first"
            )
    return first


def _table_name(
    text: ReportText,
    row: TableRow,
    table: RatingTable,
    mentions: dict[str, Mention],
    warnings: list[str],
) -> CoveredName:
    m = mentions.get(name_key(row.name))
    if m is None:
        warnings.append(f"line {row.line}: {row.name} is in the table but not in the paragraph")
    elif row.rating is not None and m.verb != row.rating:
        warnings.append(
            f"line {row.line}: {row.name} is rated {row.rating} in the table but "
            f"{m.verb} in the paragraph (line {m.line})"
        )
    notes = [note for _, note in table.notes if row.name in note]
    try:
        return CoveredName(
            code=row.code,
            name=row.name,
            exchange=row.exchange,
            rating=row.rating,
            in_table=True,
            prose=m.verb if m else None,
            theme=m.theme if m else None,
            chain=m.chain if m else None,
            close_at_price_date=row.close,
            eps=row.eps,
            pe=row.pe,
            actual_years=[y for y in table.actual_years if y in row.eps],
            note="; ".join(_note(n) for n in notes) or None,
        )
    except ValidationError as exc:
        raise text.error(
            exc.errors()[0]["msg"].removeprefix("Value error, "),
            row.line - 1,
            "a valid code.exchange and a positive close",
            row.name,
        ) from None


def _prose_name(m: Mention, listing: Listing) -> CoveredName:
    return CoveredName(
        code=listing.code,
        name=m.name,
        exchange=listing.exchange,
        rating=None,
        in_table=False,
        prose=m.verb,
        theme=m.theme,
        chain=m.chain,
        note=listing.note,
    )


def _note(text: str) -> str:
    """A table note as the universe keeps it (consensus notes get an English lead).

    Examples
    --------
    >>> _note("莱斯信息2024-2026年EPS取自Wind一致预期")
    '2024-2026 EPS are Wind consensus (注：莱斯信息2024-2026年EPS取自Wind一致预期)'
    """
    m = _CONSENSUS.match(fold(text))
    raw = f"注：{text}"
    return f"{m.group(1)} EPS are {m.group(2)} consensus ({raw})" if m else raw


def _report(
    meta: Metadata, table: RatingTable, report_id: str, source_file: str, benchmark: str
) -> Report:
    return Report(
        id=report_id,
        broker=meta.broker,
        title=meta.title,
        published=meta.published,
        price_date=table.price_date,
        analysts=meta.analysts,
        industry=meta.industry,
        industry_rating=meta.industry_rating,
        industry_rating_action=meta.industry_rating_action,
        market_benchmark=benchmark,
        industry_index=INDUSTRY_INDEX.get(meta.industry),
        source_file=source_file,
    )
