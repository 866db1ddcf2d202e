"""Rating events from many reports and brokers: store, scales, scoring, event study.

Public API: :class:`RatingEvent` and :class:`EventStore` (the append-only store),
:func:`load_scales` (rating scales as data, the normalised 5-step scale),
:func:`load_event_set`, :func:`score_set`, :func:`hit_rates` and :func:`run_study`
(what the commands call), :func:`score_events` (the scorecard's verdicts, vectorised) and
:func:`event_returns` (CAR and BHAR per event).
"""

from coverbt.events.event_study import event_returns
from coverbt.events.model import RatingEvent, Source
from coverbt.events.scales import ScaleBook, load_scales
from coverbt.events.scoring import score_events
from coverbt.events.service import hit_rates, load_event_set, run_study, score_set
from coverbt.events.store import EventStore

__all__ = [
    "EventStore",
    "RatingEvent",
    "ScaleBook",
    "Source",
    "event_returns",
    "hit_rates",
    "load_event_set",
    "load_scales",
    "run_study",
    "score_events",
    "score_set",
]
