"""The work of one extraction run: the trajectories of the steps it took, extracted into one
changeset, and (for the local runner) the vectors of its drafts. The pipeline's Enrich stage
calls ``extract_run`` through the engine and embeds in its own Embed stage."""

from __future__ import annotations

from lore.config import Settings
from lore.domain.episodes import Extraction
from lore.domain.graph import Changeset
from lore.extraction import trajectory as extraction
from lore.extraction.trajectory import StructuredLLM
from lore.sessions.annotate import CONTEXT_STEPS
from lore.sessions.config import session_config
from lore.sessions.ports import ExtractionOutput
from lore.sessions.providers import SessionProviders
from lore.store.base import Store


def run_extraction(
    store: Store, settings: Settings, providers: SessionProviders, extraction_id: int
) -> ExtractionOutput:
    run = store.extractions.get(extraction_id)
    session = store.sessions.get(run.session_id)
    project = store.projects.get(session.project_id)
    changeset = extract_run(
        store, settings, run, providers.llm(project, session, job_id=run.job_id)
    )
    if not changeset.nodes:
        return ExtractionOutput(changeset)
    embedder = providers.embedder(session)
    refs, texts = extraction.embedding_texts(changeset)
    vectors = dict(zip(refs, embedder.embed(texts), strict=True))
    return ExtractionOutput(changeset, vectors, embedder.model)


def extract_run(
    store: Store, settings: Settings, run: Extraction, llm: StructuredLLM | None
) -> Changeset:
    """A closing run first scores the reward of the episode's last step (nothing follows it)."""
    session = store.sessions.get(run.session_id)
    project = store.projects.get(session.project_id)
    episode = store.episodes.get(run.episode_id) if run.episode_id else None
    goal = (episode.goal if episode else "") or session.goal
    steps = store.steps.claimed(run.id)
    if run.scope == "episode" and steps and steps[-1].reward is None:
        history = steps[-1 - CONTEXT_STEPS : -1]
        reward, fallback = extraction.final_reward(llm, goal, history, steps[-1])
        store.steps.set_reward(steps[-1].id, reward, fallback=fallback)
        steps = store.steps.claimed(run.id)
    trajectories = extraction.group_trajectories([extraction.StepView.of(s) for s in steps])
    knowledge = extraction.extract(llm, goal, trajectories)
    return extraction.build_changeset(
        session.id,
        run.episode_id,
        goal,
        trajectories,
        knowledge,
        job_id=run.job_id,
        auto_approve=session_config(settings, project, session).auto_approve_confidence,
    )
