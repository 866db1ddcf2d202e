"""Score a universe's ratings against the market (pure: reads only through ``MarketData``)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from coverbt.data.provider import BENCHMARKS, SW_COMPUTER, MarketData
from coverbt.data.schema import Adjust, SeriesKind
from coverbt.errors import DataUnavailableError, InputError
from coverbt.horizon import entry_session, horizon_end, parse_horizon
from coverbt.scorecard.model import IndustryScore, NameScore, RatingSummary, Scorecard
from coverbt.scorecard.span import (
    NoSpan,
    benchmark_span,
    check_coverage,
    excess_path,
    security_span,
)
from coverbt.scorecard.verdicts import judge
from coverbt.scorecard.wilson import wilson_interval
from coverbt.universe.model import WATCH, CoveredName, RatingBand, Universe


def benchmark_code(benchmark: str) -> str:
    """``"csi300"`` -> ``"000300"``; raises :class:`InputError` for an unknown name."""
    if benchmark not in BENCHMARKS:
        raise InputError(
            f"unknown benchmark {benchmark!r}",
            field="--benchmark",
            expected=" or ".join(BENCHMARKS),
            fix="pass --benchmark csi300 or --benchmark sw_computer",
        )
    return BENCHMARKS[benchmark]


# Bars are read with a margin around the window: a bar before the entry and one after the
# horizon end prove the data covers the window, so a missing bar inside it is a suspension
# (handled by :mod:`coverbt.scorecard.span`), not a truncated import. No value outside the
# window enters a number.
COVERAGE_MARGIN = pd.DateOffset(days=30)


def _frame(
    market: MarketData, code: str, kind: SeriesKind, window: tuple[pd.Timestamp, pd.Timestamp]
) -> pd.DataFrame:
    adjust = Adjust.NONE if kind is SeriesKind.INDEX else Adjust.QFQ
    start, end = window[0] - COVERAGE_MARGIN, window[1] + COVERAGE_MARGIN
    return market.bars(code, kind=kind, adjust=adjust, start=start.date(), end=end.date()).frame


def _label(item: CoveredName) -> str | None:
    return item.rating_text or (WATCH if item.watch else item.prose)


def score_name(
    item: CoveredName,
    band: RatingBand | None,
    market: MarketData,
    bench: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    bench_label: str,
) -> NameScore:
    """Return, benchmark return, excess and (with a ``band``) the verdicts of one name."""
    base = NameScore(code=item.code, name=item.name, rating=_label(item), scored=band is not None)
    if not item.a_share:
        return replace(base, reason=f"not an A-share ({item.exchange} listing): no A-share bars")
    try:
        check_coverage(bench, *window, bench_label)
        holding = security_span(
            _frame(market, item.code, SeriesKind.STOCK, window), *window, item.code
        )
        reference = benchmark_span(bench, holding, bench_label)
    except (NoSpan, DataUnavailableError) as exc:
        return replace(base, reason=str(exc))
    excess = holding.total_return - reference.total_return
    path = excess_path(holding, reference)
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
    universe: Universe, market: MarketData, window: tuple[pd.Timestamp, pd.Timestamp]
) -> IndustryScore:
    """The industry index (SW Computer) against the industry scale's benchmark (CSI 300)."""
    label = universe.report.industry_rating
    band = universe.rating_scale.band(label, industry=True)
    index_code = universe.report.industry_index or SW_COMPUTER
    base = IndustryScore(rating=label, index_code=index_code, benchmark_code=band.benchmark)
    try:
        index = security_span(
            _frame(market, index_code, SeriesKind.INDEX, window), *window, index_code
        )
        bench = _frame(market, band.benchmark, SeriesKind.INDEX, window)
        reference = benchmark_span(bench, index, f"benchmark {band.benchmark}")
    except (NoSpan, DataUnavailableError) as exc:
        return replace(base, reason=str(exc))
    excess = index.total_return - reference.total_return
    return IndustryScore(
        rating=label,
        index_code=index_code,
        benchmark_code=band.benchmark,
        index_return=index.total_return,
        benchmark_return=reference.total_return,
        excess=excess,
        hit=band.contains(excess),
    )


def score_universe(
    universe: Universe, market: MarketData, horizon: str = "6M", benchmark: str = "csi300"
) -> Scorecard:
    """Score every name of ``universe`` over ``horizon`` against ``benchmark``.

    Entry at the open of the first session after publication, exit at the close ending
    the horizon (:mod:`coverbt.horizon`; suspensions: :mod:`coverbt.scorecard.span`).
    Each label's band from the universe's scale is applied unchanged at every horizon and
    against whichever benchmark is chosen (the report promises 6 months vs CSI 300).
    Names without a rating get numbers but no verdicts; names without data are kept with
    a ``reason``.

    Raises
    ------
    InputError
        for an unknown benchmark or a malformed horizon.
    DataUnavailableError
        when the benchmark itself is missing.
    """
    code = benchmark_code(benchmark)
    try:
        parse_horizon(horizon)
    except ValueError as exc:
        raise InputError(str(exc), field="--horizons", expected="like 1M,3M,6M,12M") from None
    entry = entry_session(universe.report.published)
    window = (entry, horizon_end(entry, horizon))
    bench = _frame(market, code, SeriesKind.INDEX, window)
    labels = universe.rating_scale.labels()
    names = [
        score_name(
            item,
            universe.rating_scale.band(item.rating) if item.rating in labels else None,
            market,
            bench,
            window,
            f"benchmark {code}",
        )
        for item in universe.names
    ]
    return Scorecard(
        report_id=universe.report.id,
        horizon=horizon.strip().upper(),
        benchmark=benchmark,
        benchmark_code=code,
        planned_entry=window[0].date(),
        planned_exit=window[1].date(),
        names=names,
        by_rating=summarise(names, labels),
        industry=score_industry(universe, market, window),
        bands={b.label: (b.lower, b.upper) for b in universe.rating_scale.stock},
    )


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
    universe: Universe, market: MarketData, horizons: list[str], benchmark: str = "csi300"
) -> list[Scorecard]:
    """One :class:`Scorecard` per horizon, in the order given."""
    return [score_universe(universe, market, h, benchmark) for h in horizons]
