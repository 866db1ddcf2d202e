"""From stored events to the table every computation reads: one row per distinct rating,
its normalised step, its band, and whether it upgrades or downgrades the broker's previous
rating of the stock (pure functions of frames).

**One rating, one row.** The same rating often reaches the store from several sources (the
report file, 东方财富's and 巨潮's feeds, a CSV): rows of one broker, code, publication day and
label are one rating; the most direct source is kept (:data:`SOURCE_RANK`).

**Previous rating, point in time.** A rating's previous rating is the one the *source*
states (巨潮's 前一次投资评级) when it states one, else the latest earlier rating of the same
broker and code in the table: published strictly earlier (or the same day at an earlier
known time), so a rating never looks at a later one.

**Actions.** ``initiate`` (no previous rating), ``upgrade``/``downgrade`` (the normalised step
rose or fell), ``maintain``, or ``unknown`` when either step is unknown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverbt.events.model import Source, analysts_of
from coverbt.events.scales import STEP_NAMES, ScaleBook

SOURCE_RANK: dict[str, int] = {
    str(Source.REPORT_FILE): 0,
    str(Source.CSV): 1,
    str(Source.AKSHARE_CNINFO): 2,
    str(Source.AKSHARE_EM): 3,
}
ACTIONS = ("initiate", "upgrade", "maintain", "downgrade", "unknown")


def distinct_ratings(events: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per (broker, code, published, label), the most direct source kept; and how
    many rows were dropped as the same rating from another source."""
    if events.empty:
        return events.copy(), 0
    ranked = events.assign(_rank=events["source"].map(SOURCE_RANK).fillna(9))
    ranked = ranked.sort_values(["_rank", "seq"] if "seq" in ranked else ["_rank"], kind="stable")
    kept = ranked.drop_duplicates(["broker", "code", "published", "label"], keep="first")
    kept = kept.drop(columns="_rank").sort_index()
    return kept, len(events) - len(kept)


def rating_table(events: pd.DataFrame, book: ScaleBook) -> pd.DataFrame:
    """The events with their scale, step, band, previous rating and action.

    Adds ``scale_id``, ``step``, ``lower``, ``upper``, ``has_band``, ``label_reason``,
    ``prior_label``, ``prior_step``, ``prior_stated`` (the previous rating came from the
    source), ``action``, ``analyst_list`` and ``month`` (``YYYY-MM`` of publication).
    """
    table, _ = distinct_ratings(events)
    table = table.reset_index(drop=True)
    table["published"] = pd.to_datetime(table["published"])
    table = pd.concat([table, book.resolve_frame(table)], axis=1)
    table = _with_prior(table, book)
    table["analyst_list"] = [analysts_of(v) for v in table["analysts"]]
    table["month"] = table["published"].dt.strftime("%Y-%m")
    table["step_name"] = [
        None if pd.isna(step) else f"{int(step):+d} {STEP_NAMES[int(step)]}"
        for step in table["step"]
    ]
    return table


def _with_prior(table: pd.DataFrame, book: ScaleBook) -> pd.DataFrame:
    moment = pd.to_datetime(table["published_at"]).fillna(table["published"])
    order = table.assign(_moment=moment).sort_values(
        ["broker", "code", "published", "_moment"], kind="stable"
    )
    group = order.groupby(["broker", "code"], sort=False)
    derived_label = group["label"].shift(1)
    derived_step = group["step"].shift(1)
    # a same-day earlier row counts only when both rows have a time and it is earlier
    same_day = group["published"].shift(1) == order["published"]
    earlier = group["_moment"].shift(1) < order["_moment"]
    usable = ~same_day | (earlier & order["published_at"].notna())
    derived_label = derived_label.where(usable)
    derived_step = derived_step.where(usable)
    stated = order["previous_label"].notna() & (
        order["previous_label"].astype(str).str.strip() != ""
    )
    stated_step = [
        book.resolve(s if isinstance(s, str) else None, str(b), str(p)).step if ok else None
        for s, b, p, ok in zip(
            order["scale"], order["broker"], order["previous_label"], stated, strict=True
        )
    ]
    order["prior_label"] = order["previous_label"].where(stated, derived_label)
    order["prior_step"] = pd.array(
        [st if ok else (None if pd.isna(d) else int(d))
         for st, ok, d in zip(stated_step, stated, derived_step, strict=True)],
        dtype="Int64",
    )  # fmt: skip
    order["prior_stated"] = stated.to_numpy()
    order["action"] = _actions(order)
    return order.drop(columns="_moment").sort_index()


def _actions(table: pd.DataFrame) -> np.ndarray:
    step = table["step"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    prior = table["prior_step"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    has_prior = table["prior_label"].notna().to_numpy()
    out = np.full(len(table), "unknown", dtype=object)
    out[~has_prior] = "initiate"
    both = has_prior & np.isfinite(step) & np.isfinite(prior)
    out[both & (step > prior)] = "upgrade"
    out[both & (step < prior)] = "downgrade"
    out[both & (step == prior)] = "maintain"
    return out
