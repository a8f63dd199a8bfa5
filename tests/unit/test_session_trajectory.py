"""Trajectory work without a model: the boundary rule, annotation, extraction and the changeset."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lore.extraction import offline_trajectory as offline
from lore.extraction import trajectory as extraction
from lore.extraction.prompts_trajectory import Fact, Procedure
from lore.extraction.trajectory import Knowledge, StepView, Trajectory


def unit_at(angle_cos: float) -> np.ndarray:
    """A unit vector whose cosine with (1, 0, 0) is ``angle_cos``."""
    return np.array([angle_cos, math.sqrt(1 - angle_cos**2), 0.0], dtype=np.float32)


def step(n: int, observation: str, action: str, **fields: object) -> StepView:
    values: dict[str, object] = {
        "state_summary": None,
        "subgoal": None,
        "reward": None,
        "trajectory": 0,
    }
    values.update(fields)
    return StepView(n, 100 + n, n, observation, action, **values)  # type: ignore[arg-type]


X = np.array([1.0, 0.0, 0.0], dtype=np.float32)


@pytest.mark.parametrize(
    ("similarity", "boundary"), [(0.749, True), (0.7499, True), (0.7501, False), (0.76, False)]
)
def test_a_new_trajectory_starts_below_075(similarity: float, boundary: bool) -> None:
    trajectory, found = extraction.next_trajectory((3, X), unit_at(similarity), 0.75)
    assert found is boundary
    assert trajectory == (4 if boundary else 3)


def test_the_first_step_opens_trajectory_zero() -> None:
    assert extraction.next_trajectory(None, X, 0.75) == (0, False)


def test_similarity_is_raw_cosine_not_rescaled() -> None:
    opposite = -X
    assert extraction.cosine(X, opposite) == pytest.approx(-1.0)
    assert extraction.cosine(X * 5, unit_at(0.5)) == pytest.approx(0.5, abs=1e-6)
    # (cos + 1) / 2 would make -0.4 look like 0.3; raw cosine keeps it a boundary at any threshold
    assert extraction.next_trajectory((0, X), unit_at(-0.4), 0.0)[1] is True


def test_offline_subgoal_stays_word_for_word_while_the_topic_continues() -> None:
    first = step(
        1, "User asked about Redis cache eviction", "Explained LRU", subgoal="Redis cache eviction"
    )
    assert offline.infer_subgoal("It still evicts hot keys", "Raised maxmemory", [first]) == (
        "Redis cache eviction"
    )
    assert offline.infer_subgoal("Which eviction policy keeps the cache warm?", "", [first]) == (
        "Redis cache eviction"
    )
    moved = offline.infer_subgoal(
        "How do I set up OAuth login with GitHub?", "Added ueberauth", [first]
    )
    assert moved == "Set up OAuth login with GitHub"


def test_a_later_question_changes_the_topic() -> None:
    first = step(
        1, "User asked about GenServer timeouts", "Explained call/3", subgoal="GenServer timeouts"
    )
    found = offline.infer_subgoal(
        "That works now, thanks. Now how do I deploy to Fly.io?", "Wrote fly.toml", [first]
    )
    assert found == "Deploy to Fly.io"


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("Tests pass now, thanks!", 0.75, 1.0),
        ("Still failing with a TypeError traceback", 0.0, 0.25),
        ("No errors this time", 0.75, 1.0),
        ("Here is the file", 0.45, 0.55),
    ],
)
def test_rewards_follow_what_came_after(text: str, low: float, high: float) -> None:
    assert low <= offline.score_outcome(text) <= high


def test_annotate_step_without_a_model_scores_the_previous_step() -> None:
    history = [step(1, "Run the tests", "pytest -x", subgoal="Run the tests")]
    found, error = extraction.annotate_step(None, "Ship it", history, "All tests pass", "Committed")
    assert found.subgoal == "Run the tests" and error is None  # no model: nothing failed
    assert found.previous_reward is not None and found.previous_reward >= 0.8
    first, _ = extraction.annotate_step(None, "Ship it", [], "Run the tests", "pytest -x")
    assert first.previous_reward is None


def test_batch_annotation_gives_one_per_step_and_rewards_from_the_next() -> None:
    steps = [
        step(n, obs, act)
        for n, (obs, act) in enumerate(
            [
                ("Build fails with ImportError", "pip install requests"),
                ("Build passes now", "Ran the tests"),
                ("Tests are green", "Opened a PR"),
            ]
            * 5
        )
    ]
    found = extraction.annotate_steps(None, "Fix the build", steps)
    assert [a.index for a in found] == list(range(15))
    assert found[0].reward is not None and found[0].reward >= 0.8  # "passes" followed it
    assert found[-1].reward is None


def test_offline_extraction_finds_facts_and_a_fix_procedure() -> None:
    steps = (
        step(
            1,
            "The CI job fails because Node 16 lacks fetch",
            "Set node-version: 16 in ci.yml",
            reward=0.1,
        ),
        step(
            2,
            "Still red: fetch is not defined",
            "Set node-version: 20 in .github/workflows/ci.yml",
            reward=0.9,
        ),
        step(3, "CI is green now", "Merged the fix", reward=0.8),
    )
    knowledge = extraction.extract_trajectory(
        None, "Fix CI", Trajectory(0, "Fix the CI job", steps)
    )
    propositions = [fact.proposition for fact in knowledge.facts]
    assert "The CI job fails because Node 16 lacks fetch" in propositions
    assert all(fact.concepts for fact in knowledge.facts)
    fix = knowledge.procedures[0]
    assert fix.instruction == "Set node-version: 20 in .github/workflows/ci.yml"
    assert "did not work" in fix.condition
    assert fix.intent == "Fix the CI job"
    assert len(knowledge.returns) == len(knowledge.procedures)
    assert all(0.0 <= score <= 1.0 for score in knowledge.returns)


def test_group_trajectories_takes_the_common_subgoal() -> None:
    steps = [
        step(1, "a", "a", trajectory=0, subgoal="Fix CI"),
        step(2, "b", "b", trajectory=0, subgoal="Fix CI"),
        step(3, "c", "c", trajectory=1, subgoal="Write docs"),
    ]
    found = extraction.group_trajectories(steps)
    assert [(t.index, t.subgoal, len(t.steps)) for t in found] == [
        (0, "Fix CI", 2),
        (1, "Write docs", 1),
    ]


def test_the_changeset_holds_every_node_and_link_kind() -> None:
    steps = (
        step(1, "obs one", "act one", subgoal="Goal A"),
        step(2, "obs two", "act two", subgoal="Goal A"),
    )
    knowledge = Knowledge(
        facts=[
            Fact(proposition="Redis is the cache", concepts=["Redis", "cache"], confidence=0.9),
            Fact(proposition="TTL is 60 s", concepts=["redis", "TTL"], confidence=0.6),
        ],
        procedures=[
            Procedure(
                instruction="Flush with FLUSHDB", condition="stale keys", intent="Clear the cache"
            )
        ],
        returns=[0.7],
    )
    changeset = extraction.build_changeset(
        5, 9, "Speed up", [Trajectory(0, "Goal A", steps)], [knowledge], auto_approve=0.8
    )
    kinds = [node.kind for node in changeset.nodes]
    assert kinds.count("episodic") == 2 and kinds.count("source") == 2
    assert kinds.count("subgoal") == 1 and kinds.count("semantic") == 2
    assert kinds.count("procedural") == 1 and kinds.count("intent") == 1
    assert kinds.count("tag") == 3  # Redis and redis are one tag
    links = {link.kind for link in changeset.links}
    assert links == {"hierarchical", "provenance", "membership", "sibling"}
    statuses = {node.body: node.status for node in changeset.nodes if node.kind == "semantic"}
    assert statuses == {"Redis is the cache": "approved", "TTL is 60 s": "draft"}
    procedural = next(node for node in changeset.nodes if node.kind == "procedural")
    assert procedural.data["return"] == 0.7 and "When stale keys" in procedural.body
    assert [e.event_id for e in procedural.evidence] == [101, 102]
    assert changeset.stats["trajectories"] == 1


def test_an_empty_extraction_is_zero_nodes() -> None:
    changeset = extraction.build_changeset(5, 9, "goal", [], [])
    assert changeset.nodes == [] and changeset.links == []
