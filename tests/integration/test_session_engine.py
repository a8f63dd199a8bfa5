"""The session engine on a real SQLite store with the real local embedder: transitions,
rejections, appends, queued operations and close_and_commit."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from lore import Lore, SessionError
from lore.domain import Project, SessionState
from lore.errors import NotFoundError, ProviderError, SessionTimeoutError, ValidationError
from lore.sessions import OpResult, SessionEvent
from lore.store.base import ItemFilter
from tests.session_helpers import ManualRunner, ScriptedRunner, fake_model_server, wait_for

STEPS = [
    (
        "User asked why the Redis cache misses after deploys",
        "Explained that keys are namespaced by release",
    ),
    (
        "It still misses on the first request",
        "Warmed the cache in scripts/deploy.sh after migrations",
    ),
    ("Cache hit rate is back to normal, thanks", "Documented the warm-up in docs/deploy.md"),
]


@pytest.fixture
def manual(lore: Lore, project: Project) -> ManualRunner:
    lore.update_project(project.name, auto_commit=False)
    runner = ManualRunner(lore.engine)
    lore.engine.use_runner(runner)
    return runner


def reason_of(call: Any, *args: Any) -> str:
    with pytest.raises(SessionError) as caught:
        call(*args)
    return caught.value.reason


def collecting(lore: Lore, steps: int = 1, goal: str = "Fix cache misses") -> int:
    sid = lore.start_session(goal, project="demo")
    for observation, action in STEPS[:steps]:
        lore.append(sid, observation, action)
    return sid


def test_close_always_means_a_session_and_shutdown_means_lore(
    lore: Lore, manual: ManualRunner
) -> None:
    managed = collecting(lore)
    assert lore.close(managed).state is SessionState.EXTRACTING  # its episode is extracted
    captured = lore.capture_event("cli", "note", {"text": "Tabs"}, project="demo").session_ids[0]
    assert lore.close(captured).state is SessionState.IDLE  # takes no more events
    with pytest.raises(NotFoundError):
        lore.close(None)  # type: ignore[arg-type]  # a missing id is an error, not a shutdown
    assert lore.session(managed).id == managed  # lore still open
    assert not hasattr(Lore, "close_session") and not hasattr(Lore, "close_episode")


def extracting(lore: Lore, manual: ManualRunner) -> int:
    sid = collecting(lore)
    lore.close(sid)
    assert lore.session_state(sid) == "extracting"
    return sid


def ready(lore: Lore, manual: ManualRunner) -> int:
    sid = extracting(lore, manual)
    manual.finish()
    assert lore.session_state(sid) == "ready"
    return sid


def failed(lore: Lore, manual: ManualRunner) -> int:
    sid = extracting(lore, manual)
    manual.fail("model unavailable")
    assert lore.session_state(sid) == "failed"
    return sid


def idle(lore: Lore, manual: ManualRunner) -> int:
    sid = ready(lore, manual)
    lore.commit(sid)
    return sid


# Transitions


def test_start_session_collects_and_states_are_strings(lore: Lore, project: Project) -> None:
    sid = lore.start_session("Explore caching strategies", project="demo")
    state = lore.session_state(sid)
    assert state == "collecting" and isinstance(state, SessionState)
    assert lore.session(sid).goal == "Explore caching strategies"


def test_the_whole_manual_cycle(lore: Lore, manual: ManualRunner) -> None:
    sid = collecting(lore, steps=3)
    lore.close(sid)
    assert lore.session_state(sid) == "extracting"
    manual.finish()
    assert lore.session_state(sid) == "ready"
    project_id = lore.project("demo").id
    assert lore.store.graph.count_items(project_id, ItemFilter(kinds=("episodic",))) == 0
    lore.commit(sid)
    assert lore.session_state(sid) == "idle"
    assert lore.store.graph.count_items(project_id, ItemFilter(kinds=("episodic",))) == 3
    assert lore.session(sid).items_extracted > 0
    lore.start_episode(sid, "Next goal")
    assert lore.session_state(sid) == "collecting"
    episodes = lore.store.episodes.for_session(sid)
    assert [e.status for e in episodes] == ["committed", "open"]
    assert episodes[-1].goal == "Next goal"


def test_failed_commit_retries_and_discard_drops(lore: Lore, manual: ManualRunner) -> None:
    sid = failed(lore, manual)
    assert lore.session(sid).error == "model unavailable"
    lore.commit(sid)
    assert lore.session_state(sid) == "extracting"
    retry = manual.last
    assert len(lore.store.steps.claimed(retry.id)) == 1  # the failed run gave its step back
    manual.fail("again")
    lore.discard(sid)
    assert lore.session_state(sid) == "idle"
    assert lore.store.episodes.latest(sid).status == "discarded"


def test_discard_from_ready_drops_the_changeset(lore: Lore, manual: ManualRunner) -> None:
    sid = ready(lore, manual)
    lore.discard(sid)
    assert lore.session_state(sid) == "idle"
    assert [c.status for c in lore.store.changesets.for_session(sid)] == ["discarded"]
    assert (
        lore.store.graph.count_items(lore.project("demo").id, ItemFilter(kinds=("episodic",))) == 0
    )


def test_an_empty_episode_extracts_to_zero_nodes(lore: Lore, manual: ManualRunner) -> None:
    sid = lore.start_session("nothing", project="demo")
    lore.close(sid)
    manual.finish()
    assert lore.session_state(sid) == "ready"
    lore.commit(sid)
    assert (
        lore.store.graph.count_items(lore.project("demo").id, ItemFilter(kinds=("episodic",))) == 0
    )


# Rejections, state by state


def test_rejections_in_idle(lore: Lore, manual: ManualRunner) -> None:
    sid = idle(lore, manual)
    assert reason_of(lore.append, sid, "o", "a") == "not_collecting"
    assert reason_of(lore.close, sid) == "not_collecting"
    assert reason_of(lore.commit, sid) == "not_ready"
    assert reason_of(lore.discard, sid) == "not_discardable"


def test_rejections_in_collecting(lore: Lore, manual: ManualRunner) -> None:
    sid = collecting(lore)
    assert reason_of(lore.start_episode, sid, "again") == "not_idle"
    assert reason_of(lore.commit, sid) == "not_ready"
    assert reason_of(lore.discard, sid) == "not_discardable"


def test_rejections_while_extracting(lore: Lore, manual: ManualRunner) -> None:
    sid = extracting(lore, manual)
    assert lore.session_busy(sid) == "extraction_in_progress"
    for call, args in (
        (lore.append, (sid, "o", "a")),
        (lore.close, (sid,)),
        (lore.commit, (sid,)),
        (lore.discard, (sid,)),
        (lore.start_episode, (sid, "g")),
    ):
        assert reason_of(call, *args) == "extraction_in_progress"


def test_rejections_in_ready_and_failed(lore: Lore, manual: ManualRunner) -> None:
    sid = ready(lore, manual)
    assert lore.session_busy(sid) == "not_idle"
    assert reason_of(lore.append, sid, "o", "a") == "not_idle"
    assert reason_of(lore.close, sid) == "not_idle"
    assert reason_of(lore.start_episode, sid, "g") == "not_idle"
    other = failed(lore, manual)
    assert reason_of(lore.append, other, "o", "a") == "session_failed"
    assert reason_of(lore.close, other) == "session_failed"
    assert reason_of(lore.start_episode, other, "g") == "session_failed"


def test_close_while_steps_are_annotated_is_append_in_progress(
    lore: Lore, project: Project
) -> None:
    with fake_model_server() as fake:
        fake.delays["StepAnnotation"] = 1.0
        fake.answers["StepAnnotation"] = {"state_summary": "s", "subgoal": "Fix the cache"}
        sid = lore.start_session("g", project="demo", llm=fake.llm())
        lore.append_async(sid, "first", "one")
        assert lore.session_busy(sid) == "append_in_progress"  # asked before trying
        assert reason_of(lore.close, sid) == "append_in_progress"
        wait_for(lambda: lore.store.steps.count_unannotated(sid) == 0)
        assert lore.session_busy(sid) is None
        lore.close(sid)


def test_an_unknown_operation_is_invalid(lore: Lore, project: Project) -> None:
    sid = collecting(lore)
    assert reason_of(lore.engine.queue.submit, sid, "explode", {}, None) == "invalid_operation"


# Appends


def test_append_annotates_stores_an_event_and_redacts(lore: Lore, project: Project) -> None:
    sid = lore.start_session("g", project="demo")
    step = lore.append(
        sid, "Deploy failed: token ghp_" + "a" * 36 + " rejected", "Rotated the token"
    )
    assert step.annotated and step.subgoal and step.state_summary
    assert step.trajectory == 0 and step.boundary is False
    assert "ghp_" not in step.observation and "[REDACTED]" in step.observation
    event = lore.store.events.get(step.event_id)
    assert event.type == "step" and event.session_id == sid
    assert lore.session(sid).event_count == 1


def test_appends_of_one_session_run_in_order(lore: Lore, project: Project) -> None:
    sid = lore.start_session("g", project="demo")
    done: list[int] = []
    for n in range(6):
        lore.append_async(
            sid,
            f"observation {n} about the parser",
            f"action {n}",
            callback=lambda s: done.append(s.seq),
        )
    last = lore.append(sid, "final observation about the parser", "final action")
    assert last.seq == 7
    wait_for(lambda: len(done) == 6)
    assert done == [1, 2, 3, 4, 5, 6]
    rewards = [s.reward for s in lore.session_steps(sid)]
    assert all(r is not None for r in rewards[:-1]) and rewards[-1] is None


def test_append_times_out_but_the_step_stays(lore: Lore, project: Project) -> None:
    with fake_model_server() as fake:
        fake.delays["StepAnnotation"] = 1.5
        fake.answers["StepAnnotation"] = {"state_summary": "s", "subgoal": "Slow"}
        sid = lore.start_session("g", project="demo", llm=fake.llm(timeout_s=10))
        with pytest.raises(SessionTimeoutError) as caught:
            lore.append(sid, "o", "a", timeout=0.2)
        assert caught.value.reason == "append_timeout" and isinstance(caught.value, TimeoutError)
        wait_for(lambda: lore.store.steps.count_unannotated(sid) == 0)
        assert lore.session_steps(sid)[0].subgoal == "Slow"


def test_an_llm_annotates_and_scores_the_previous_step(lore: Lore, project: Project) -> None:
    with fake_model_server() as fake:
        fake.answers["StepAnnotation"] = {
            "state_summary": "Cache warmed",
            "subgoal": "Keep the cache warm",
            "previous_reward": 0.9,
        }
        sid = lore.start_session("g", project="demo", llm=fake.llm())
        lore.append(sid, "o1", "a1")
        second = lore.append(sid, "o2", "a2")
        assert second.subgoal == "Keep the cache warm" and second.state_summary == "Cache warmed"
        assert lore.session_steps(sid)[0].reward == 0.9
        assert fake.calls("StepAnnotation") == 2


def test_a_failing_llm_falls_back_to_the_rules_at_append(lore: Lore, project: Project) -> None:
    with fake_model_server() as fake:
        fake.failures["StepAnnotation"] = 5
        sid = lore.start_session("g", project="demo", llm=fake.llm())
        step = lore.append(sid, "User asked about flaky tests", "Added retries")
        assert step.subgoal == "Flaky tests"


def test_per_session_overrides_are_checked_and_stored(lore: Lore, project: Project) -> None:
    sid = lore.start_session(
        "g", project="demo", config={"auto_commit": False, "trajectory_idle_s": 5}
    )
    assert lore.session(sid).overrides == {"config": {"auto_commit": False, "trajectory_idle_s": 5}}
    with pytest.raises(ValidationError):
        lore.start_session("g", project="demo", config={"no_such_setting": 1})
    with pytest.raises(ValidationError):
        lore.start_session("g", project="demo", llm={"timeout_s": "soon"})


def test_a_session_stores_no_api_key_only_the_name_of_its_variable(
    lore: Lore, project: Project
) -> None:
    for llm in ({"api_key": "sk-x"}, {"fallbacks": [{"model": "m", "api_key": "sk-x"}]}):
        with pytest.raises(ValidationError, match="api_key_env"):
            lore.start_session("g", project="demo", llm=llm)
    sid = lore.start_session("g", project="demo", embedding={"api_key_env": "TEAM_EMBED_KEY"})
    assert lore.session(sid).overrides == {"embedding": {"api_key_env": "TEAM_EMBED_KEY"}}


# Queued operations


def test_async_ops_run_at_once_when_the_session_is_free(lore: Lore, manual: ManualRunner) -> None:
    sid = ready(lore, manual)
    results: list[Any] = []
    op_id = lore.commit_async(sid, results.append)
    assert results == ["committed"] and isinstance(results[0], OpResult)
    assert results[0].op_id == op_id and lore.session_state(sid) == "idle"
    assert reason_of(lore.commit_async, sid) == "not_ready"  # the sync rule, at once


def test_queue_while_extracting_then_drain_in_order(lore: Lore, manual: ManualRunner) -> None:
    sid = extracting(lore, manual)
    results: list[Any] = []
    lore.commit_async(sid, results.append)
    lore.start_episode_async(sid, "Next goal", results.append)
    assert results == [] and lore.session_state(sid) == "extracting"
    manual.finish()
    wait_for(lambda: len(results) == 2)
    assert results == ["committed", "started"]
    assert lore.session_state(sid) == "collecting"
    ops = lore.session_operations(sid)
    assert [(op.op, op.status, op.result) for op in reversed(ops)] == [
        ("commit", "done", "committed"),
        ("start_episode", "done", "started"),
    ]


def test_two_commits_in_a_row_are_rejected(lore: Lore, manual: ManualRunner) -> None:
    sid = extracting(lore, manual)
    lore.commit_async(sid)
    assert reason_of(lore.commit_async, sid) == "invalid_queued_operation"
    assert reason_of(lore.discard_async, sid) == "invalid_queued_operation"


def test_at_most_five_pending(lore: Lore, manual: ManualRunner) -> None:
    sid = extracting(lore, manual)
    lore.commit_async(sid)
    lore.start_episode_async(sid, "two")
    lore.close_async(sid)
    lore.commit_async(sid)
    lore.start_episode_async(sid, "three")
    assert reason_of(lore.close_async, sid) == "pending_queue_full"
    assert len(lore.store.ops.pending(sid)) == 5


def test_extraction_failure_reaches_every_queued_callback(lore: Lore, manual: ManualRunner) -> None:
    sid = extracting(lore, manual)
    results: list[Any] = []
    lore.commit_async(sid, results.append)
    lore.start_episode_async(sid, "next", results.append)
    manual.fail("boom")
    assert [type(r) for r in results] == [SessionError, SessionError]
    assert [r.reason for r in results] == ["extraction_failed", "extraction_failed"]
    assert {op.reason for op in lore.session_operations(sid)} == {"extraction_failed"}
    assert lore.session_state(sid) == "failed"


def test_a_failed_queued_op_fails_those_after_it(lore: Lore, project: Project) -> None:
    runner = ManualRunner(lore.engine)
    lore.engine.use_runner(runner)
    sid = collecting(lore)
    lore.close(sid)  # auto-commit: extraction will end in idle
    results: list[Any] = []
    lore.start_episode_async(sid, "next", results.append)
    lore.close_async(sid, results.append)
    lore.update_project("demo", auto_commit=False)  # ...but now it will end in ready
    runner.finish()
    assert lore.session_state(sid) == "ready"
    assert [r.reason for r in results] == ["not_idle", "preceding_op_failed"]
    ops = sorted(lore.session_operations(sid), key=lambda op: op.id)
    assert [(op.status, op.reason) for op in ops] == [
        ("failed", "not_idle"),
        ("failed", "preceding_op_failed"),
    ]


def test_appends_in_flight_make_close_async_queue(lore: Lore, project: Project) -> None:
    lore.update_project("demo", auto_commit=False)
    with fake_model_server() as fake:
        fake.delays["StepAnnotation"] = 0.5
        fake.answers["StepAnnotation"] = {"state_summary": "s", "subgoal": "Queue test"}
        sid = lore.start_session("g", project="demo", llm=fake.llm())
        lore.append_async(sid, "o", "a")
        results: list[Any] = []
        lore.close_async(sid, results.append)
        lore.commit_async(sid, results.append)
        assert results == [] and lore.session_state(sid) == "collecting"
        wait_for(lambda: len(results) == 2, timeout=15)
    assert results == ["closed", "committed"]
    assert lore.session_state(sid) == "idle"


# close_and_commit


def test_close_and_commit_offline(lore: Lore, project: Project) -> None:
    lore.update_project("demo", auto_commit=False)
    sid = collecting(lore, steps=3)
    lore.close_and_commit(sid)
    assert lore.session_state(sid) == "idle"
    assert lore.latest("demo", top_k=3)


def test_close_and_commit_with_auto_commit(lore: Lore, project: Project) -> None:
    sid = collecting(lore, steps=2)
    lore.close_and_commit(sid)
    assert lore.session_state(sid) == "idle"
    assert lore.store.changesets.for_session(sid)[-1].status == "applied"


@pytest.mark.parametrize("auto_commit", [False, True])
def test_close_and_commit_retries_failed_extractions(
    lore: Lore, project: Project, auto_commit: bool
) -> None:
    lore.update_project("demo", auto_commit=auto_commit)
    runner = ScriptedRunner(lore.engine, [False, False, True])
    lore.engine.use_runner(runner)
    sid = collecting(lore)
    lore.close_and_commit(sid, max_retries=2, poll_interval=0.01)
    assert lore.session_state(sid) == "idle"
    assert len(runner.started) == 3


def test_close_and_commit_gives_up_after_max_retries(lore: Lore, project: Project) -> None:
    runner = ScriptedRunner(lore.engine, [False, False, False])
    lore.engine.use_runner(runner)
    sid = collecting(lore)
    with pytest.raises(SessionError) as caught:
        lore.close_and_commit(sid, max_retries=2, poll_interval=0.01)
    assert caught.value.reason == "extraction_failed"
    assert lore.session_state(sid) == "failed"


def test_close_and_commit_times_out(lore: Lore, project: Project) -> None:
    runner = ScriptedRunner(lore.engine, [None])
    lore.engine.use_runner(runner)
    sid = collecting(lore)
    with pytest.raises(SessionTimeoutError) as caught:
        lore.close_and_commit(sid, max_polls=5, poll_interval=0.01)
    assert caught.value.reason == "extraction_timeout"
    assert lore.session_state(sid) == "extracting"


# Events and context


def test_observers_see_transitions_steps_changesets_and_failures(
    lore: Lore, manual: ManualRunner
) -> None:
    events: list[SessionEvent] = []
    lore.observe(events.append)
    sid = collecting(lore, steps=2)
    lore.close(sid)
    manual.fail("first try")
    lore.commit(sid)
    manual.finish()
    lore.commit(sid)
    transitions = [(e.data["from"], e.data["to"]) for e in events if e.kind == "session_transition"]
    assert transitions == [
        ("idle", "collecting"),
        ("collecting", "extracting"),
        ("extracting", "failed"),
        ("failed", "extracting"),
        ("extracting", "ready"),
        ("ready", "idle"),
    ]
    appended = [e.data for e in events if e.kind == "step_appended"]
    assert [(d["seq"], d["trajectory"], d["boundary"]) for d in appended] == [
        (1, 0, False),
        (2, 0, False),
    ]
    failures = [e for e in events if e.kind == "extraction_failed"]
    assert failures[0].data["error"] == "first try"
    applied = [e for e in events if e.kind == "changeset_applied"]
    assert len(applied) == 1 and applied[0].data["node_ids"]
    assert all(e.session_id == sid for e in events)


def test_recall_in_context_prefixes_goal_and_last_three_steps(lore: Lore, project: Project) -> None:
    sid = lore.start_session("Speed up the build", project="demo")
    for n in range(5):
        lore.append(sid, f"observation {n}", f"action {n}")
    query = lore.query_in_context(sid, "What caches exist?")
    lines = query.splitlines()
    assert lines[0] == "Speed up the build"
    assert lines[1:4] == [f"observation {n} -> action {n}" for n in (2, 3, 4)]
    assert lines[-1] == "What caches exist?"
    assert isinstance(lore.recall_in_context("demo", sid, "What caches exist?"), list)


def test_latest_lists_committed_nodes_newest_first(lore: Lore, project: Project) -> None:
    assert lore.latest("demo", 5) == []
    lore.update_project("demo", auto_commit=False)
    sid = collecting(lore, steps=3)
    lore.close_and_commit(sid)
    found = lore.latest("demo", 4)
    assert len(found) == 4
    assert {node.kind for node in found} <= {"semantic", "procedural", "episodic"}
    assert [n.created_at for n in found] == sorted((n.created_at for n in found), reverse=True)


@pytest.fixture
def two_threads() -> Iterator[list[threading.Thread]]:
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join(5)


def test_concurrent_sessions_do_not_block_each_other(
    lore: Lore, project: Project, two_threads: list[threading.Thread]
) -> None:
    sids = [lore.start_session(f"goal {n}", project="demo") for n in range(2)]
    errors: list[BaseException] = []

    def work(sid: int) -> None:
        try:
            for n in range(4):
                lore.append(sid, f"session {sid} observation {n}", f"action {n}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for sid in sids:
        two_threads.append(threading.Thread(target=work, args=(sid,)))
        two_threads[-1].start()
    for thread in two_threads:
        thread.join(30)
    assert errors == []
    assert [len(lore.session_steps(sid)) for sid in sids] == [4, 4]


def angle(degrees: float) -> list[float]:
    return [math.cos(math.radians(degrees)), math.sin(math.radians(degrees)), 0.0]


def test_the_075_rule_on_real_appends(lore: Lore, project: Project) -> None:
    """Subgoal vectors from an embedding server: a new trajectory exactly where the cosine of
    consecutive subgoals drops below 0.75."""
    b = math.degrees(math.acos(0.76))
    c = b + math.degrees(math.acos(0.74))
    d = c + math.degrees(math.acos(0.7501))
    with fake_model_server() as fake:
        fake.vectors = {
            "Alpha": angle(0),
            "Bravo": angle(b),
            "Charlie": angle(c),
            "Delta": angle(d),
        }
        sid = lore.start_session("g", project="demo", embedding=fake.embedding())
        steps = [lore.append(sid, name, "ok") for name in ("Alpha", "Bravo", "Charlie", "Delta")]
    assert [s.subgoal for s in steps] == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert [(s.trajectory, s.boundary) for s in steps] == [
        (0, False),
        (0, False),
        (1, True),
        (1, False),
    ]


def test_close_and_commit_waits_for_a_trajectory_still_extracting(
    lore: Lore, manual: ManualRunner, two_threads: list[threading.Thread]
) -> None:
    lore.update_project("demo", auto_commit=True)
    sid = lore.start_session("Tidy the project", project="demo")
    lore.append(
        sid, "The Redis cache misses after every deploy", "Namespaced cache keys by release"
    )
    lore.append(sid, "Invoice PDFs round totals wrongly", "Stored money as integer cents")
    assert len(manual.started) == 1  # auto-commit: the first trajectory extracts while collecting
    assert reason_of(lore.close, sid) == "extraction_in_progress"
    stop = threading.Event()

    def finish_each_run_a_little_later() -> None:
        finished = 0
        while not stop.is_set():
            if len(manual.started) > finished:
                stop.wait(0.1)
                manual.finish(manual.started[finished])
                finished += 1
            stop.wait(0.01)

    two_threads.append(threading.Thread(target=finish_each_run_a_little_later))
    two_threads[-1].start()
    try:
        lore.close_and_commit(sid, poll_interval=0.01)
    finally:
        stop.set()
    assert lore.session_state(sid) == "idle"
    assert len(manual.started) == 2  # the waiting trajectory, then the rest at close


def test_a_model_that_fails_to_annotate_is_recorded_on_the_step_and_told_to_observers(
    lore: Lore, project: Project
) -> None:
    events: list[SessionEvent] = []
    lore.observe(events.append)
    with fake_model_server() as fake:
        fake.failures["StepAnnotation"] = 1
        sid = lore.start_session("Fix the cache", project="demo", llm=fake.llm())
        step = lore.append(sid, "The Redis cache misses after deploys", "Read the deploy script")
    assert step.annotated and step.subgoal  # the rules annotated it: the append went on
    assert step.annotation_error is not None and "scripted failure" in step.annotation_error
    appended = [e for e in events if e.kind == "step_appended" and e.session_id == sid]
    assert appended[-1].data["annotation_error"] == step.annotation_error


def test_annotation_failures_can_fail_the_append_as_mnemosyne_does(
    lore: Lore, project: Project
) -> None:
    with fake_model_server() as fake:
        fake.failures["StepAnnotation"] = 1
        sid = lore.start_session(
            "Fix the cache",
            project="demo",
            llm=fake.llm(),
            config={"annotation_failure": "raise"},
        )
        with pytest.raises(ProviderError, match="scripted failure"):
            lore.append(sid, "The Redis cache misses after deploys", "Read the deploy script")
        assert lore.session_steps(sid) == []  # the step went with its annotation
        assert lore.append(sid, "It misses again", "Namespaced the keys").annotation_error is None
