"""Score a universe's ratings against the market (pure: reads only through ``MarketData``).

The convention (anchor, entry price, exit, benchmark, excess) is data:
:class:`~coverbt.scorecard.convention.Convention`, stated in the universe file and
overridable per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd

from coverbt.data.provider import SW_COMPUTER, MarketData
from coverbt.data.schema import Adjust, SeriesKind
from coverbt.errors import DataUnavailableError, InputError
from coverbt.horizon import entry_session, parse_horizon, planned_exit, session_before
from coverbt.scorecard.convention import CLOSE_ONLY_TWINS, CSI300_TR, Convention, override
from coverbt.scorecard.model import IndustryScore, NameScore, RatingSummary, Scorecard
from coverbt.scorecard.span import (
    NoSpan,
    Span,
    benchmark_span,
    check_coverage,
    excess_path,
    prior_close_span,
    security_span,
)
from coverbt.scorecard.verdicts import judge
from coverbt.scorecard.wilson import wilson_interval
from coverbt.universe.model import WATCH, CoveredName, RatingBand, Universe


def benchmark_code(benchmark: str) -> str:
    """``"csi300"`` -> ``"000300"``; raises :class:`InputError` for an unknown name."""
    return override(Convention(), benchmark=benchmark).benchmark_code


# Bars are read with a margin around the window: a bar before the entry and one after the
# horizon end prove the data covers the window, so a missing bar inside it is a suspension
# (handled by :mod:`coverbt.scorecard.span`), not a truncated import. No value outside the
# window enters a number.
COVERAGE_MARGIN = pd.DateOffset(days=30)


@dataclass(frozen=True)
class Window:
    """The planned dates of one horizon under one convention."""

    reference: pd.Timestamp  # last session before publication (a prior-close entry)
    entry: pd.Timestamp  # first session after publication
    exit: pd.Timestamp  # last session on or before the horizon end

    @property
    def start(self) -> pd.Timestamp:
        """First day whose bar enters a number."""
        return self.reference

    @classmethod
    def plan(cls, universe: Universe, horizon: str, convention: Convention) -> Window:
        published = universe.report.published
        return cls(
            reference=session_before(published),
            entry=entry_session(published),
            exit=planned_exit(published, horizon, anchor=convention.anchor),
        )

    def data_window(self, convention: Convention) -> tuple[pd.Timestamp, pd.Timestamp]:
        first = self.reference if convention.entry == "prior_close" else self.entry
        return first, self.exit


class Frames:
    """Bars read once per series over a wide window, served sliced to a narrower one.

    A slice equals what :meth:`MarketData.bars` returns for that narrower window, so
    scoring many conventions reads each series once with the same numbers.
    """

    def __init__(self, market: MarketData, start: pd.Timestamp, end: pd.Timestamp) -> None:
        self._market = market
        self._span = (start - COVERAGE_MARGIN, end + COVERAGE_MARGIN)
        self._read: dict[tuple[str, SeriesKind], pd.DataFrame | DataUnavailableError] = {}

    def _whole(self, code: str, kind: SeriesKind) -> pd.DataFrame:
        key = (code, kind)
        if key not in self._read:
            adjust = Adjust.NONE if kind is SeriesKind.INDEX else Adjust.QFQ
            try:
                self._read[key] = self._market.bars(
                    code, kind=kind, adjust=adjust,
                    start=self._span[0].date(), end=self._span[1].date(),
                ).frame  # fmt: skip
            except DataUnavailableError as exc:
                self._read[key] = exc
        got = self._read[key]
        if isinstance(got, DataUnavailableError):
            raise got
        return got

    def get(
        self, code: str, kind: SeriesKind, window: tuple[pd.Timestamp, pd.Timestamp]
    ) -> pd.DataFrame:
        """Bars of ``code`` within ``window`` plus :data:`COVERAGE_MARGIN` on each side."""
        frame = self._whole(code, kind)
        start, end = window[0] - COVERAGE_MARGIN, window[1] + COVERAGE_MARGIN
        if start < self._span[0] or end > self._span[1]:
            raise ValueError(f"window {start.date()}..{end.date()} is outside the frames read")
        days = frame.index  # date-sorted (the store's schema): two binary searches
        lo = days.searchsorted(start.normalize(), side="left")
        return frame.iloc[lo : days.searchsorted(end.normalize(), side="right")]

    def index(self, code: str, window: tuple[pd.Timestamp, pd.Timestamp]) -> pd.DataFrame:
        """An index's bars; a close-only index gets an open from its price twin
        (:data:`~coverbt.scorecard.convention.CLOSE_ONLY_TWINS`)."""
        frame = self.get(code, SeriesKind.INDEX, window)
        twin = CLOSE_ONLY_TWINS.get(code)
        if twin is None or ("open" in frame.columns and frame["open"].notna().all()):
            return frame
        price = self.get(twin, SeriesKind.INDEX, window)
        ratio = (price["open"] / price["close"]).reindex(frame.index)
        out = frame.copy()
        out["open"] = out["close"] * ratio
        return out


def _label(item: CoveredName) -> str | None:
    return item.rating_text or (WATCH if item.watch else item.prose)


def _spans(
    frame: pd.DataFrame,
    bench: pd.DataFrame,
    window: Window,
    convention: Convention,
    labels: tuple[str, str],
) -> tuple[Span, Span]:
    """The holding's span and the benchmark's over the same dates, by the convention."""
    check_coverage(bench, *window.data_window(convention), labels[1])
    if convention.entry == "prior_close":
        holding = prior_close_span(frame, window.reference, window.entry, window.exit, labels[0])
        return holding, benchmark_span(bench, holding, labels[1], entry_field="close")
    holding = security_span(frame, window.entry, window.exit, labels[0])
    return holding, benchmark_span(bench, holding, labels[1])


def score_name(
    item: CoveredName,
    band: RatingBand | None,
    frames: Frames,
    bench: pd.DataFrame,
    window: Window,
    convention: Convention,
) -> NameScore:
    """Return, benchmark return, excess and (with a ``band``) the verdicts of one name."""
    base = NameScore(code=item.code, name=item.name, rating=_label(item), scored=band is not None)
    if not item.a_share:
        return replace(base, reason=f"not an A-share ({item.exchange} listing): no A-share bars")
    span = window.data_window(convention)
    try:
        frame = frames.get(item.code, SeriesKind.STOCK, span)
        holding, reference = _spans(
            frame, bench, window, convention, (item.code, f"benchmark {convention.benchmark_code}")
        )
    except (NoSpan, DataUnavailableError) as exc:
        return replace(base, reason=str(exc))
    excess = convention.excess_of(holding.total_return, reference.total_return)
    path = excess_path(holding, reference, ratio=convention.excess == "ratio")
    numbers = replace(
        base,
        entry_date=holding.entry.date(),
        exit_date=holding.exit.date(),
        ret=holding.total_return,
        benchmark_return=reference.total_return,
        excess=excess,
        max_excess=float(path.max()) if len(path) else excess,
    )
    if band is None:
        return numbers
    verdicts = judge(band, excess, path)
    return replace(
        numbers,
        band_hit=verdicts.band_hit,
        threshold_hit=verdicts.threshold_hit,
        direction_hit=verdicts.direction_hit,
        touch_hit=verdicts.touch_hit,
    )


def summarise(names: list[NameScore], labels: list[str]) -> list[RatingSummary]:
    """Hit counts and a Wilson 95% interval of the band-hit rate per label (in scale order)."""
    out: list[RatingSummary] = []
    for label in labels:
        group = [s for s in names if s.scored and s.rating == label]
        if not group:
            continue
        done = [s for s in group if s.excess is not None]
        band_hits = sum(bool(s.band_hit) for s in done)
        low, high = wilson_interval(band_hits, len(done)) if done else (None, None)
        out.append(
            RatingSummary(
                rating=label,
                n=len(done),
                band_hits=band_hits,
                threshold_hits=sum(bool(s.threshold_hit) for s in done),
                direction_hits=sum(bool(s.direction_hit) for s in done),
                touch_hits=sum(bool(s.touch_hit) for s in done),
                missing=len(group) - len(done),
                ci_low=low,
                ci_high=high,
            )
        )
    return out


def score_industry(
    universe: Universe, frames: Frames, window: Window, convention: Convention
) -> IndustryScore:
    """The industry index (SW Computer) against the industry scale's benchmark (CSI 300).

    The convention's window, entry price and excess apply; its benchmark applies only as
    the CSI 300 total-return twin (``csi300_tr`` reads the scale's 000300 as H00300).
    """
    label = universe.report.industry_rating
    band = universe.rating_scale.band(label, industry=True)
    index_code = universe.report.industry_index or SW_COMPUTER
    bench_code = band.benchmark
    if convention.benchmark == "csi300_tr" and CLOSE_ONLY_TWINS[CSI300_TR] == bench_code:
        bench_code = CSI300_TR
    base = IndustryScore(rating=label, index_code=index_code, benchmark_code=bench_code)
    try:
        frame = frames.get(index_code, SeriesKind.INDEX, window.data_window(convention))
        bench = frames.index(bench_code, window.data_window(convention))
        index, reference = _spans(
            frame, bench, window, convention, (index_code, f"benchmark {bench_code}")
        )
    except (NoSpan, DataUnavailableError) as exc:
        return replace(base, reason=str(exc))
    excess = convention.excess_of(index.total_return, reference.total_return)
    return replace(
        base,
        index_return=index.total_return,
        benchmark_return=reference.total_return,
        excess=excess,
        hit=band.contains(excess),
    )


def resolve(universe: Universe, benchmark: str | None, convention: Convention | None) -> Convention:
    """The convention to score with: ``convention``, else the universe file's; a given
    ``benchmark`` name overrides either."""
    chosen = convention or Convention.stated(universe.rating_scale.convention)
    return override(chosen, benchmark=benchmark) if benchmark is not None else chosen


def check_horizon(horizon: str) -> None:
    try:
        parse_horizon(horizon)
    except ValueError as exc:
        raise InputError(str(exc), field="--horizons", expected="like 1M,3M,6M,12M") from None


def score_universe(
    universe: Universe,
    market: MarketData,
    horizon: str = "6M",
    benchmark: str | None = None,
    *,
    convention: Convention | None = None,
    frames: Frames | None = None,
) -> Scorecard:
    """Score every name of ``universe`` over ``horizon`` under a convention.

    The convention is ``convention``, else the one the universe file states (by default:
    horizon from the entry session, entry at the open of the first session after
    publication, exit at the close ending the horizon, CSI 300 price index, excess as a
    difference); ``benchmark`` ("csi300", "csi300_tr", "sw_computer") overrides its
    benchmark. Suspensions: :mod:`coverbt.scorecard.span`. Each label's band from the
    universe's scale is applied unchanged at every horizon and benchmark. Names without a
    rating get numbers but no verdicts; names without data are kept with a ``reason``.
    ``frames`` shares reads between calls (see :func:`frames_for`).

    Raises
    ------
    InputError
        for an unknown benchmark or a malformed horizon.
    DataUnavailableError
        when the benchmark itself is missing.
    """
    chosen = resolve(universe, benchmark, convention)
    check_horizon(horizon)
    window = Window.plan(universe, horizon, chosen)
    frames = frames or Frames(market, window.reference, window.exit)
    code = chosen.benchmark_code
    bench = frames.index(code, window.data_window(chosen))
    labels = universe.rating_scale.labels()
    names = [
        score_name(
            item,
            universe.rating_scale.band(item.rating) if item.rating in labels else None,
            frames,
            bench,
            window,
            chosen,
        )
        for item in universe.names
    ]
    return Scorecard(
        report_id=universe.report.id,
        horizon=horizon.strip().upper(),
        benchmark=chosen.benchmark,
        benchmark_code=code,
        planned_entry=window.entry.date(),
        planned_exit=window.exit.date(),
        names=names,
        by_rating=summarise(names, labels),
        industry=score_industry(universe, frames, window, chosen),
        bands={b.label: (b.lower, b.upper) for b in universe.rating_scale.stock},
        convention=chosen,
    )


def frames_for(universe: Universe, market: MarketData, horizons: Sequence[str]) -> Frames:
    """One :class:`Frames` wide enough for every convention at every horizon given."""
    published = universe.report.published
    ends = [planned_exit(published, h) for h in horizons]
    return Frames(market, session_before(published), max(ends))


def parse_horizons(text: str) -> list[str]:
    """``"1M, 3M,6M"`` -> ``["1M", "3M", "6M"]``; raises :class:`InputError` when malformed."""
    horizons = [part.strip().upper() for part in text.split(",") if part.strip()]
    for item in horizons:
        try:
            parse_horizon(item)
        except ValueError as exc:
            raise InputError(
                str(exc), field="--horizons", expected="a comma list like 1M,3M,6M,12M"
            ) from None
    if not horizons:
        raise InputError("no horizon given", field="--horizons", expected="like 6M or 1M,3M,6M")
    return horizons


def score_horizons(
    universe: Universe,
    market: MarketData,
    horizons: list[str],
    benchmark: str | None = None,
    *,
    convention: Convention | None = None,
) -> list[Scorecard]:
    """One :class:`Scorecard` per horizon, in the order given."""
    return [score_universe(universe, market, h, benchmark, convention=convention) for h in horizons]
