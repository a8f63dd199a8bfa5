"""Auto-commit: trajectories extracted and committed while the session collects (at a boundary,
after the trajectory idle timer), the session closed by its idle timer, and the async rules."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lore import Lore, SessionError
from lore.domain import Project
from lore.store.base import ItemFilter
from tests.session_helpers import FakeModels, fake_model_server, wait_for

EPISODIC = ItemFilter(kinds=("episodic",))
CACHE = [
    ("User asked about Redis cache eviction", "Explained the allkeys-lru policy"),
    ("It still evicts the session keys", "Moved sessions to a separate Redis database"),
]
OAUTH = ("How do I configure OAuth login with GitHub?", "Added ueberauth_github to mix.exs")


def committed_steps(lore: Lore) -> int:
    return lore.store.graph.count_items(lore.project("demo").id, EPISODIC)


def start(lore: Lore, **config: Any) -> int:
    return lore.start_session("Keep the app fast", project="demo", config=config or None)


def test_a_boundary_commits_the_finished_trajectory(lore: Lore, project: Project) -> None:
    sid = start(lore)
    for observation, action in CACHE:
        lore.append(sid, observation, action)
    assert committed_steps(lore) == 0
    step = lore.append(sid, *OAUTH)
    assert step.boundary and step.trajectory == 1
    wait_for(lambda: committed_steps(lore) == 2)
    assert lore.session_state(sid) == "collecting"
    lore.close(sid)
    wait_for(lambda: lore.session_state(sid) == "idle")
    assert committed_steps(lore) == 3
    assert all(c.status == "applied" for c in lore.store.changesets.for_session(sid))


def test_without_a_boundary_nothing_is_committed_while_collecting(
    lore: Lore, project: Project
) -> None:
    sid = start(lore)
    for observation, action in CACHE:
        lore.append(sid, observation, action)
    time.sleep(0.5)
    assert committed_steps(lore) == 0 and lore.session_state(sid) == "collecting"


def test_the_open_trajectory_is_extracted_after_the_idle_timer(
    lore: Lore, project: Project
) -> None:
    sid = start(lore, trajectory_idle_s=0.3)
    lore.append(sid, *CACHE[0])
    wait_for(lambda: committed_steps(lore) == 1)
    assert lore.session_state(sid) == "collecting"
    lore.append(sid, *CACHE[1])  # same trajectory, appended after the flush
    wait_for(lambda: committed_steps(lore) == 2)
    assert lore.session_state(sid) == "collecting"


def test_appending_resets_the_trajectory_timer(lore: Lore, project: Project) -> None:
    sid = start(lore, trajectory_idle_s=0.8)
    lore.append(sid, *CACHE[0])
    time.sleep(0.5)
    lore.append(sid, *CACHE[1])
    time.sleep(0.5)
    assert committed_steps(lore) == 0
    wait_for(lambda: committed_steps(lore) == 2)


def test_the_session_closes_after_the_idle_timer(lore: Lore, project: Project) -> None:
    sid = start(lore, trajectory_idle_s=60, session_idle_s=0.6)
    lore.append(sid, *CACHE[0])
    wait_for(lambda: lore.session_state(sid) == "idle")
    assert committed_steps(lore) == 1
    assert lore.store.episodes.latest(sid).status == "committed"


def test_no_timers_without_auto_commit(lore: Lore, project: Project) -> None:
    sid = start(lore, auto_commit=False, trajectory_idle_s=0.1, session_idle_s=0.2)
    lore.append(sid, *CACHE[0])
    time.sleep(0.6)
    assert lore.session_state(sid) == "collecting" and committed_steps(lore) == 0


def test_close_goes_straight_to_idle_when_everything_is_committed(
    lore: Lore, project: Project
) -> None:
    sid = start(lore, trajectory_idle_s=0.2)
    lore.append(sid, *CACHE[0])
    wait_for(lambda: committed_steps(lore) == 1)
    wait_for(lambda: not lore.store.extractions.running(sid))
    lore.close(sid)
    assert lore.session_state(sid) == "idle"


def test_auto_commit_skips_ready_and_makes_commit_async_invalid(
    lore: Lore, project: Project
) -> None:
    sid = start(lore)
    lore.append(sid, *CACHE[0])
    lore.close(sid)
    results: list[Any] = []
    if lore.session_state(sid) == "extracting":
        with pytest.raises(SessionError) as caught:
            lore.commit_async(sid)
        assert caught.value.reason == "invalid_queued_operation"
    lore.start_episode_async(sid, "Next goal", results.append)
    wait_for(lambda: results == ["started"])
    assert lore.session_state(sid) == "collecting"
    assert lore.store.episodes.latest(sid).goal == "Next goal"
    assert committed_steps(lore) == 1


def failed_trajectory_run(lore: Lore, fake: FakeModels) -> int:
    """A session whose first step's trajectory run failed (the model refused to extract)."""
    fake.failures["SemanticExtraction"] = 100
    sid = lore.start_session("g", project="demo", llm=fake.llm(), config={"trajectory_idle_s": 0.2})
    lore.append(sid, *CACHE[0])
    wait_for(lambda: [r.status for r in lore.store.extractions.for_session(sid)] == ["failed"])
    return sid


def test_a_failed_trajectory_run_waits_for_the_next_append(lore: Lore, project: Project) -> None:
    with fake_model_server() as fake:
        sid = failed_trajectory_run(lore, fake)
        time.sleep(0.8)  # several timer ticks: no new run for the same steps
        assert len(lore.store.extractions.for_session(sid)) == 1
        assert lore.session_state(sid) == "collecting"
        assert lore.store.steps.unclaimed(lore.store.episodes.open_for(sid).id)  # given back
        fake.failures.clear()
        lore.append(sid, *CACHE[1])
        wait_for(lambda: committed_steps(lore) == 2)


def test_retrying_a_failed_trajectory_job_resumes_it_with_its_own_steps(
    lore: Lore, project: Project
) -> None:
    with fake_model_server() as fake:
        sid = failed_trajectory_run(lore, fake)
        session = lore.session(sid)
        assert session.state.value == "collecting" and session.status.value == "failed"
        failed = lore.jobs.find(session_id=sid, limit=1)[0]
        assert failed.status.value == "failed"

        fake.failures.clear()
        assert lore.retry_job(failed.id).id == failed.id
        wait_for(lambda: committed_steps(lore) == 1)
        runs = lore.store.extractions.for_session(sid)
        assert [(r.status, r.job_id) for r in runs] == [
            ("failed", failed.id),
            ("succeeded", failed.id),
        ]
        assert [s.observation for s in lore.store.steps.claimed(runs[1].id)] == [CACHE[0][0]]
        assert lore.session(sid).status.value == "active"
        assert [job.id for job in lore.jobs.find(session_id=sid)] == [failed.id]


def test_the_idle_timer_waits_for_a_step_still_being_annotated(
    lore: Lore, project: Project
) -> None:
    with fake_model_server() as fake:
        sid = lore.start_session(
            "Keep the app fast", project="demo", llm=fake.llm(), config={"trajectory_idle_s": 0.3}
        )
        lore.append(sid, *CACHE[0])
        fake.delays["StepAnnotation"] = 1.5  # the next annotation (it scores the first step)
        lore.append_async(sid, *CACHE[1])
        wait_for(lambda: committed_steps(lore) == 2, timeout=20)
    first, second = lore.session_steps(sid)
    # One run took both: the timer did not take the first step while its reward was pending.
    assert first.extraction_id is not None and first.extraction_id == second.extraction_id
