"""Universe files as reports: every ``universe/*.yaml`` is one report, its rated names events.

A universe file holds the coverage list of one report (:mod:`coverbt.universe`). Each table
row with a rating label becomes one :class:`~coverbt.events.model.RatingEvent` dated by the
report's publication date, under the report's own stated scale (``report:<id>``). Unrated
rows (``-``) and names only mentioned in the prose (建议关注) are not ratings: they are
counted, never turned into events.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from coverbt.errors import InputError
from coverbt.events.model import RatingEvent, Source
from coverbt.events.scales import REPORT_PREFIX
from coverbt.universe.load import load_universe
from coverbt.universe.model import Universe

NOT_UNIVERSE_FILES = frozenset({"rating_scales.yaml"})


@dataclass(frozen=True)
class ReportFile:
    """One universe file read as a report (or the error that stopped it)."""

    path: Path
    universe: Universe | None = None
    error: InputError | None = None
    labels: dict[str, int] = field(default_factory=dict)

    @property
    def events(self) -> list[RatingEvent]:
        return universe_events(self.universe, self.path) if self.universe else []


def universe_files(folder: Path) -> list[Path]:
    """The universe files of a folder (``*.yaml`` but the scale file), sorted by name."""
    return sorted(
        p for p in Path(folder).glob("*.yaml") if p.is_file() and p.name not in NOT_UNIVERSE_FILES
    )


def read_reports(paths: list[Path]) -> list[ReportFile]:
    """Each path (a universe file, or a folder of them) read as reports; a file that fails
    validation is kept with its error, so a listing can show every bad file."""
    files: list[Path] = []
    for path in paths:
        files.extend(universe_files(path) if Path(path).is_dir() else [Path(path)])
    out = []
    for path in files:
        try:
            universe = load_universe(path)
        except InputError as exc:
            out.append(ReportFile(path, error=exc))
            continue
        counts = Counter(item.rating for item in universe.names if item.rating)
        out.append(ReportFile(path, universe, labels=dict(counts)))
    return out


def check_unique_ids(reports: list[ReportFile]) -> None:
    """Two files with one report id would mix their events: refuse it, naming both."""
    seen: dict[str, Path] = {}
    for item in reports:
        if item.universe is None:
            continue
        rid = item.universe.report.id
        if rid in seen:
            raise InputError(
                f"report id {rid!r} is used by two files ({seen[rid]} and {item.path})",
                source=item.path,
                field="report.id",
                expected="one universe file per report id",
                fix="give the later report its own id (e.g. add its date to the id)",
            )
        seen[rid] = item.path


def universe_events(universe: Universe, path: Path | None = None) -> list[RatingEvent]:
    """One event per rated table row, dated by the publication date."""
    report = universe.report
    authors = [a.name for a in report.analysts if a.role == "analyst"] or [
        a.name for a in report.analysts
    ]
    out = []
    for item in universe.names:
        if not item.rating:
            continue
        out.append(
            RatingEvent(
                source=Source.REPORT_FILE,
                report_id=report.id,
                code=item.code,
                broker=report.broker,
                analysts=tuple(authors),
                published=report.published,
                label=item.rating,
                name=item.name,
                eps=dict(item.eps),
                pe=dict(item.pe),
                industry=report.industry,
                industry_index=report.industry_index,
                scale=f"{REPORT_PREFIX}{report.id}",
                source_ref=f"universe/{path.name}" if path is not None else report.id,
            )
        )
    return out
