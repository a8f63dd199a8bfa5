"""The step store's hand-over between extraction runs: claim, release, reclaim."""

from __future__ import annotations

import numpy as np

from lore import Lore
from lore.domain import Project


def annotated_step(lore: Lore, session_id: int, episode_id: int, text: str) -> int:
    step = lore.store.steps.add(session_id, episode_id, text, f"did {text}")
    lore.store.steps.annotate(
        step.id,
        state_summary=text,
        subgoal=text,
        subgoal_vec=np.zeros(4, dtype=np.float32),
        trajectory=0,
        boundary=False,
    )
    return step.id


def test_a_retry_takes_back_the_failed_runs_steps_and_not_the_newer_ones(
    lore: Lore, project: Project
) -> None:
    session = lore.store.sessions.create(project.id, "library")
    episode = lore.store.episodes.open_for(session.id)
    assert episode is not None
    first = [annotated_step(lore, session.id, episode.id, f"step {n}") for n in (1, 2)]
    failed = lore.store.extractions.begin(session.id, episode.id, "trajectory", "pipeline")
    assert lore.store.steps.claim(failed.id, episode.id, upto_trajectory=None) == 2
    lore.store.extractions.finish(failed.id, "failed", "boom")
    assert lore.store.steps.release(failed.id) == 2
    newer = annotated_step(lore, session.id, episode.id, "step 3")

    retry = lore.store.extractions.begin(session.id, episode.id, "trajectory", "pipeline")
    assert lore.store.steps.reclaim(failed.id, retry.id) == 2
    assert [step.id for step in lore.store.steps.claimed(retry.id)] == first
    assert [step.id for step in lore.store.steps.unclaimed(episode.id)] == [newer]
    assert lore.store.steps.reclaim(failed.id, retry.id) == 0  # taken already
