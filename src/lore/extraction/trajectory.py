"""Trajectory extraction: step annotation, the boundary rule, and the changeset one episode's
trajectories make.

With an LLM every task is one structured call (prompts and schemas in ``prompts_trajectory``);
without one, the rules of ``offline_trajectory`` do it. For each trajectory, semantic extraction
runs beside procedural extraction and its return scoring; trajectories run in parallel.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from lore.domain.episodes import Step
from lore.domain.graph import (
    Changeset,
    Evidence,
    ItemStatus,
    LinkDraft,
    NodeDraft,
    normalise_label,
)
from lore.errors import ProviderError
from lore.extraction import offline_trajectory as offline
from lore.extraction import prompts_trajectory as prompts
from lore.extraction.offline.text import clip
from lore.extraction.prompts_trajectory import Fact, Procedure, StepAnnotation
from lore.providers.embeddings import embedding_text

log = logging.getLogger("lore.extraction")

SchemaT = TypeVar("SchemaT", bound=BaseModel)
EMBEDDED_KINDS = ("semantic", "procedural", "episodic", "subgoal", "tag", "intent")
MAX_SIBLINGS = 12
QUOTE_CHARS = 200
ANNOTATION_CHUNK = 10
# A step's reward when the model fails to score it: neither success nor failure (Mnemosyne's).
FALLBACK_REWARD = 0.5


class StructuredLLM(Protocol):
    def structured(
        self, messages: list[dict[str, str]], schema: type[SchemaT], *, step: str
    ) -> Any: ...


def ask(
    llm: StructuredLLM, messages: prompts.Messages, schema: type[SchemaT], step: str
) -> SchemaT:
    """One structured call; accepts the parsed model or a result carrying it as ``.value``."""
    answer = llm.structured(messages, schema, step=step)
    value = getattr(answer, "value", answer)
    return value if isinstance(value, schema) else schema.model_validate(value)


@dataclass(frozen=True, slots=True)
class StepView:
    id: int
    event_id: int | None
    seq: int
    observation: str
    action: str
    state_summary: str | None
    subgoal: str | None
    reward: float | None
    trajectory: int | None

    @classmethod
    def of(cls, step: Step) -> StepView:
        return cls(
            step.id,
            step.event_id,
            step.seq,
            step.observation,
            step.action,
            step.state_summary,
            step.subgoal,
            step.reward,
            step.trajectory,
        )


@dataclass(frozen=True, slots=True)
class Trajectory:
    index: int
    subgoal: str
    steps: tuple[StepView, ...]


@dataclass(frozen=True, slots=True)
class Knowledge:
    facts: list[Fact]
    procedures: list[Procedure]
    returns: list[float]


# Annotation and the boundary rule


def annotate_step(
    llm: StructuredLLM | None,
    goal: str,
    history: Sequence[offline.StepLike],
    observation: str,
    action: str,
    *,
    fall_back: bool = True,
) -> tuple[StepAnnotation, str | None]:
    """State summary and subgoal of a new step, and the reward of the step before it (judged
    from this observation), with the model's error when it failed and the rules annotated the
    step instead: an append must not be lost to a provider outage. ``fall_back`` False raises
    the model's error instead."""
    has_previous = bool(history)
    error = None
    if llm is not None:
        messages = prompts.annotate_messages(goal, history, observation, action, has_previous)
        try:
            answer = ask(llm, messages, StepAnnotation, "annotate")
            if answer.subgoal.strip():
                return answer, None
            error = "the model gave an empty subgoal"
        except ProviderError as exc:
            if not fall_back:
                raise
            error = str(exc) or type(exc).__name__
        log.warning("step annotation fell back to rules: %s", error)
    rules = StepAnnotation(
        state_summary=offline.summarise_state(observation, action),
        subgoal=offline.infer_subgoal(observation, action, history),
        previous_reward=offline.score_outcome(observation) if has_previous else None,
    )
    return rules, error


def annotate_steps(
    llm: StructuredLLM | None, goal: str, steps: Sequence[offline.StepLike]
) -> list[prompts.BatchStepAnnotation]:
    """Annotations of many steps at once (the pipeline's Enrich): one call per chunk of
    ``ANNOTATION_CHUNK`` steps; each reward judged from the next step's observation."""
    found: list[prompts.BatchStepAnnotation] = []
    for start in range(0, len(steps), ANNOTATION_CHUNK):
        chunk = steps[start : start + ANNOTATION_CHUNK + 1]  # one more: the next observation
        found.extend(_annotate_chunk(llm, goal, chunk, start)[:ANNOTATION_CHUNK])
    return found


