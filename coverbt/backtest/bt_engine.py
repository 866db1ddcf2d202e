"""The one adapter from target weights to backtrader orders.

Cerebro runs with ``cheat_on_open`` (orders sent in ``next_open`` fill at that session's
open) and cheat-on-close (orders sent in ``next`` fill at that session's close). Every order
is sized first by :func:`coverbt.market.execution.fill` against a mirror of the account, so
lots, price limits, suspensions, T+1 and cash go through the same pure rules the property
tests check; backtrader then executes it and its fills are recorded. Fees come from a
CommInfo that applies the date-versioned schedule of the day the order fills.

Orders fill at the panel's execution prices: raw (unadjusted) for a code whose provider has
raw bars and corporate actions, with each dividend credited as cash and each bonus or
transfer added as shares on its ex-date (:func:`coverbt.market.corporate.apply_events`) and
the exchange's ex-right reference price as the limit rules' previous close; qfq otherwise.
For a qfq order at the day's high or low the adapter fits the session's qfq/raw scale
(:func:`coverbt.market.rules.grid_scale`) so the limit test can run on raw prices;
:func:`execution_prices` says in the manifest how fills and limit prices were derived.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import backtrader as bt
import pandas as pd

from coverbt.backtest.result import (
    EngineResult,
    Refusal,
    actions_applied,
    execution_prices,
    is_adjusted,
    session_scale,
)
from coverbt.data.trading_calendar import next_session
from coverbt.market.corporate import ActionEffect, apply_events
from coverbt.market.execution import Account, Fill, fill
from coverbt.market.rules import PROFILES, Bar, MarketProfile, Side, costs
from coverbt.strategy.panel import Panel, limit_reference_closes, value_at
from coverbt.strategy.plan import Plan

FRICTIONLESS = PROFILES["frictionless"]
_CLOCK = "__clock__"
_TOLERANCE = 1e-6  # relative: backtrader's fill vs the mirror's prediction


__all__ = ["EngineResult", "Refusal", "actions_applied", "run_backtrader"]


class _DatedBroker(bt.brokers.BackBroker):
    """Records the session each fill belongs to, so fees use that day's schedule."""

    exec_day: dt.date | None = None

    def _execute(self, order, ago=None, price=None, cash=None, position=None, dtcoc=None):
        stamp = dtcoc if dtcoc is not None else order.data.datetime[0]
        self.exec_day = bt.num2date(stamp).date()
        return super()._execute(order, ago, price, cash, position, dtcoc)


class _AShareCommission(bt.CommInfoBase):
    """Commission + stamp duty + transfer fee of :func:`coverbt.market.rules.costs`."""

    params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_FIXED))

    def __init__(self, profile: MarketProfile, broker: _DatedBroker) -> None:
        super().__init__()
        self._profile = profile
        self._broker = broker

    def _getcommission(self, size, price, pseudoexec):
        day = self._broker.exec_day
        if day is None:
            return 0.0
        side = Side.BUY if size > 0 else Side.SELL
        return costs(side, abs(size) * price, day, self._profile).total


