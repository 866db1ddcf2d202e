"""Run a strategy on a universe: plan, execute on backtrader, account, compare to benchmarks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from coverbt.backtest.bt_engine import EngineResult, run_backtrader
from coverbt.backtest.ledger import holdings, portfolio_value, positions_frame
from coverbt.backtest.omissions import NotHeld, not_held
from coverbt.data.provider import BENCHMARKS, MarketData
from coverbt.data.schema import SeriesKind
from coverbt.market.rules import PROFILES, Side
from coverbt.strategy.checks import no_trade_error
from coverbt.strategy.panel import Panel, load_panel, value_at
from coverbt.strategy.plan import Plan, build_plan
from coverbt.strategy.ratings import RatingHistory
from coverbt.strategy.signal import previous_session
from coverbt.strategy.spec import StrategySpec
from coverbt.universe.model import Universe


@dataclass(frozen=True)
class RunOptions:
    start: dt.date | None = None
    end: dt.date | None = None
    no_costs: bool = False
    fractional: bool = False
    capital: float | None = None  # CNY; None: the strategy file's ``capital``
    # which engine executes the plan (ENGINES); "both" runs the two and refuses to differ
    engine: str = "backtrader"

    def to_json(self) -> dict[str, object]:
        """The options that decide the result (the run id's); the engine is not one of them:
        both engines give the same run, and the manifest says which ran it."""
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "no_costs": self.no_costs,
            "fractional": self.fractional,
            "capital": self.capital,
        }


@dataclass(frozen=True)
class BacktestResult:
    """Everything a run produced; :mod:`coverbt.backtest.folder` writes it to disk."""

    spec: StrategySpec
    options: RunOptions
    plan: Plan
    panel: Panel
    engine: EngineResult
    equity: pd.DataFrame  # portfolio, csi300, sw_computer: 1.0 on the session before entry
    trades: pd.DataFrame
    positions: pd.DataFrame
    per_name: pd.DataFrame
    benchmark_meta: dict[str, dict[str, object]]
    not_held: tuple[NotHeld, ...] = ()  # see :mod:`coverbt.backtest.omissions`

    @property
    def returns(self) -> pd.DataFrame:
        return self.equity.pct_change().iloc[1:]

    def total_return(self, column: str = "portfolio") -> float:
        return float(self.equity[column].iloc[-1] - 1.0)

    def summary(self, run_id: str, report_dir: str) -> dict[str, object]:
        """The ``coverbt backtest --json`` contract."""
        total = self.total_return()
        bench = {key: self.total_return(key) for key in BENCHMARKS}
        return {
            "run_id": run_id,
            "strategy": self.spec.name,
            "start": self.plan.start.date().isoformat(),
            "end": self.plan.end.date().isoformat(),
            "total_return": total,
            "benchmarks": bench,
            "excess": {key: total - value for key, value in bench.items()},
            "trades": len(self.trades),
            "capital": self.plan.capital,
            "names": len(self.targeted()),
            "held": self.held_count(),
            "not_held": [item.to_json() for item in self.not_held],
            "report_dir": report_dir,
        }

    def targeted(self) -> set[str]:
        """The names given a positive weight at some decision (a screen picks fewer)."""
        return {c for d in self.plan.decisions for c, w in d.weights.items() if w > 0}

    def held_count(self) -> int:
        """How many of :meth:`targeted` were ever bought."""
        bought = {f.code for f in self.engine.fills if f.side is Side.BUY}
        return len(bought & self.targeted())


def run_backtest(
    spec: StrategySpec,
    universe: Universe,
    market: MarketData,
    options: RunOptions | None = None,
    ratings: RatingHistory | None = None,
) -> BacktestResult:
    """Compile ``spec`` on ``universe``, execute it on backtrader and account for it.

    ``ratings``: the later reports ``exit.on_rating_change`` reads (e.g. the ledger's).
    """
    options = options or RunOptions()
    # --capital overrides the strategy file's; the result keeps the file's spec as read
    run_spec = (
        spec if options.capital is None else spec.model_copy(update={"capital": options.capital})
    )
    profile = PROFILES["no_costs"] if options.no_costs else None
    plan, panel = build_plan(
        run_spec,
        universe,
        market,
        start=options.start,
        end=options.end,
        profile=profile,
        ratings=ratings,
    )
    engine = execute(plan, panel, options)
    if not engine.fills:
        first = next(d for d in plan.decisions if d.weights)
        boards = {code: item.board for code, item in plan.instruments.items()}
        raise no_trade_error(
            run_spec,
            first.weights,
            boards,
            panel.execution("close"),
            first.date,
            fractional=options.fractional,
        )
    sessions = panel.sessions[(panel.sessions >= plan.start) & (panel.sessions <= plan.end)]
    shares, cash = holdings(
        engine.fills, sessions, list(plan.instruments), plan.capital, engine.corporate_actions
    )
    value = portfolio_value(shares, cash, panel.execution("close"))  # raw closes where traded
    _check_value(value, engine.final_value)
    bench, bench_meta = benchmark_values(market, plan.start, plan.end, sessions)
    before = previous_session(market, plan.start)
    equity = pd.concat([value / plan.capital, bench], axis=1)
    equity.columns = ["portfolio", *BENCHMARKS]
    equity = pd.concat([pd.DataFrame(1.0, index=[before], columns=equity.columns), equity])
    equity.index.name = "date"
    trades = trades_frame(engine, plan)
    return BacktestResult(
        spec=spec,
        options=options,
        plan=plan,
        panel=panel,
        engine=engine,
        equity=equity,
        trades=trades,
        positions=positions_frame(shares, panel.execution("close"), value),
        per_name=per_name_frame(plan, trades, panel, engine),
        benchmark_meta=bench_meta,
        not_held=tuple(
            not_held(
                plan,
                engine.refusals,
                engine.fills,
                panel.execution("open"),
                fractional=options.fractional,
            )
        ),
    )


ENGINES = ("backtrader", "fast", "both")


class EngineMismatchError(RuntimeError):
    """The two engines disagreed on one plan (a bug: please report the plan)."""


def execute(plan: Plan, panel: Panel, options: RunOptions) -> EngineResult:
    """Run ``plan`` on the engine ``options.engine`` names.

    ``backtrader`` is the reference; ``fast`` the compiled engine (:mod:`coverbt.engine`),
    proven equal to it; ``both`` runs the two, raises :class:`EngineMismatchError` on any
    difference, and returns the reference's result.
    """
    if options.engine not in ENGINES:
        raise ValueError(f"unknown engine {options.engine!r}: one of {', '.join(ENGINES)}")
    fast = None
    if options.engine in ("fast", "both"):
        from coverbt.engine.fast import run_fast

        fast = run_fast(plan, panel, fractional=options.fractional).result
        if options.engine == "fast":
            return fast
    slow = run_backtrader(plan, panel, fractional=options.fractional)
    if fast is not None:
        from coverbt.engine.equality import differences

        found = differences(slow, fast, plan.capital)
        if found:
            raise EngineMismatchError(
                f"the fast engine differs from backtrader on {plan.strategy}: " + "; ".join(found)
            )
    return slow


def _check_value(value: pd.Series, broker_value: float) -> None:
    if abs(value.iloc[-1] - broker_value) > 1e-6 * max(broker_value, 1.0):
        raise RuntimeError(
            f"ledger value {value.iloc[-1]} disagrees with backtrader's {broker_value}"
        )


def benchmark_values(
    market: MarketData, start: pd.Timestamp, end: pd.Timestamp, sessions: pd.DatetimeIndex
) -> tuple[pd.DataFrame, dict[str, dict[str, object]]]:
    """Each benchmark's close divided by its open on ``start`` (bought at the entry open)."""
    wanted = {code: SeriesKind.INDEX for code in BENCHMARKS.values()}
    panel, missing = load_panel(market, wanted, start.date(), end.date())
    out = {}
    meta: dict[str, dict[str, object]] = {}
    for key, code in BENCHMARKS.items():
        if code in missing:
            out[key] = pd.Series(float("nan"), index=sessions)
            meta[key] = {"code": code, "missing": missing[code]}
            continue
        base = value_at(panel["open"], start, code)
        out[key] = panel["close"][code].reindex(sessions).ffill() / base
        meta[key] = {**panel.meta[code].to_json(), "sha256": panel.digest[code]}
    return pd.DataFrame(out, index=sessions), meta


TRADE_COLUMNS = [
    "date", "code", "name", "side", "shares", "price", "value",
    "commission", "stamp_duty", "transfer_fee",
]  # fmt: skip


def trades_frame(engine: EngineResult, plan: Plan) -> pd.DataFrame:
    rows = [
        {
            "date": f.day.isoformat(),
            "code": f.code,
            "name": plan.instruments[f.code].name,
            "side": str(f.side),
            "shares": f.shares,
            "price": f.price,
            "value": f.value,
            "commission": f.commission,
            "stamp_duty": f.stamp_duty,
            "transfer_fee": f.transfer_fee,
        }
        for f in engine.fills
    ]
    return pd.DataFrame(rows, columns=TRADE_COLUMNS)


def per_name_frame(
    plan: Plan, trades: pd.DataFrame, panel: Panel, engine: EngineResult | None = None
) -> pd.DataFrame:
    """Per name: first target weight, return on money spent, contribution to the total."""
    first = plan.decisions[0].weights if plan.decisions else {}
    rows = []
    for code, item in plan.instruments.items():
        mine = trades.loc[trades["code"] == code]
        fees = mine[["commission", "stamp_duty", "transfer_fee"]].sum().sum()
        bought = mine.loc[mine["side"] == str(Side.BUY), "value"].sum()
        sold = mine.loc[mine["side"] == str(Side.SELL), "value"].sum()
        held = (
            mine.loc[mine["side"] == str(Side.BUY), "shares"].sum()
            - mine.loc[mine["side"] == str(Side.SELL), "shares"].sum()
        )
        last = panel.execution("close")[code].loc[: plan.end].ffill().iloc[-1]
        credited = engine.corporate_actions if engine is not None else []
        mine_events = [e for _, e in credited if e.code == code]
        held += sum(e.shares_added for e in mine_events)  # raw prices: new shares, cash
        pnl = sold + held * last - bought - fees + sum(e.cash_net for e in mine_events)
        rows.append(
            {
                "code": code,
                "name": item.name,
                "rating": item.rating,
                "theme": item.theme,
                "weight": first.get(code, 0.0),
                "return": pnl / bought if bought else float("nan"),
                "contribution": pnl / plan.capital,
            }
        )
    return pd.DataFrame(
        rows, columns=["code", "name", "rating", "theme", "weight", "return", "contribution"]
    )