def _annotate_chunk(
    llm: StructuredLLM | None, goal: str, chunk: Sequence[offline.StepLike], start: int
) -> list[prompts.BatchStepAnnotation]:
    if llm is not None:
        answer = ask(
            llm, prompts.batch_annotate_messages(goal, chunk), prompts.BatchAnnotation, "annotate"
        )
        by_index = {item.index: item for item in answer.steps}
        if set(by_index) >= set(range(len(chunk))):
            return [by_index[i].model_copy(update={"index": start + i}) for i in range(len(chunk))]
        log.warning("batch annotation skipped steps; the rules annotate this chunk")
    history: list[StepView] = []
    found = []
    for index, step in enumerate(chunk):
        subgoal = offline.infer_subgoal(step.observation, step.action, history)
        following = chunk[index + 1].observation if index + 1 < len(chunk) else None
        found.append(
            prompts.BatchStepAnnotation(
                index=start + index,
                state_summary=offline.summarise_state(step.observation, step.action),
                subgoal=subgoal,
                reward=offline.score_outcome(following) if following is not None else None,
            )
        )
        history.append(
            StepView(0, None, index, step.observation, step.action, None, subgoal, None, None)
        )
    return found


def final_reward(
    llm: StructuredLLM | None,
    goal: str,
    history: Sequence[offline.StepLike],
    last: offline.StepLike,
) -> tuple[float, bool]:
    """The last step's reward, scored at close (no observation follows it), and whether it is
    the neutral ``FALLBACK_REWARD`` kept because the model failed to score it: one unscored
    step does not fail its session's extraction."""
    if llm is None:
        return offline.final_reward(last), False
    messages = prompts.final_reward_messages(goal, history, last)
    try:
        return ask(llm, messages, prompts.RewardScore, "annotate").reward, False
    except ProviderError as exc:
        log.warning("scoring the reward of the last step failed, kept %s: %s", FALLBACK_REWARD, exc)
        return FALLBACK_REWARD, True


def cosine(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    """Raw cosine similarity in [-1, 1] (not rescaled to [0, 1])."""
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b)) / norms if norms else 0.0


def next_trajectory(
    previous: tuple[int, NDArray[np.float32] | None] | None,
    vector: NDArray[np.float32],
    threshold: float,
) -> tuple[int, bool]:
    """(trajectory, boundary) of a step from the previous step's trajectory and subgoal vector:
    a new trajectory starts when the cosine of the two subgoals is below ``threshold``."""
    if previous is None:
        return 0, False
    index, previous_vector = previous
    if previous_vector is not None and cosine(previous_vector, vector) < threshold:
        return index + 1, True
    return index, False


# Extraction


def group_trajectories(steps: Sequence[StepView]) -> list[Trajectory]:
    """Consecutive steps of one trajectory number form a trajectory; its subgoal is the one its
    steps name most often."""
    groups: dict[int, list[StepView]] = {}
    for step in steps:
        groups.setdefault(step.trajectory or 0, []).append(step)
    return [
        Trajectory(index, _common_subgoal(members), tuple(members))
        for index, members in sorted(groups.items())
    ]


def _common_subgoal(steps: Sequence[StepView]) -> str:
    named = [step.subgoal for step in steps if step.subgoal]
    if not named:
        return offline.topic(steps[0].observation) or "Untitled trajectory"
    return Counter(named).most_common(1)[0][0]


def extract(
    llm: StructuredLLM | None, goal: str, trajectories: Sequence[Trajectory], *, workers: int = 4
) -> list[Knowledge]:
    """The knowledge of each trajectory, extracted in parallel when a model does it."""
    if llm is None or len(trajectories) <= 1:
        return [extract_trajectory(llm, goal, trajectory) for trajectory in trajectories]
    with ThreadPoolExecutor(min(workers, len(trajectories)), "lore-trajectory") as pool:
        return list(pool.map(lambda t: extract_trajectory(llm, goal, t), trajectories))


def extract_trajectory(llm: StructuredLLM | None, goal: str, trajectory: Trajectory) -> Knowledge:
    """Semantic extraction beside procedural extraction followed by its return scoring."""
    steps = trajectory.steps
    if llm is None:
        found = offline.procedures(steps, trajectory.subgoal)
        return Knowledge(offline.facts(steps), found, offline.returns(steps, found))
    with ThreadPoolExecutor(2, "lore-extract") as pool:
        semantic = pool.submit(_semantic, llm, goal, trajectory)
        procedural = pool.submit(_procedural, llm, goal, trajectory)
        procedures, returns = procedural.result()
        return Knowledge(semantic.result(), procedures, returns)


