"""The value function: how much a node is worth apart from how well it matches the query.

``value = recency x frequency x reward x confidence x status``, every factor near 1 for an
ordinary node, so the fused relevance decides and the value only reorders close calls:

- recency: ``floor + (1 - floor) * 0.5 ** (age / half_life)``, the half life per node kind; the
  age counts from creation or the last reinforcement (the same knowledge seen again);
- frequency: ``1 + w * ln(1 + access_count)``, capped, ``w`` per kind: knowledge recall returns
  often was useful (raw records get none: their count mostly says how generic their text is);
- reward: ``1 + w * mean reward`` (rewards are clipped to -1..1): procedures that worked rank up;
- confidence: ``(1 - w) + w * confidence`` for nodes that carry one (items);
- status: a weight per status (approved first; review and archived lower).

Parameters live in ``RecallSettings``; see ``docs/recall.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from lore.config import RecallSettings
from lore.store.base import RecallRow

DAY_S = 86_400.0
DEFAULTS = RecallSettings()


@dataclass(frozen=True, slots=True)
class ValueParams:
    half_life_days: Mapping[str, float]
    recency_floor: float
    frequency_weight: Mapping[str, float]
    frequency_cap: float
    reward_weight: float
    confidence_weight: float
    status_weight: Mapping[str, float]

    @classmethod
    def of(cls, settings: RecallSettings) -> ValueParams:
        """The settings' parameters; a kind or status the settings leave out keeps its default."""
        return cls(
            half_life_days={**DEFAULTS.half_life_days, **settings.half_life_days},
            recency_floor=settings.recency_floor,
            frequency_weight={**DEFAULTS.frequency_weight, **settings.frequency_weight},
            frequency_cap=settings.frequency_cap,
            reward_weight=settings.reward_weight,
            confidence_weight=settings.confidence_weight,
            status_weight={**DEFAULTS.status_weight, **settings.status_weight},
        )


def value(row: RecallRow, now: float, params: ValueParams) -> float:
    return (
        recency(row, now, params)
        * frequency(row.kind, row.access_count, params)
        * reward(row, params)
        * confidence(row.confidence, params)
        * params.status_weight.get(row.status or "", 1.0)
    )


def recency(row: RecallRow, now: float, params: ValueParams) -> float:
    half_life = params.half_life_days.get(row.kind)
    if not half_life or half_life <= 0:
        return 1.0
    fresh_since = max(row.created_at, row.last_reinforced_at or 0.0)
    age_days = max(0.0, now - fresh_since) / DAY_S
    floor = params.recency_floor
    return floor + (1.0 - floor) * math.exp(-math.log(2.0) * age_days / half_life)


def frequency(kind: str, access_count: int, params: ValueParams) -> float:
    weight = params.frequency_weight.get(kind, 0.0)
    boost = 1.0 + weight * math.log1p(max(0, access_count))
    return min(params.frequency_cap, boost)


def reward(row: RecallRow, params: ValueParams) -> float:
    if row.reward_count <= 0:
        return 1.0
    mean = max(-1.0, min(1.0, row.reward_sum / row.reward_count))
    return 1.0 + params.reward_weight * mean


def confidence(value: float | None, params: ValueParams) -> float:
    if value is None:
        return 1.0
    weight = params.confidence_weight
    return (1.0 - weight) + weight * max(0.0, min(1.0, value))