class _Runner:
    """Decides each session's orders from the plan; knows nothing of backtrader's internals."""

    def __init__(self, plan: Plan, panel: Panel, fractional: bool) -> None:
        self.plan = plan
        self.panel = panel
        self.fractional = fractional
        self.account = Account(cash=plan.capital)
        self.decisions = {d.date: d for d in plan.decisions}
        self.prev_close = limit_reference_closes(panel)
        self.last_close = panel.execution("close").ffill()
        self.effects: list[tuple[dt.date, ActionEffect]] = []
        self.events_through: dt.date | None = None
        self.pending_buy: dict[str, float] = {}
        self.stop_flagged: set[str] = set()
        self.cost_basis: dict[str, float] = {}
        self.expected: list[Fill] = []
        self.fills: list[Fill] = []
        self.refusals: list[Refusal] = []
        self.scales: dict[tuple[str, pd.Timestamp], float | None] = {}

    # -- helpers -------------------------------------------------------------------------
    def _bar(self, code: str, day: pd.Timestamp) -> Bar | None:
        if not self.panel.has_bar(code, day):
            return None
        prices = self.panel.execution
        row = {f: value_at(prices(f), day, code) for f in ("open", "high", "low", "close")}
        st = bool(self.panel.is_st.at[day, code]) if code in self.panel.is_st else False
        volume = value_at(prices("volume"), day, code)
        return Bar(**row, volume=volume, is_st=st, adjusted=is_adjusted(self.panel, code))

    def _scale(self, code: str, day: pd.Timestamp) -> float | None:
        """The session's qfq/raw scale, when the adjusted prices determine it."""
        if (code, day) not in self.scales:
            self.scales[code, day] = session_scale(self.panel, code, day)
        return self.scales[code, day]

    def _profile(self, code: str) -> MarketProfile:
        return self.plan.profile if self.plan.instruments[code].board is not None else FRICTIONLESS

    def _order(
        self, code: str, side: Side, shares: float, day: pd.Timestamp, at_open: bool
    ) -> str | None:
        """Size and submit one order; the reason it was refused, or None when submitted."""
        bar = self._bar(code, day)
        price = (bar.open if at_open else bar.close) if bar else float("nan")
        prev = value_at(self.prev_close, day, code)
        instrument = self.plan.instruments[code]
        if bar and bar.adjusted and instrument.board is not None and not bar.low < price < bar.high:
            bar = replace(bar, scale=self._scale(code, day))  # at the day's extreme: a limit?
        self.account, made, refused = fill(
            self.account,
            code,
            side,
            shares,
            day=day.date(),
            bar=bar,
            price=price,
            prev_close=None if pd.isna(prev) else prev,
            board=instrument.board,
            profile=self._profile(code),
            fractional=self.fractional or instrument.board is None,
        )
        if made is None:
            reason = refused or "refused"
            # a rebalancing nudge smaller than one lot is no trade, not a refusal
            if not (self.account.held(code) > 0 and "below one lot" in reason):
                self.refusals.append(Refusal(day.date(), code, side, reason))
            return reason
        self.expected.append(made)
        if side is Side.BUY:
            held = self.account.held(code)
            old = self.cost_basis.get(code, 0.0) * (held - made.shares)
            self.cost_basis[code] = (old + made.value) / held
        self.submit(code, side, made.shares, at_open)
        return None

    def submit(self, code: str, side: Side, shares: float, at_open: bool) -> None:
        raise NotImplementedError  # bound by the backtrader strategy

    def credit(self, code: str, shares_added: float, cash: float) -> None:
        raise NotImplementedError  # bound by the backtrader strategy

    def _corporate_events(self, day: pd.Timestamp) -> None:
        """Credit the events with an ex-date since the last session, up to ``day``."""
        today = day.date()
        first = self.events_through or today - dt.timedelta(days=1)
        self.events_through = today
        if not self.panel.actions:
            return
        for offset in range(1, (today - first).days + 1):
            ex_date = first + dt.timedelta(days=offset)
            self.account, effects = apply_events(
                self.account, self.panel.actions, ex_date, whole_shares=not self.fractional
            )
            for effect in effects:
                if effect.code in self.cost_basis:  # the stop-loss compares raw closes to it
                    held = effect.shares_before + effect.shares_added
                    spent = self.cost_basis[effect.code] * effect.shares_before
                    self.cost_basis[effect.code] = (spent - effect.cash_gross) / held
                self.credit(effect.code, effect.shares_added, effect.cash_net)
                self.effects.append((today, effect))

    # -- session events ------------------------------------------------------------------
    def on_open(self, day: pd.Timestamp) -> None:
        if day > self.plan.end:
            return
        self._corporate_events(day)
        for code in sorted(self.stop_flagged):
            held = self.account.held(code)
            if held <= 0 or self._order(code, Side.SELL, held, day, at_open=True) is None:
                self.stop_flagged.discard(code)
        for code, change in sorted(self.plan.rating_exits.items()):
            held = self.account.held(code)
            if change.day <= day and held > 0:  # a refused sale is tried again next open
                self._order(code, Side.SELL, held, day, at_open=True)
        decision = self.decisions.get(day)
        if decision is not None:
            self.pending_buy = {}
            self._rebalance(day, decision.weights)
        elif self.pending_buy:
            self._buy(day, dict(self.pending_buy), self._value_at_open(day))

    def _value_at_open(self, day: pd.Timestamp) -> float:
        value = self.account.cash
        for code, shares in self.account.shares.items():
            bar = self._bar(code, day)
            value += shares * (bar.open if bar else value_at(self.last_close, day, code))
        return value

    def _rebalance(self, day: pd.Timestamp, weights: dict[str, float]) -> None:
        value = self._value_at_open(day)
        for code in sorted(self.account.shares):
            bar = self._bar(code, day)
            target = weights.get(code, 0.0) * value / bar.open if bar else None
            held = self.account.held(code)
            if target is None:
                self.refusals.append(Refusal(day.date(), code, Side.SELL, "suspended"))
            elif held - target > 1e-9 * max(held, 1.0):
                self._order(code, Side.SELL, held - target, day, at_open=True)
        self._buy(day, weights, value)

    def _buy(self, day: pd.Timestamp, weights: dict[str, float], value: float) -> None:
        for code, weight in weights.items():
            if self.plan.exits[code] <= day or weight <= 0:
                self.pending_buy.pop(code, None)
                continue
            bar = self._bar(code, day)
            target = weight * value / bar.open if bar else weight * value
            wanted = target - self.account.held(code)
            if wanted <= 1e-9 * max(target, 1.0):
                self.pending_buy.pop(code, None)
                continue
            refused = self._order(code, Side.BUY, wanted, day, at_open=True)
            if refused is None or "below one lot" in refused:
                self.pending_buy.pop(code, None)
            else:
                self.pending_buy[code] = weight

    def on_close(self, day: pd.Timestamp) -> None:
        if day > self.plan.end:
            return
        for code in sorted(self.account.shares):
            held = self.account.held(code)
            if self.plan.exits[code] <= day:
                if code not in self.plan.rating_exits:  # those leave at the open
                    self._order(code, Side.SELL, held, day, at_open=False)
                continue
            stop = self.plan.stop_loss
            close = value_at(self.panel.execution("close"), day, code)
            if stop is not None and pd.notna(close) and close / self.cost_basis[code] - 1 <= stop:
                self.stop_flagged.add(code)

    def on_fill(self, code: str, size: float, price: float, comm: float, day: dt.date) -> None:
        side = Side.BUY if size > 0 else Side.SELL
        match = next(
            (e for e in self.expected if e.code == code and e.side is side and e.day == day),
            None,
        )
        if match is None or abs(match.shares - abs(size)) > _TOLERANCE * match.shares:
            raise RuntimeError(f"backtrader filled {code} {size} on {day}: not the sized order")
        if abs(match.price - price) > _TOLERANCE * match.price or abs(match.fees - comm) > 0.011:
            raise RuntimeError(f"backtrader filled {code} at {price}/{comm}, expected {match}")
        self.expected.remove(match)
        self.fills.append(match)