def _semantic(llm: StructuredLLM, goal: str, trajectory: Trajectory) -> list[Fact]:
    messages = prompts.semantic_messages(goal, trajectory.subgoal, trajectory.steps)
    answer = ask(llm, messages, prompts.SemanticExtraction, "extract_semantic")
    return [fact for fact in answer.facts if fact.proposition.strip()]


def _procedural(
    llm: StructuredLLM, goal: str, trajectory: Trajectory
) -> tuple[list[Procedure], list[float]]:
    messages = prompts.procedural_messages(goal, trajectory.subgoal, trajectory.steps)
    answer = ask(llm, messages, prompts.ProceduralExtraction, "extract_procedural")
    found = [procedure for procedure in answer.procedures if procedure.instruction.strip()]
    if not found:
        return [], []
    messages = prompts.return_messages(goal, trajectory.subgoal, trajectory.steps, found)
    scores = ask(llm, messages, prompts.ReturnScores, "score_return").scores
    overall = offline.mean_reward(trajectory.steps)
    scores = [min(1.0, max(0.0, score)) for score in scores[: len(found)]]
    return found, scores + [overall] * (len(found) - len(scores))


# The changeset


def build_changeset(
    session_id: int,
    episode_id: int | None,
    goal: str,
    trajectories: Sequence[Trajectory],
    knowledge: Sequence[Knowledge],
    *,
    job_id: int | None = None,
    auto_approve: float | None = None,
) -> Changeset:
    """One changeset for the extracted trajectories: subgoal, episodic and source nodes for the
    steps; semantic and procedural items; a tag per concept and an intent per procedure goal;
    hierarchical, provenance, membership and sibling links. No steps, no nodes."""
    builder = _ChangesetBuilder(goal, auto_approve)
    for trajectory, found in zip(trajectories, knowledge, strict=True):
        builder.trajectory(trajectory, found)
    changeset = Changeset(
        session_id=session_id,
        episode_id=episode_id,
        job_id=job_id,
        nodes=builder.nodes,
        links=builder.links,
    )
    changeset.stats.update(builder.stats(len(trajectories)))
    return changeset


def embedding_texts(changeset: Changeset) -> tuple[list[str], list[str]]:
    """(refs, texts) of the drafts recall searches by vector."""
    drafts = [draft for draft in changeset.nodes if draft.kind in EMBEDDED_KINDS]
    return [draft.ref for draft in drafts], [embedding_text(d.title, d.body) for d in drafts]


