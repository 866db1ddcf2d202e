"""JSON output that is always valid JSON: NaN and infinity become ``null``.

Python's :func:`json.dumps` writes ``NaN`` and ``Infinity`` by default, which no JSON parser
but Python's accepts. Every JSON coverbt prints or writes goes through :func:`dumps`.

Examples
--------
>>> dumps({"total_return": float("nan"), "values": [1.0, float("inf")]})
'{"total_return": null, "values": [1.0, null]}'
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite(payload: Any) -> Any:
    """``payload`` with every non-finite float (NaN, ±inf) replaced by ``None``."""
    if isinstance(payload, float):
        return payload if math.isfinite(payload) else None
    if isinstance(payload, dict):
        return {key: finite(value) for key, value in payload.items()}
    if isinstance(payload, list | tuple):
        return [finite(value) for value in payload]
    return payload


def dumps(payload: Any, **kwargs: Any) -> str:
    """:func:`json.dumps` of :func:`finite` ``(payload)``, refusing any NaN left over."""
    return json.dumps(finite(payload), allow_nan=False, **kwargs)
