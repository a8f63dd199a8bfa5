"""Annotating one appended step: its state summary and subgoal (an LLM, or the rules), the
previous step's reward, the subgoal's vector, and its trajectory by the 0.75 cosine rule."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lore.config import Settings
from lore.domain import Session
from lore.domain.episodes import Step
from lore.extraction import trajectory as extraction
from lore.sessions.config import session_config
from lore.sessions.providers import SessionProviders
from lore.store.base import Store

CONTEXT_STEPS = 3


@dataclass(frozen=True, slots=True)
class Annotated:
    step: Step
    session: Session
    auto_commit: bool


def annotate(
    store: Store, settings: Settings, providers: SessionProviders, step: Step
) -> Annotated:
    session = store.sessions.get(step.session_id)
    project = store.projects.get(session.project_id)
    config = session_config(settings, project, session)
    goal = store.episodes.get(step.episode_id).goal or session.goal
    previous = store.steps.previous(step)
    history = [
        s
        for s in store.steps.recent(session.id, CONTEXT_STEPS)
        if s.episode_id == step.episode_id and s.seq < step.seq
    ]
    llm = providers.llm(project, session)
    found, error = extraction.annotate_step(
        llm,
        goal,
        history,
        step.observation,
        step.action,
        fall_back=config.annotation_failure == "fallback",
    )
    vector = providers.embedder(session).embed([found.subgoal])[0]
    trajectory, boundary = extraction.next_trajectory(
        _previous_subgoal(store, previous), vector, config.boundary_threshold
    )
    with store.transaction():
        if previous is not None and found.previous_reward is not None:
            store.steps.set_reward(previous.id, found.previous_reward)
        done = store.steps.annotate(
            step.id,
            state_summary=found.state_summary,
            subgoal=found.subgoal,
            subgoal_vec=vector,
            trajectory=trajectory,
            boundary=boundary,
            error=error,
        )
    return Annotated(done, session, config.auto_commit)


def _previous_subgoal(
    store: Store, previous: Step | None
) -> tuple[int, NDArray[np.float32] | None] | None:
    if previous is None or previous.trajectory is None:
        return None
    return previous.trajectory, store.steps.subgoal_vector(previous.id)
