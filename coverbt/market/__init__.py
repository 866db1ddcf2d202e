"""The A-share market: trading rules as date-versioned data and pure execution functions."""

from coverbt.market.execution import Account, Fill, Sized, fill, size_order
from coverbt.market.rules import (
    PROFILES,
    Bar,
    Costs,
    MarketProfile,
    Side,
    can_trade,
    costs,
    price_limit,
    round_to_lot,
)

__all__ = [
    "PROFILES",
    "Account",
    "Bar",
    "Costs",
    "Fill",
    "MarketProfile",
    "Side",
    "Sized",
    "can_trade",
    "costs",
    "fill",
    "price_limit",
    "round_to_lot",
    "size_order",
]
