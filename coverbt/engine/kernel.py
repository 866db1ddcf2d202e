"""The compiled session loop: target weights to fills on the A-share market (numba).

A line-for-line image of the backtrader adapter's decisions
(:class:`coverbt.backtest.bt_engine._Runner`) and of the pure order rules it calls
(:func:`coverbt.market.execution.size_order` and :func:`~coverbt.market.execution.fill`,
:func:`coverbt.market.rules.costs`, :func:`~coverbt.market.rules.max_affordable_value`,
:func:`~coverbt.market.rules.round_to_lot`), on arrays: the same float operations in the
same order, so fills are bit for bit the same. Rules that depend only on the session and
the name arrive precomputed (:mod:`coverbt.engine.arrays`); the rules' constants are read
from :mod:`coverbt.market.rules`, never restated.

Holdings are visited as the adapter visits its account's dict: sorted by code (columns are
sorted) for sells and stops, in insertion order (``seq``) where it sums or credits events.
Logs are preallocated; a full log returns ``overflow`` and the caller runs again with more.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coverbt.market.rules import BUY_SLACK

_BUY, _SELL = 0, 1
_NO_BAR, _T1, _NOT_HELD, _BELOW_LOT, _TARGET_BELOW, _CASH_BELOW, _FEES, _NOTHING = (
    6, 7, 8, 9, 10, 11, 12, 13,
)  # fmt: skip
_SUSPENDED = 1
_FEE_ROUNDING = 0.03  # max_affordable_value: fee rounding to the fen adds at most 0.01 a fee


@njit(cache=True)
def _fen(value: float) -> float:
    return math.floor(value * 100 + 0.5 + 1e-9) / 100


@njit(cache=True)
def _round_to_lot(shares, minimum, step, sell, held):
    if shares <= 0:
        return 0.0
    if sell:
        if shares >= held - 1e-9:
            return held
        shares = min(shares, held)
    sized = math.floor(shares / step + 1e-9) * step
    return float(sized) if sized >= minimum else 0.0


@njit(cache=True)
def _affordable(cash, rate, minimum, transfer, free):
    if cash <= 0:
        return 0.0
    proportional = cash / (1 + (rate + transfer))
    if proportional * rate >= minimum:  # noqa: SIM108 (the rules' own shape)
        value = proportional
    else:
        value = (cash - minimum) / (1 + transfer)
    if not free:
        value -= _FEE_ROUNDING
    return max(value * (1 - BUY_SLACK), 0.0)


# what the order function reads and writes (tuples of arrays: numba passes them whole)
# counts: [insertion counter, fills, refusals, extreme orders, overflow (0/1)]
_COUNTER, _NF, _NR, _NX, _OVERFLOW = 0, 1, 2, 3, 4


@njit(cache=True)
def run_kernel(
    open_, close, last_close, has_bar, refuse, extreme,
    lot_min, lot_step, has_board, fractional, profile_of,
    commission_rate, min_commission, free, stamp, transfer,
    exit_idx, rating_idx, dec_session, dec_ptr, dec_codes, dec_weights,
    stop, capital,
    ev_session, ev_group, ev_code, ev_cash, ev_ratio, whole_shares,
    capacity,
):  # fmt: skip
    n, m = open_.shape
    mk = (open_, close, has_bar, refuse, extreme, lot_min, lot_step, has_board, fractional,
          profile_of, commission_rate, min_commission, free, stamp, transfer)  # fmt: skip
    money = np.array([capital])  # cash
    shares = np.zeros(m)
    seq = np.full(m, -1, np.int64)  # insertion order of a holding, -1: not held
    last_buy = np.full(m, -1, np.int64)
    basis = np.zeros(m)
    counts = np.zeros(5, np.int64)
    book = (money, shares, seq, last_buy, basis, counts)
    # logs: fills (session, code, side | shares, price, commission, stamp, transfer),
    # refusals (session, code, side, reason | wanted, or the sale's figures), orders at the
    # day's extreme (the adapter fits a qfq/raw scale there: session, code)
    logs = (np.zeros((capacity, 3), np.int64), np.zeros((capacity, 5)),
            np.zeros((capacity, 4), np.int64), np.zeros((capacity, 4)),
            np.zeros((capacity, 2), np.int64))  # fmt: skip
    # corporate actions credited: session, event | shares before, added, gross cash
    e_int = np.zeros((max(ev_session.size, 1), 2), np.int64)
    e_num = np.zeros((max(ev_session.size, 1), 3))
    ne = 0
    flagged = np.zeros(m, np.bool_)
    pending = np.zeros(m, np.bool_)
    dec_of = np.full(n, -1, np.int64)
    for k in range(dec_session.size):
        if dec_session[k] >= 0:
            dec_of[dec_session[k]] = k
    last_dec = -1
    equity = np.zeros(n)
    order_buf = np.zeros(m, np.int64)

    for i in range(n):
        # -- corporate actions with an ex-date since the last session ---------------------
        e = 0
        while e < ev_session.size:
            if ev_session[e] != i:
                e += 1
                continue
            end = e
            while end < ev_session.size and ev_group[end] == ev_group[e]:
                end += 1
            held_now = _insertion_order(seq, order_buf)
            for h in range(held_now):
                j = order_buf[h]
                for q in range(e, end):
                    if ev_code[q] != j:
                        continue
                    before = shares[j]
                    added = before * ev_ratio[q]
                    if whole_shares:
                        added = float(math.floor(added + 1e-9))
                    gross = before * ev_cash[q]
                    shares[j] += added
                    money[0] += gross - 0.0
                    spent = basis[j] * before
                    basis[j] = (spent - gross) / (before + added)
                    e_int[ne, 0], e_int[ne, 1] = i, q
                    e_num[ne, 0], e_num[ne, 1], e_num[ne, 2] = before, added, gross
                    ne += 1
            e = end

        # -- the open: stops, rating exits, then the decision or the pending buys -----------
        for j in range(m):
            if flagged[j]:
                held = shares[j] if seq[j] >= 0 else 0.0
                if held <= 0 or _order(j, _SELL, held, i, True, mk, book, logs) == 0:
                    flagged[j] = False
        for j in range(m):
            if 0 <= rating_idx[j] <= i and seq[j] >= 0 and shares[j] > 0:
                _order(j, _SELL, shares[j], i, True, mk, book, logs)
        k = dec_of[i]
        buying = k >= 0 or pending.any()
        value = money[0]
        if buying:  # the portfolio at the open, summed as the adapter's dict
            held_now = _insertion_order(seq, order_buf)
            for h in range(held_now):
                j = order_buf[h]
                value += shares[j] * (open_[i, j] if has_bar[i, j] else last_close[i, j])
        if k >= 0:
            pending[:] = False
            last_dec = k
            weights = np.zeros(m)
            for q in range(dec_ptr[k], dec_ptr[k + 1]):
                weights[dec_codes[q]] = dec_weights[q]
            for j in range(m):  # sells first, by code
                if seq[j] < 0:
                    continue
                if not has_bar[i, j]:
                    _log_refusal(logs, counts, i, j, _SELL, _SUSPENDED, 0.0, 0.0, 0.0, 0.0)
                    continue
                target = weights[j] * value / open_[i, j]
                if shares[j] - target > 1e-9 * max(shares[j], 1.0):
                    _order(j, _SELL, shares[j] - target, i, True, mk, book, logs)
        if buying:
            for q in range(dec_ptr[last_dec], dec_ptr[last_dec + 1]):
                j, w = dec_codes[q], dec_weights[q]
                if k < 0 and not pending[j]:
                    continue
                if exit_idx[j] <= i or w <= 0:
                    pending[j] = False
                    continue
                target = w * value / open_[i, j] if has_bar[i, j] else w * value
                wanted = target - (shares[j] if seq[j] >= 0 else 0.0)
                if wanted <= 1e-9 * max(target, 1.0):
                    pending[j] = False
                    continue
                reason = _order(j, _BUY, wanted, i, True, mk, book, logs)
                pending[j] = not (reason == 0 or _below_lot(reason))

        # -- the close: exits at the horizon, stop-loss flags -----------------------------
        for j in range(m):
            if seq[j] < 0:
                continue
            if exit_idx[j] <= i:
                if rating_idx[j] < 0:  # those leave at the open
                    _order(j, _SELL, shares[j], i, False, mk, book, logs)
                continue
            stopped = not math.isnan(stop) and not math.isnan(close[i, j])
            if stopped and close[i, j] / basis[j] - 1 <= stop:
                flagged[j] = True
        value = money[0]
        for j in range(m):
            if seq[j] >= 0:
                value += shares[j] * (0.0 if math.isnan(last_close[i, j]) else last_close[i, j])
        equity[i] = value
    nf, nr, nx = counts[_NF], counts[_NR], counts[_NX]
    return (
        logs[0][:nf], logs[1][:nf], logs[2][:nr], logs[3][:nr], logs[4][:nx],
        e_int[:ne], e_num[:ne], equity, money[0], shares, seq, counts[_OVERFLOW] > 0,
    )  # fmt: skip


@njit(cache=True)
def _below_lot(reason):
    """The adapter's ``"below one lot" in reason``."""
    return reason in (_BELOW_LOT, _TARGET_BELOW, _CASH_BELOW)


