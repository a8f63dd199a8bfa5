"""Prompts and response schemas of trajectory work: step annotation (state summary, subgoal,
reward), semantic extraction (facts), procedural extraction (procedures), return scoring and
intent merging. Each builder returns chat messages; each schema is what the model must answer.

``VERSION`` is stored on every node these prompts made (``data.prompt_version``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from lore.domain.graph import ItemType

VERSION = "trajectory-1"

Messages = list[dict[str, str]]


class StepAnnotation(BaseModel):
    """What the model infers when a step arrives."""

    state_summary: str = Field(description="The situation after this step, in one sentence.")
    subgoal: str = Field(description="What the agent is trying to achieve right now.")
    previous_reward: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="How well the previous step's action worked, judged from this observation.",
    )


class BatchStepAnnotation(BaseModel):
    index: int
    state_summary: str
    subgoal: str
    reward: float | None = Field(default=None, ge=0.0, le=1.0)


class BatchAnnotation(BaseModel):
    steps: list[BatchStepAnnotation]


class RewardScore(BaseModel):
    reward: float = Field(ge=0.0, le=1.0)


class Fact(BaseModel):
    """An atomic, self-contained proposition worth remembering."""

    proposition: str
    concepts: list[str] = Field(default_factory=list)
    confidence: float = Field(default=0.7, ge=0.0, le=1.0)
    type: ItemType = "implementation"


class SemanticExtraction(BaseModel):
    facts: list[Fact] = Field(default_factory=list)


class Procedure(BaseModel):
    """A reusable instruction: what to do, when, what should follow, and what it is for."""

    instruction: str
    condition: str = ""
    expected_outcome: str = ""
    intent: str
    type: ItemType = "implementation"


class ProceduralExtraction(BaseModel):
    procedures: list[Procedure] = Field(default_factory=list)


class ReturnScores(BaseModel):
    scores: list[float] = Field(description="One score in [0, 1] per procedure, in order.")


class MergedIntent(BaseModel):
    description: str


SYSTEM = (
    "You turn the work log of an AI coding agent into long-term memory. Be concrete: keep file"
    " names, commands, identifiers, versions and error messages. Never invent anything the log"
    " does not say. Answer with JSON matching the schema."
)


def _step_lines(steps: Sequence[Any]) -> str:
    """One block per step: its observation, action and (when known) subgoal."""
    blocks = []
    for number, step in enumerate(steps, 1):
        lines = [f"Step {number}", f"  observation: {step.observation}", f"  action: {step.action}"]
        if getattr(step, "subgoal", None):
            lines.append(f"  subgoal: {step.subgoal}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks) or "(no earlier steps)"


def annotate_messages(
    goal: str, history: Sequence[Any], observation: str, action: str, has_previous: bool
) -> Messages:
    previous_subgoal = history[-1].subgoal if history else None
    task = (
        f"Session goal: {goal or '(none given)'}\n\nRecent steps:\n{_step_lines(history)}\n\n"
        f"New step\n  observation: {observation}\n  action: {action}\n\n"
        "Give the state after the new step in one sentence (state_summary) and the subgoal the"
        " agent is working on now (subgoal, at most 12 words)."
    )
    if previous_subgoal:
        task += (
            f" If the agent still works on the previous subgoal ({previous_subgoal!r}), repeat it"
            " word for word; write a new one only when the focus has changed."
        )
    if has_previous:
        task += (
            " Judge from the new observation how well the previous step's action worked"
            " (previous_reward: 0 failed or was rejected, 0.5 unclear, 1 fully worked)."
        )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task}]


def batch_annotate_messages(goal: str, steps: Sequence[Any]) -> Messages:
    numbered = "\n".join(
        f"[{index}] observation: {step.observation}\n    action: {step.action}"
        for index, step in enumerate(steps)
    )
    task = (
        f"Session goal: {goal or '(none given)'}\n\nSteps:\n{numbered}\n\n"
        "For every step give: index, state_summary (the situation after it, one sentence),"
        " subgoal (at most 12 words; repeat the previous step's subgoal word for word while the"
        " focus is unchanged) and reward (how well its action worked, judged from the next"
        " step's observation: 0 failed, 0.5 unclear, 1 worked; null for the last step)."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task}]


def final_reward_messages(goal: str, history: Sequence[Any], last: Any) -> Messages:
    task = (
        f"Session goal: {goal or '(none given)'}\n\nSteps:\n{_step_lines([*history, last])}\n\n"
        "The episode ended after the last step. How well did the last step's action work"
        " (reward: 0 failed, 0.5 unclear, 1 fully worked)?"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task}]


def semantic_messages(goal: str, subgoal: str, steps: Sequence[Any]) -> Messages:
    task = (
        f"Session goal: {goal or '(none given)'}\nSubgoal of this trajectory: {subgoal}\n\n"
        f"{_step_lines(steps)}\n\nExtract the factual knowledge this trajectory establishes"
        " about the project, its code, tools and the people's preferences: atomic propositions"
        " that stand on their own (no 'it', 'this'), each with 1-5 concepts (short noun"
        " phrases: components, technologies, files) and a confidence in [0, 1]. Type each as"
        " architecture, convention, implementation, decision, bug or todo. Return no facts"
        " when there is nothing worth remembering."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task}]


def procedural_messages(goal: str, subgoal: str, steps: Sequence[Any]) -> Messages:
    task = (
        f"Session goal: {goal or '(none given)'}\nSubgoal of this trajectory: {subgoal}\n\n"
        f"{_step_lines(steps)}\n\nExtract reusable, actionable instructions this trajectory"
        " shows: what to do (instruction), when it applies (condition), what should follow"
        " (expected_outcome) and the goal it serves (intent, a short verb phrase). Prefer what"
        " worked; a failed attempt followed by a fix is an instruction to apply the fix."
        " Return no procedures when there is nothing reusable."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task}]


def return_messages(
    goal: str, subgoal: str, steps: Sequence[Any], procedures: Sequence[Procedure]
) -> Messages:
    listed = json.dumps([procedure.model_dump() for procedure in procedures], indent=1)
    task = (
        f"Session goal: {goal or '(none given)'}\nSubgoal: {subgoal}\n\n{_step_lines(steps)}\n\n"
        f"Procedures:\n{listed}\n\nFor each procedure, in order, score in [0, 1] how well"
        " following it achieved its intent in this trajectory (scores)."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task}]


def merge_intent_messages(existing: str, new: str) -> Messages:
    task = (
        "Two descriptions of the same goal:\n"
        f"1. {existing}\n2. {new}\n\n"
        "Write one description (a short verb phrase, at most 12 words) covering both."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task}]
