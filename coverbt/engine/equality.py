"""Whether two engine results are the same run: fills, refusals, holdings, provenance, value."""

from __future__ import annotations

from coverbt.backtest.result import EngineResult

# final values may differ by the order holdings are summed in (a few ulps), never more
VALUE_TOLERANCE = 1e-9


def differences(a: EngineResult, b: EngineResult, capital: float) -> list[str]:
    """What differs between ``a`` and ``b``, first difference of each kind (empty: equal).

    Fills and refusals must be identical (day, code, side, shares, price, every fee, the
    reason's words); corporate actions and the execution-price provenance too; the final
    value within :data:`VALUE_TOLERANCE` of ``capital``.

    Examples
    --------
    >>> differences(EngineResult([], [], 1.0), EngineResult([], [], 1.0), 1.0)
    []
    >>> differences(EngineResult([], [], 1.0), EngineResult([], [], 2.0), 1.0)
    ['final value: 1.0 vs 2.0']
    """
    out: list[str] = []
    for what, left, right in (
        ("fills", a.fills, b.fills),
        ("refusals", a.refusals, b.refusals),
        ("corporate actions", a.corporate_actions, b.corporate_actions),
    ):
        if left != right:
            out.append(_first(what, list(left), list(right)))
    if a.held_at_end != b.held_at_end:
        out.append(f"held at the end: {a.held_at_end} vs {b.held_at_end}")
    if a.execution_prices != b.execution_prices:
        out.append(f"execution prices: {a.execution_prices} vs {b.execution_prices}")
    if abs(a.final_value - b.final_value) > VALUE_TOLERANCE * max(capital, 1.0):
        out.append(f"final value: {a.final_value} vs {b.final_value}")
    return out


def _first(what: str, left: list[object], right: list[object]) -> str:
    for k, (x, y) in enumerate(zip(left, right, strict=False)):
        if x != y:
            return f"{what} #{k}: {x} vs {y}"
    return f"{what}: {len(left)} vs {len(right)}"