def _feed(frame: pd.DataFrame, name: str) -> bt.feeds.PandasData:
    return bt.feeds.PandasData(dataname=frame, openinterest=None, name=name)


def _frames(plan: Plan, panel: Panel) -> tuple[dict[str, pd.DataFrame], pd.DatetimeIndex]:
    sessions = panel.sessions[(panel.sessions >= plan.start) & (panel.sessions <= plan.end)]
    pad = next_session(plan.end)
    frames: dict[str, pd.DataFrame] = {}
    for code in plan.instruments:
        prices = panel.execution
        frame = pd.DataFrame({f: prices(f)[code] for f in ("open", "high", "low", "close")})
        frame["volume"] = prices("volume")[code].fillna(0.0)
        frame = frame.loc[sessions].dropna(subset=["close"])
        if frame.empty:
            continue
        # a padding bar after the end lets the last session's close orders execute
        frames[code] = pd.concat([frame, frame.iloc[[-1]].set_axis([pad])])
    every = sessions.append(pd.DatetimeIndex([pad]))
    flat = {"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 0.0}
    frames[_CLOCK] = pd.DataFrame(flat, index=every)
    return frames, sessions


def run_backtrader(plan: Plan, panel: Panel, *, fractional: bool = False) -> EngineResult:
    """Execute ``plan`` on backtrader and return the fills it made."""
    runner = _Runner(plan, panel, fractional)
    frames, _sessions = _frames(plan, panel)
    cerebro = bt.Cerebro(cheat_on_open=True, stdstats=False, runonce=False)
    broker = _DatedBroker()
    broker.set_cash(plan.capital)
    broker.set_coc(True)
    broker.set_checksubmit(False)
    cerebro.broker = broker
    feeds = {code: _feed(frame, code) for code, frame in frames.items()}
    cerebro.adddata(feeds.pop(_CLOCK), name=_CLOCK)
    for code, feed in feeds.items():
        cerebro.adddata(feed, name=code)
        broker.addcommissioninfo(_AShareCommission(runner._profile(code), broker), name=code)
    cerebro.addstrategy(_PlanStrategy, runner=runner, feeds=feeds)
    cerebro.run()
    if runner.expected:
        raise RuntimeError(f"orders never filled by backtrader: {runner.expected}")
    held = {c: s for c, s in runner.account.shares.items() if s > 0}
    return EngineResult(
        runner.fills,
        runner.refusals,
        broker.getvalue(),
        held,
        execution_prices(plan, panel, runner.scales),
        runner.effects,
    )


class _PlanStrategy(bt.Strategy):
    params = (("runner", None), ("feeds", None))

    def __init__(self) -> None:
        runner: _Runner = self.p.runner
        feeds = self.p.feeds

        def submit(code: str, side: Side, shares: float, at_open: bool) -> None:
            method = self.buy if side is Side.BUY else self.sell
            method(data=feeds[code], size=shares, exectype=bt.Order.Market, coc=not at_open)

        def credit(code: str, shares_added: float, cash: float) -> None:
            """A corporate action: new shares at no cost (the average price falls), cash."""
            if shares_added:
                position = self.broker.getposition(feeds[code])
                size = position.size + shares_added
                position.set(size, position.price * position.size / size)
            self.broker.cash += cash  # add_cash() would wait for the next session

        runner.submit = submit  # type: ignore[method-assign]
        runner.credit = credit  # type: ignore[method-assign]

    def _today(self) -> pd.Timestamp:
        return pd.Timestamp(self.datas[0].datetime.date(0))

    def next_open(self) -> None:
        self.p.runner.on_open(self._today())

    def next(self) -> None:
        self.p.runner.on_close(self._today())

    prenext_open = nextstart_open = next_open
    prenext = nextstart = next

    def notify_order(self, order: bt.Order) -> None:
        if order.status in (order.Completed,):
            day = bt.num2date(order.executed.dt).date()
            self.p.runner.on_fill(
                order.data._name,
                order.executed.size,
                order.executed.price,
                order.executed.comm,
                day,
            )
        elif order.status in (order.Margin, order.Rejected, order.Canceled):
            raise RuntimeError(f"backtrader refused an order the rules admitted: {order}")
