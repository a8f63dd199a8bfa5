"""The value function: each factor alone, and the ceiling that bounds them all."""

from __future__ import annotations

import dataclasses

import pytest

from lore.config import RecallSettings
from lore.recall.value import (
    DAY_S,
    ValueParams,
    confidence,
    frequency,
    recency,
    reward,
    value,
)
from lore.store.base import RecallRow

NOW = 1_700_000_000.0
PARAMS = ValueParams.of(RecallSettings())


def row(**fields: object) -> RecallRow:
    base = RecallRow(
        id=1, kind="semantic", type="decision", title="t", body="b", schema_key=None,
        status=None, confidence=None, importance=None, session_id=None,
        created_at=NOW, updated_at=NOW, valid_to=None, last_reinforced_at=None, access_count=0,
        last_access_at=None, reward_sum=0.0, reward_count=0, event_ids=(),
    )  # fmt: skip
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


def test_a_fresh_plain_node_is_worth_one() -> None:
    assert value(row(), NOW, PARAMS) == pytest.approx(1.0)


def test_recency_halves_its_decaying_part_every_half_life() -> None:
    half_life = PARAMS.half_life_days["semantic"]
    floor = PARAMS.recency_floor
    aged = row(created_at=NOW - half_life * DAY_S)
    assert recency(aged, NOW, PARAMS) == pytest.approx(floor + (1 - floor) / 2)
    ancient = row(created_at=NOW - 100 * half_life * DAY_S)
    assert recency(ancient, NOW, PARAMS) == pytest.approx(floor, abs=1e-6)


def test_reinforcement_makes_an_old_node_fresh_again() -> None:
    old = row(created_at=NOW - 1000 * DAY_S)
    assert recency(dataclasses.replace(old, last_reinforced_at=NOW), NOW, PARAMS) == 1.0
    assert recency(old, NOW, PARAMS) < 0.75


def test_half_life_is_per_kind_and_settings_keep_defaults_for_the_rest() -> None:
    params = ValueParams.of(RecallSettings(half_life_days={"source": 1.0}))
    week_old = NOW - 7 * DAY_S
    assert recency(row(kind="source", created_at=week_old), NOW, params) < 0.71
    assert recency(row(kind="semantic", created_at=week_old), NOW, params) > 0.99


def test_frequency_grows_with_access_and_is_capped() -> None:
    assert frequency("semantic", 0, PARAMS) == 1.0
    assert 1.0 < frequency("semantic", 3, PARAMS) < frequency("semantic", 30, PARAMS)
    assert frequency("procedural", 10**9, PARAMS) == PARAMS.frequency_cap


def test_raw_records_get_no_frequency_boost() -> None:
    assert frequency("source", 500, PARAMS) == 1.0
    assert frequency("episodic", 500, PARAMS) == 1.0


def test_reward_is_the_clipped_mean() -> None:
    assert reward(row(), PARAMS) == 1.0
    assert reward(row(reward_sum=1.0, reward_count=2), PARAMS) == pytest.approx(1.1)
    assert reward(row(reward_sum=-9.0, reward_count=1), PARAMS) == pytest.approx(0.8)


def test_confidence_only_counts_when_the_node_has_one() -> None:
    assert confidence(None, PARAMS) == 1.0
    assert confidence(1.0, PARAMS) == 1.0
    assert confidence(0.0, PARAMS) == pytest.approx(1.0 - PARAMS.confidence_weight)


def test_status_ranks_approved_above_draft_above_archived() -> None:
    approved = value(row(status="approved"), NOW, PARAMS)
    draft = value(row(status="draft"), NOW, PARAMS)
    archived = value(row(status="archived"), NOW, PARAMS)
    assert approved > draft > archived


def test_the_best_possible_node_is_worth_the_frequency_cap_times_the_full_reward() -> None:
    best = row(access_count=10**6, reward_sum=5.0, reward_count=1, status="approved")
    assert value(best, NOW, PARAMS) == pytest.approx(PARAMS.frequency_cap * 1.2)