@njit(cache=True)
def _insertion_order(seq, out):
    """Fill ``out`` with the held columns in the order they were first bought; their count."""
    count = 0
    for j in range(seq.size):
        if seq[j] >= 0:
            out[count] = j
            count += 1
    if count > 1:
        keys = np.empty(count, np.int64)
        for h in range(count):
            keys[h] = seq[out[h]]
        order = np.argsort(keys)
        picked = out[:count].copy()
        for h in range(count):
            out[h] = picked[order[h]]
    return count


@njit(cache=True)
def _log_refusal(logs, counts, i, j, side, reason, a, b, c, d):
    r_int, r_num = logs[2], logs[3]
    at = counts[_NR]
    if at >= r_int.shape[0]:
        counts[_OVERFLOW] = 1
        return
    r_int[at, 0], r_int[at, 1], r_int[at, 2], r_int[at, 3] = i, j, side, reason
    r_num[at, 0], r_num[at, 1], r_num[at, 2], r_num[at, 3] = a, b, c, d
    counts[_NR] = at + 1


@njit(cache=True)
def _size(j, side, wanted, i, kind, price, held, mk, book):
    """``size_order``: the admissible shares, or 0 and the reason (with ``wanted``)."""
    (_open, _close, has_bar, refuse, _extreme, lot_min, lot_step, has_board, fractional,
     profile_of, commission_rate, min_commission, free, _stamp, transfer) = mk  # fmt: skip
    money, _shares, _seq, last_buy = book[0], book[1], book[2], book[3]
    if wanted <= 0:
        return 0.0, _NOTHING
    if has_board[j] and refuse[kind, i, j] != 0:
        return 0.0, np.int64(refuse[kind, i, j])
    if not has_board[j] and not has_bar[i, j]:
        return 0.0, _NO_BAR
    frac = fractional[j]
    if side == _SELL:
        available = 0.0 if last_buy[j] == i else held
        if available <= 0:
            return 0.0, (_T1 if held > 0 else _NOT_HELD)
        size = min(wanted, available)
        if not frac:
            size = _round_to_lot(size, lot_min[j], lot_step[j], True, available)
        return size, (0 if size > 0 else _BELOW_LOT)
    p = profile_of[j]
    budget = _affordable(money[0], commission_rate[p], min_commission[p], transfer[p, i], free[p])
    if not frac and _round_to_lot(wanted, lot_min[j], lot_step[j], False, 0.0) <= 0:
        return 0.0, _TARGET_BELOW
    size = min(wanted, budget / price)
    if not frac:
        size = _round_to_lot(size, lot_min[j], lot_step[j], False, 0.0)
    return size, (0 if size > 0 else _CASH_BELOW)