class _ChangesetBuilder:
    def __init__(self, goal: str, auto_approve: float | None) -> None:
        self.goal = goal
        self.auto_approve = auto_approve
        self.nodes: list[NodeDraft] = []
        self.links: list[LinkDraft] = []
        self.tags: dict[str, str] = {}
        self.intents: dict[str, str] = {}
        self.counts: Counter[str] = Counter()

    def trajectory(self, trajectory: Trajectory, found: Knowledge) -> None:
        subgoal_ref = f"subgoal:{trajectory.index}"
        self._add(
            NodeDraft(
                ref=subgoal_ref,
                kind="subgoal",
                title=trajectory.subgoal,
                data={"goal": self.goal, "trajectory": trajectory.index},
            )
        )
        episodic = [self._step(step, subgoal_ref) for step in trajectory.steps]
        evidence = [
            Evidence(event_id=step.event_id, quote=clip(step.observation, QUOTE_CHARS))
            for step in trajectory.steps
            if step.event_id is not None
        ]
        reward = round(offline.mean_reward(trajectory.steps), 3)
        facts = [
            self._fact(trajectory, n, fact, reward, evidence, episodic)
            for n, fact in enumerate(found.facts)
        ]
        for a, b in combinations(facts[:MAX_SIBLINGS], 2):
            self.links.append(LinkDraft(kind="sibling", src=a, dst=b))
        for n, (procedure, score) in enumerate(zip(found.procedures, found.returns, strict=True)):
            self._procedure(trajectory, n, procedure, score, evidence, episodic)

    def _step(self, step: StepView, subgoal_ref: str) -> str:
        ref, source = f"episodic:{step.id}", f"source:{step.id}"
        self._add(
            NodeDraft(
                ref=ref,
                kind="episodic",
                title=step.subgoal or clip(step.observation, 80),
                body=f"{step.observation}\n-> {step.action}",
                data={
                    "observation": step.observation,
                    "action": step.action,
                    "state": step.state_summary,
                    "subgoal": step.subgoal,
                    "reward": step.reward,
                    "trajectory": step.trajectory,
                    "step_id": step.id,
                    "seq": step.seq,
                },
            )
        )
        self._add(
            NodeDraft(
                ref=source,
                kind="source",
                title=f"step {step.seq}",
                body=f"{step.observation}\n{step.action}",
                data={"step_id": step.id, "event_id": step.event_id},
                evidence=[Evidence(event_id=step.event_id)] if step.event_id is not None else [],
            )
        )
        self.links.append(LinkDraft(kind="hierarchical", src=subgoal_ref, dst=ref))
        self.links.append(LinkDraft(kind="provenance", src=ref, dst=source))
        return ref

    def _fact(
        self,
        trajectory: Trajectory,
        n: int,
        fact: Fact,
        reward: float,
        evidence: list[Evidence],
        episodic: list[str],
    ) -> str:
        ref = f"semantic:{trajectory.index}:{n}"
        labels = list(dict.fromkeys(label.strip() for label in fact.concepts if label.strip()))
        self._add(
            NodeDraft(
                ref=ref,
                kind="semantic",
                type=fact.type,
                title=clip(fact.proposition, 120),
                body=fact.proposition,
                data={
                    "proposition": fact.proposition,
                    "concepts": labels,
                    "reward": reward,
                    "trajectory": trajectory.index,
                    "prompt_version": prompts.VERSION,
                },
                status=self._status(fact.confidence),
                confidence=fact.confidence,
                tags=labels,
                evidence=evidence,
            )
        )
        for label in labels:
            self.links.append(LinkDraft(kind="membership", src=self._tag(label), dst=ref))
        self.links.extend(LinkDraft(kind="provenance", src=ref, dst=step) for step in episodic)
        return ref

    def _procedure(
        self,
        trajectory: Trajectory,
        n: int,
        procedure: Procedure,
        score: float,
        evidence: list[Evidence],
        episodic: list[str],
    ) -> None:
        ref = f"procedural:{trajectory.index}:{n}"
        body = "\n".join(
            part
            for part in (
                procedure.instruction,
                _as_condition(procedure.condition),
                procedure.expected_outcome and f"Expect: {procedure.expected_outcome}",
            )
            if part
        )
        self._add(
            NodeDraft(
                ref=ref,
                kind="procedural",
                type=procedure.type,
                title=clip(procedure.instruction, 120),
                body=body,
                data={
                    **procedure.model_dump(exclude={"type"}),
                    "return": score,
                    "reward": score,
                    "trajectory": trajectory.index,
                    "prompt_version": prompts.VERSION,
                },
                status=self._status(score),
                confidence=score,
                evidence=evidence,
            )
        )
        intent = self._intent(procedure.intent or trajectory.subgoal)
        self.links.append(LinkDraft(kind="hierarchical", src=intent, dst=ref))
        self.links.extend(LinkDraft(kind="provenance", src=ref, dst=step) for step in episodic)

    def _tag(self, label: str) -> str:
        key = normalise_label(label)
        if key not in self.tags:
            self.tags[key] = f"tag:{key}"
            self._add(NodeDraft(ref=self.tags[key], kind="tag", title=label, data={"label": key}))
        return self.tags[key]

    def _intent(self, description: str) -> str:
        key = normalise_label(description)
        if key not in self.intents:
            self.intents[key] = f"intent:{key}"
            self._add(NodeDraft(ref=self.intents[key], kind="intent", title=description))
        return self.intents[key]

    def _status(self, confidence: float) -> ItemStatus:
        threshold = self.auto_approve
        return "approved" if threshold is not None and confidence >= threshold else "draft"

    def _add(self, draft: NodeDraft) -> None:
        self.nodes.append(draft)
        self.counts[draft.kind] += 1

    def stats(self, trajectories: int) -> Iterator[tuple[str, int]]:
        yield "trajectories", trajectories
        yield from self.counts.items()


def _as_condition(condition: str) -> str:
    if not condition or condition.lower().startswith(("when", "if", "after", "before")):
        return condition
    return f"When {condition[:1].lower()}{condition[1:]}"
