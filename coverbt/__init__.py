"""coverbt: turn a broker report's coverage list into something you can test."""

from coverbt.errors import CoverbtError, DataUnavailableError, InputError
from coverbt.universe.load import load_universe
from coverbt.universe.model import CoveredName, RatingBand, Universe

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
