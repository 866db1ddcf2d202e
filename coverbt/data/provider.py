"""The one interface through which everything downstream reads market data.

Implementations: :class:`~coverbt.data.memory.InMemoryProvider` (tests, vendor files read
in place), the cache in ``data_cache/`` and the live akshare provider. A cache *wraps* a
provider; callers never know which one they hold.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

import pandas as pd

from coverbt.data.schema import Adjust, Series, SeriesKind, SeriesMeta

CSI300 = "000300"
SW_COMPUTER = "801750"
BENCHMARKS: dict[str, str] = {"csi300": CSI300, "sw_computer": SW_COMPUTER}


@runtime_checkable
class MarketData(Protocol):
    """Read daily market data in coverbt's schema (:mod:`coverbt.data.schema`)."""

    def bars(
        self,
        code: str,
        *,
        kind: SeriesKind = SeriesKind.STOCK,
        adjust: Adjust = Adjust.QFQ,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Series:
        """Daily bars of one stock or index between ``start`` and ``end`` (inclusive).

        Indexes ignore ``adjust``. Raises :class:`~coverbt.errors.DataUnavailableError`
        when the series is not available.
        """
        ...

    def valuation(
        self, code: str, *, start: dt.date | None = None, end: dt.date | None = None
    ) -> pd.DataFrame:
        """Daily ``pe_ttm`` and ``pb`` of a stock (date index); empty when unknown."""
        ...

    def calendar(self, start: dt.date, end: dt.date) -> pd.DatetimeIndex:
        """Trading sessions of the Shanghai/Shenzhen exchanges in ``[start, end]``."""
        ...

    def code_names(self) -> pd.DataFrame:
        """Columns ``code`` (6 digits) and ``name`` of every A-share the provider knows."""
        ...

    def catalog(self) -> list[SeriesMeta]:
        """Metadata of every series the provider holds (empty for a live source)."""
        ...


@runtime_checkable
class CorporateActionSource(Protocol):
    """A provider that also knows a stock's dividends, bonus shares and transfers.

    Optional beside :class:`MarketData`: read through :func:`corporate_actions`, which
    answers ``None`` ("unknown") for providers without them.
    """

    def corporate_actions(self, code: str) -> pd.DataFrame | None:
        """Implemented events of ``code`` (:mod:`coverbt.data.corporate_actions` schema);
        ``None`` when the source holds nothing about ``code``."""
        ...


def corporate_actions(provider: object, code: str) -> pd.DataFrame | None:
    """``code``'s events from ``provider``; ``None`` when the provider has no such data.

    ``None`` ("unknown") differs from an empty frame ("known: no events"): only with
    known events may raw prices be used for a backtest.
    """
    if isinstance(provider, CorporateActionSource):
        return provider.corporate_actions(code)
    return None