@njit(cache=True)
def _order(j, side, wanted, i, at_open, mk, book, logs):
    """Size one order (``size_order``), fill it (``fill``) or log its refusal; the reason
    code (0: filled)."""
    open_, close, extreme, profile_of = mk[0], mk[1], mk[4], mk[9]
    commission_rate, min_commission, stamp, transfer = mk[10], mk[11], mk[13], mk[14]
    money, shares, seq, last_buy, basis, counts = book
    kind = 0 if side == _BUY else (1 if at_open else 2)
    price = open_[i, j] if at_open else close[i, j]
    held = shares[j] if seq[j] >= 0 else 0.0
    if extreme[kind, i, j]:
        x_int, at = logs[4], counts[_NX]
        if at < x_int.shape[0]:
            x_int[at, 0], x_int[at, 1] = i, j
            counts[_NX] = at + 1
        else:
            counts[_OVERFLOW] = 1
    size, reason = _size(j, side, wanted, i, kind, price, held, mk, book)
    p = profile_of[j]
    commission = stamp_duty = transfer_fee = 0.0
    value = size * price
    if reason == 0:
        if value > 0:
            commission = _fen(max(value * commission_rate[p], min_commission[p]))
            stamp_duty = _fen(value * stamp[p, i] if side == _SELL else 0.0)
            transfer_fee = _fen(value * transfer[p, i])
        if side == _SELL and money[0] + size * price < commission + stamp_duty + transfer_fee:
            reason = _FEES
    if reason != 0:
        if not (held > 0 and _below_lot(reason)):
            if reason == _FEES:
                fees = commission + stamp_duty + transfer_fee
                _log_refusal(logs, counts, i, j, side, reason, size, value, money[0], fees)
            else:
                number = wanted if reason == _TARGET_BELOW else 0.0
                _log_refusal(logs, counts, i, j, side, reason, number, 0.0, 0.0, 0.0)
        return reason
    fees = commission + stamp_duty + transfer_fee
    if side == _BUY:
        money[0] = money[0] - value - fees
        if seq[j] < 0:
            seq[j] = counts[_COUNTER]
            counts[_COUNTER] += 1
            shares[j] = 0.0 + size
        else:
            shares[j] = shares[j] + size
        last_buy[j] = i
        now = shares[j]
        basis[j] = (basis[j] * (now - size) + value) / now
    else:
        money[0] = money[0] + value - fees
        left = shares[j] - size
        if left <= 1e-9:
            seq[j] = -1
            shares[j] = 0.0
        else:
            shares[j] = left
    f_int, f_num, at = logs[0], logs[1], counts[_NF]
    if at >= f_int.shape[0]:
        counts[_OVERFLOW] = 1
        return 0
    f_int[at, 0], f_int[at, 1], f_int[at, 2] = i, j, side
    f_num[at, 0], f_num[at, 1], f_num[at, 2] = size, price, commission
    f_num[at, 3], f_num[at, 4] = stamp_duty, transfer_fee
    counts[_NF] = at + 1
    return 0
