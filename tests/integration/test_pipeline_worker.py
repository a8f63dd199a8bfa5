"""Workers as separate processes: a ``lore worker`` killed in the middle of a stage loses
nothing; once its lease runs out another worker takes the job and resumes at that stage, keeping
the stages that had finished. Several workers on one database never run a job twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lore import Lore
from lore.config import load_settings
from lore.domain.jobs import Job, JobStatus, StageStatus
from tests.fake_llm import FakeLLM, Reply, fake_llm_server, openai_chat
from tests.pipeline_helpers import items, shop_repo

LEASE_S = 2.0
pytestmark = pytest.mark.slow


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with fake_llm_server() as server:
        yield server


@pytest.fixture
def env(fake: FakeLLM, lore_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    settings = {
        "LORE_LLM_PROVIDER": "openai",
        "LORE_LLM_BASE_URL": fake.openai_url,
        "LORE_LLM_MODEL": "fake-model",
        "LORE_LLM_API_KEY": "test-key",
        "LORE_LLM__MAX_RETRIES": "0",
        "LORE_PIPELINE__IN_PROCESS_WORKER": "false",
        "LORE_PIPELINE__LEASE_S": str(LEASE_S),
        "LORE_PIPELINE__WORKER_POLL_S": "0.1",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return dict(os.environ)


def worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lore", "worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def queued_save(tmp_path: Path, save: dict[str, object]) -> tuple[Job, int, int]:
    """A saved session of the project 'shop' (its repository linked), closed, its job queued:
    the job, the session and the event."""
    repo = shop_repo(tmp_path / "shop")
    with Lore.open(settings=load_settings()) as lore:
        lore.create_project("shop", repo=str(repo.root))
        lore.update_project("shop", auto_learn=False)
        result = lore.capture_event("cli", "session_save", save, project="shop")
        session_id, event_id = result.session_ids[0], result.event_ids[0]
        lore.close(session_id)
        return lore.enrich(session_id), session_id, event_id


def test_a_worker_killed_mid_stage_loses_nothing(
    env: dict[str, str], fake: FakeLLM, tmp_path: Path
) -> None:
    job, session_id, event_id = queued_save(
        tmp_path,
        {
            "summary": "Users can now be deleted.",
            "changes": ["Added DELETE /users/{user_id}"],
            "files": ["app/api/users.py"],
        },
    )

    rewritten = {
        "facts": ["DELETE /users/{user_id} (delete_user in app/api/users.py) deletes a user."]
    }
    enrich_answer = {
        "items": [
            {
                "type": "implementation",
                "title": "Users can be deleted",
                "facts": ["Added DELETE /users/{user_id}."],
                "files": ["app/api/users.py"],
                "confidence": 0.9,
                "evidence": [{"event_id": event_id, "quote": "Added DELETE /users/{user_id}"}],
            }
        ]
    }
    fake.queue(
        openai_chat(json.dumps(enrich_answer)),
        Reply(
            body=openai_chat(json.dumps(rewritten)).body, delay_s=8.0
        ),  # the first worker dies waiting
        openai_chat(json.dumps(rewritten)),
    )

    first = worker(env, "--name", "first")
    try:
        wait_for(lambda: len(fake.requests) == 2)  # Enrich answered, Deep Enrich in flight
        with Lore.open(settings=load_settings()) as lore:
            running = lore.job(job.id)
        assert running.status is JobStatus.PROCESSING and running.lease_owner == "first"
        assert running.stage("enrich").status is StageStatus.COMPLETED
        assert running.stage("deep_enrich").status is StageStatus.ACTIVE
    finally:
        first.kill()
        first.communicate(timeout=30)

    time.sleep(LEASE_S + 0.5)  # the lease runs out: nobody renews it any more
    second = worker(env, "--name", "second", "--until-idle")
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err

    with Lore.open(settings=load_settings()) as lore:
        done = lore.job(job.id)
        assert done.status is JobStatus.COMPLETED, done
        assert done.attempts == 2 and done.lease_owner is None
        assert done.stage("enrich").runs == 1  # its stored output was kept
        assert done.stage("deep_enrich").runs == 2  # resumed where the first worker died
        (node,) = items(lore, "shop")
        assert node.data["facts"] == rewritten["facts"]
        assert node.data["deep_enrich"] == "llm:deep_enrich/1"
        assert lore.store.events.unenriched(session_id) == []
    assert len(fake.requests) == 3  # one Enrich call, two Deep Enrich calls


def test_several_workers_share_the_queue_and_run_each_job_once(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LORE_LLM_PROVIDER", "offline")
    for name in ("LORE_LLM_BASE_URL", "LORE_LLM_MODEL", "LORE_LLM_API_KEY"):
        monkeypatch.delenv(name)
    env = dict(os.environ)
    with Lore.open(settings=load_settings()) as lore:
        lore.create_project("demo")
        jobs = []
        for n in range(8):
            save = {"summary": f"Session {n}: tuned the cache TTL of endpoint /v{n} to {n * 10} s."}
            result = lore.capture_event("cli", "session_save", save, project="demo")
            lore.close(result.session_ids[0])
            jobs.append(lore.enrich(result.session_ids[0]).id)

    workers = [worker(env, "--name", f"w{n}", "--until-idle") for n in range(3)]
    for process in workers:
        _, err = process.communicate(timeout=180)
        assert process.returncode == 0, err

    with Lore.open(settings=load_settings()) as lore:
        done = [lore.job(job_id) for job_id in jobs]
        assert {job.status for job in done} == {JobStatus.COMPLETED}
        assert {job.attempts for job in done} == {1}  # no job was claimed twice
        assert len(items(lore)) == 8


def test_sigterm_hands_the_job_back_after_the_current_stage(
    env: dict[str, str], fake: FakeLLM, tmp_path: Path
) -> None:
    save = {"summary": "Users can now be deleted.", "files": ["app/api/users.py"]}
    job, _, event_id = queued_save(tmp_path, save)
    enrich_answer = {
        "items": [
            {
                "type": "implementation",
                "title": "Users can be deleted",
                "facts": ["Users can now be deleted."],
                "files": ["app/api/users.py"],
                "confidence": 0.9,
                "evidence": [{"event_id": event_id, "quote": "Users can now be deleted."}],
            }
        ]
    }
    deep = openai_chat(json.dumps({"facts": ["delete_user in app/api/users.py deletes a user."]}))
    fake.queue(openai_chat(json.dumps(enrich_answer)), Reply(body=deep.body, delay_s=3.0))

    first = worker(env, "--name", "first")
    try:
        wait_for(lambda: len(fake.requests) == 2)  # Deep Enrich in flight
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=60)
    finally:
        first.kill()
    assert first.returncode == 0, err
    assert "SIGTERM" in err

    with Lore.open(settings=load_settings()) as lore:
        handed = lore.job(job.id)
        assert handed.status is JobStatus.QUEUED and handed.lease_owner is None
        assert handed.stage("deep_enrich").status is StageStatus.COMPLETED  # finished first
        assert handed.next_stage == "embed"
    second = worker(env, "--name", "second", "--until-idle")
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    with Lore.open(settings=load_settings()) as lore:
        done = lore.job(job.id)
        assert done.status is JobStatus.COMPLETED and done.stage("deep_enrich").runs == 1
        assert len(items(lore, "shop")) == 1
    assert len(fake.requests) == 2
