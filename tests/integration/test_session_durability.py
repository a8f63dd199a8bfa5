"""A crash loses nothing: a process killed during extraction, with an operation queued, is
reopened; the job resumes and the session ends where it would have."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lore import Lore
from lore.config import load_settings
from lore.store.base import ItemFilter
from tests.session_helpers import FakeModels, fake_model_server, wait_for

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from lore import Lore

    db, llm, auto_commit = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "1"
    mem = Lore.open(db)
    mem.create_project("demo")
    mem.update_project("demo", auto_commit=auto_commit)
    sid = mem.start_session("Make the importer fast", project="demo", llm=llm)
    mem.append(sid, "The CSV importer takes 40 s for 10k rows", "Profiled it: one INSERT per row")
    mem.append(sid, "Batching made it 2 s, tests pass", "Used executemany in importer.py")
    mem.close(sid)
    queued = None if auto_commit else mem.commit_async(sid)
    print(json.dumps({"session": sid, "queued": queued}), flush=True)
    time.sleep(600)
    """
)


def run_child(tmp_path: Path, fake: FakeModels, auto_commit: bool) -> tuple[int, int | None]:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(tmp_path / "lore.db"),
            json.dumps(fake.llm()),
            "1" if auto_commit else "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        started = json.loads(child.stdout.readline())
        wait_for(lambda: fake.calls("SemanticExtraction") >= 1, timeout=30)  # mid-extraction
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    return started["session"], started["queued"]


@pytest.mark.slow
@pytest.mark.parametrize("auto_commit", [False, True])
def test_killed_during_extraction_then_reopened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auto_commit: bool
) -> None:
    # The default lease (120 s) is not waited out: the killed worker's process is gone.
    with fake_model_server() as fake:
        fake.delays["SemanticExtraction"] = 600.0  # the first process never sees an answer
        fake.answers["SemanticExtraction"] = {
            "facts": [
                {
                    "proposition": "The importer batches rows with executemany",
                    "concepts": ["importer"],
                }
            ]
        }
        sid, queued = run_child(tmp_path, fake, auto_commit)
        fake.delays.clear()
        with Lore.open(
            tmp_path / "lore.db",
            settings=load_settings(overrides={"database_url": str(tmp_path / "lore.db")}),
        ) as mem:
            assert mem.session_state(sid) == "extracting"
            wait_for(lambda: mem.session_state(sid) == "idle", timeout=30)
            project = mem.project("demo").id
            semantic = mem.store.graph.items(project, ItemFilter(kinds=("semantic",)))
            assert [n.body for n in semantic] == ["The importer batches rows with executemany"]
            assert mem.store.graph.count_items(project, ItemFilter(kinds=("episodic",))) == 2
            if queued is not None:  # the commit queued before the crash ran after the restart
                op = mem.store.ops.get(queued)
                assert (op.status, op.result) == ("done", "committed")


APPENDING = textwrap.dedent(
    """
    import json, sys, time
    from lore import Lore

    db, llm = sys.argv[1], json.loads(sys.argv[2])
    mem = Lore.open(db)
    mem.create_project("demo")
    sid = mem.start_session("Tidy the logs", project="demo", llm=llm)
    for n in range(3):
        mem.append_async(sid, f"Log line {n} is noisy", f"Lowered level {n}")
    print(json.dumps({"session": sid}), flush=True)
    time.sleep(600)
    """
)


@pytest.mark.slow
def test_steps_stored_before_a_crash_are_annotated_after_it(tmp_path: Path) -> None:
    with fake_model_server() as fake:
        fake.delays["StepAnnotation"] = 600.0
        script = tmp_path / "appending.py"
        script.write_text(APPENDING)
        db = tmp_path / "lore.db"
        child = subprocess.Popen(
            [sys.executable, str(script), str(db), json.dumps(fake.llm())],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            sid = json.loads(child.stdout.readline())["session"]
            wait_for(lambda: fake.calls("StepAnnotation") >= 1, timeout=30)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
            if child.stdout is not None:
                child.stdout.close()
        fake.delays.clear()
        fake.answers["StepAnnotation"] = {"state_summary": "quieter", "subgoal": "Quiet the logs"}
        with Lore.open(db, settings=load_settings(overrides={"database_url": str(db)})) as mem:
            assert mem.session_state(sid) == "collecting"  # the engine starts: it resumes
            wait_for(lambda: mem.store.steps.count_unannotated(sid) == 0, timeout=30)
            steps = mem.session_steps(sid)
            assert [s.seq for s in steps] == [1, 2, 3]
            assert all(s.subgoal == "Quiet the logs" and s.trajectory == 0 for s in steps)
            assert mem.session_state(sid) == "collecting"


FAILING_SCRIPT = textwrap.dedent(
    """
    import sys
    from lore import Lore

    mem = Lore.open(sys.argv[1])
    mem.create_project("demo")
    sid = mem.start_session("Fix the cache", project="demo")
    for n in range(30):  # annotations (the model embeds each subgoal) still running at exit
        mem.append_async(sid, f"The cache misses after deploy {n}", "Read the deploy script")
    raise RuntimeError("the script fails while the engine works")
    """
)


def test_a_script_that_fails_while_the_engine_works_exits_with_its_error(tmp_path: Path) -> None:
    script = tmp_path / "failing.py"
    script.write_text(FAILING_SCRIPT)
    ended = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "lore.db")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Not an abort (134, "terminate called without an active exception") at interpreter exit.
    assert ended.returncode == 1, ended.stderr[-2000:]
    assert "RuntimeError: the script fails while the engine works" in ended.stderr
    assert "terminate called" not in ended.stderr
