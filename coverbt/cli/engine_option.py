"""The ``--engine`` choice shared by ``backtest``, ``run`` and ``sweep``."""

from __future__ import annotations

from enum import StrEnum


class EngineChoice(StrEnum):
    BACKTRADER = "backtrader"
    FAST = "fast"
    BOTH = "both"
