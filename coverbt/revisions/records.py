"""One forecast (or actual) snapshot: the row type of the revision ledger.

A record states what a source said about one code's fiscal year, and ``as_of``: the date the
number became *known* (a report's publication date, an announcement date, the day a consensus
snapshot was taken). Nothing may use a record before its ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from enum import StrEnum

ACTUAL_SOURCE = "actual"
THS_CONSENSUS = "ths_consensus"
EM_CONSENSUS = "em_consensus"
EM_REPORT_PREFIX = "em_report:"


class Kind(StrEnum):
    FORECAST = "forecast"
    ACTUAL = "actual"


@dataclass(frozen=True)
class ForecastRecord:
    """One row of the ledger before it is stored (``ingested_at`` is set by the ledger).

    Parameters
    ----------
    source : who said it: ``平安证券:闫磊,黄韦涵``, ``ths_consensus``, ``em_consensus``,
        ``em_report:<broker>`` or ``actual``.
    as_of : the date the value became known.
    code : 6-digit A-share code.
    fiscal_year : the fiscal (calendar) year the EPS belongs to.
    eps : earnings per share, CNY.
    kind : ``forecast`` or ``actual``.
    net_profit : net profit attributable to shareholders, CNY, when the source gives it.
    rating, target_price : when the source gives them.
    mark : the source's own year marking (``A`` for an actual year printed in a report,
        ``E`` for an estimate), when it gives one.

    Examples
    --------
    >>> r = ForecastRecord("s", dt.date(2024, 6, 23), "300496", 2024, 1.48)
    >>> r.key
    ('s', datetime.date(2024, 6, 23), '300496', 2024, 'forecast')
    >>> r.content_hash == ForecastRecord("s", r.as_of, "300496", 2024, 1.48).content_hash
    True
    """

    source: str
    as_of: dt.date
    code: str
    fiscal_year: int
    eps: float
    kind: Kind = Kind.FORECAST
    net_profit: float | None = None
    rating: str | None = None
    target_price: float | None = None
    mark: str | None = None

    def __post_init__(self) -> None:
        if not self.source:
            raise ValueError("a record needs a source")
        if not (isinstance(self.eps, int | float) and math.isfinite(self.eps)):
            raise ValueError(f"eps {self.eps!r} of {self.code} {self.fiscal_year} is not finite")
        object.__setattr__(self, "kind", Kind(self.kind))
        object.__setattr__(self, "eps", float(self.eps))

    @property
    def key(self) -> tuple[str, dt.date, str, int, str]:
        """The idempotency key: (source, as_of, code, fiscal_year, kind)."""
        return (self.source, self.as_of, self.code, self.fiscal_year, str(self.kind))

    @property
    def content_hash(self) -> str:
        """SHA-256 of the key and the values; equal hashes mean the same statement."""
        payload = [
            self.source,
            self.as_of.isoformat(),
            self.code,
            self.fiscal_year,
            str(self.kind),
            repr(self.eps),
            _num(self.net_profit),
            self.rating,
            _num(self.target_price),
            self.mark,
        ]
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _num(value: float | None) -> str | None:
    return None if value is None else repr(float(value))
