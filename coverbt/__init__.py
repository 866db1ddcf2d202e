"""coverbt: turn a broker report's coverage list into something you can test.

The public names below are imported on first use (PEP 562), so ``import coverbt.cli`` and
``coverbt --help`` do not load pandas and the trading calendar.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from coverbt.errors import CoverbtError, DataUnavailableError, InputError

if TYPE_CHECKING:
    from coverbt.universe.load import load_universe
    from coverbt.universe.model import CoveredName, RatingBand, Universe

_LAZY = {
    "load_universe": "coverbt.universe.load",
    "CoveredName": "coverbt.universe.model",
    "RatingBand": "coverbt.universe.model",
    "Universe": "coverbt.universe.model",
}

__all__ = [
    "CoverbtError",
    "CoveredName",
    "DataUnavailableError",
    "InputError",
    "RatingBand",
    "Universe",
    "load_universe",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'coverbt' has no attribute {name!r}")
