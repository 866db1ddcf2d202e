"""The compiled engine: the backtrader adapter's decisions on arrays, compiled with numba.

:func:`run_fast` executes a plan with the same fills, refusals and fees as
:func:`coverbt.backtest.bt_engine.run_backtrader`; :func:`differences` says where two
engine results disagree (empty when they are the same run).
"""

from coverbt.engine.equality import differences
from coverbt.engine.fast import FastRun, Prepared, prepare, run_fast

__all__ = ["FastRun", "Prepared", "differences", "prepare", "run_fast"]
