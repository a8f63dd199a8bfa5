"""Jobs over REST and from the command line, against a real server on 127.0.0.1 (whose
in-process worker runs the jobs) and the real ``lore`` command."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lore import Lore
from lore.domain import Project
from lore.server import worker
from lore.server.app import create_app
from tests.servers import running

TOKEN = "test-token"
SAVE = {
    "summary": "Pinned numpy below 2 because onnxruntime 1.17 crashes with it.",
    "files": ["pyproject.toml"],
}


@pytest.fixture
def client(lore: Lore, project: Project) -> Iterator[httpx.Client]:
    app = create_app(lore, token=TOKEN, extensions=[worker.extend])
    with running(app) as url:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(
            base_url=url + "/api/v1", headers=headers, params={"project": project.name}, timeout=30
        ) as http:
            yield http


def saved_session(lore: Lore) -> int:
    """A closed session whose memory waits for Generate Memory (auto-learn off)."""
    lore.update_project("demo", auto_learn=False)
    result = lore.capture_event("cli", "session_save", SAVE, project="demo")
    lore.close(result.session_ids[0])
    return result.session_ids[0]


def finished(client: httpx.Client, job_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        job: dict[str, Any] = client.get(f"/jobs/{job_id}").json()
        if job["status"] in ("completed", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_generate_memory_over_rest_runs_in_the_servers_worker(
    client: httpx.Client, lore: Lore
) -> None:
    session_id = saved_session(lore)
    queued = client.post(f"/sessions/{session_id}/enrich")
    assert queued.status_code == 202
    body = queued.json()
    assert body["session_id"] == session_id and body["trigger"] == "manual"
    assert [stage["name"] for stage in body["stages"]] == [
        "enrich",
        "deep_enrich",
        "embed",
        "dedup",
        "drift",
    ]

    job = finished(client, body["id"])
    assert job["status"] == "completed" and job["items_extracted"] == 1
    assert job["next_stage"] is None and job["llm_calls"] == 0 and job["tokens"] == 0
    stages = {stage["name"]: stage for stage in job["stages"]}
    assert stages["deep_enrich"]["status"] == "skipped"
    assert stages["embed"]["duration_ms"] >= 0 and stages["embed"]["items"] == 1
    assert [j["id"] for j in client.get(f"/sessions/{session_id}/jobs").json()] == [job["id"]]
    assert [
        j["id"]
        for j in client.get("/jobs", params={"project": "demo", "status": "completed"}).json()
    ] == [job["id"]]


def failed_job(client: httpx.Client, lore: Lore) -> tuple[int, dict[str, Any]]:
    """A saved session and its job, failed in Embed: the project is embedded with another
    model than the configured one."""
    project = lore.project("demo")
    lore.store.projects.set_embedding_model(project.id, "another-model", 768)
    session_id = saved_session(lore)
    return session_id, finished(client, client.post(f"/sessions/{session_id}/enrich").json()["id"])


def test_a_failed_job_shows_its_error_and_retries_over_rest(
    client: httpx.Client, lore: Lore
) -> None:
    _, job = failed_job(client, lore)
    assert job["status"] == "failed" and job["error"].startswith("embed: EmbeddingMismatchError")
    embed = next(stage for stage in job["stages"] if stage["name"] == "embed")
    assert embed["status"] == "failed" and "Traceback" in embed["error_detail"]
    assert client.get("/jobs", params={"status": "failed"}).json()[0]["id"] == job["id"]

    lore.store.projects.set_embedding_model(lore.project("demo").id, "all-MiniLM-L6-v2", 384)
    retried = client.post(f"/jobs/{job['id']}/retry")
    assert retried.status_code == 202 and retried.json()["id"] == job["id"]
    done = finished(client, job["id"])
    assert done["status"] == "completed" and done["attempts"] == 2


def test_job_errors_over_rest(client: httpx.Client, lore: Lore) -> None:
    assert client.get("/jobs/999").status_code == 404
    assert client.post("/sessions/999/enrich").status_code == 404
    assert client.get("/sessions/999/jobs").status_code == 404
    bad = client.get("/jobs", params={"status": "sleeping"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "status"
    job = finished(client, client.post(f"/sessions/{saved_session(lore)}/enrich").json()["id"])
    assert client.post(f"/jobs/{job['id']}/retry").status_code == 409
    assert httpx.get(str(client.base_url) + "/jobs").status_code == 401


def lore_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lore", *args], capture_output=True, text=True, timeout=120
    )


def test_the_cli_enriches_lists_shows_and_retries(lore: Lore, project: Project) -> None:
    session_id = saved_session(lore)
    queued = lore_command("enrich", str(session_id), "--json")
    assert queued.returncode == 0, queued.stderr
    assert json.loads(queued.stdout)["status"] == "queued"

    waited = lore_command("enrich", str(session_id), "--wait", "--json")
    assert waited.returncode == 0, waited.stderr
    job = json.loads(waited.stdout)
    assert job["status"] == "completed" and job["items_extracted"] == 1

    listed = json.loads(lore_command("jobs", "--json", "--session", str(session_id)).stdout)
    assert [j["id"] for j in listed] == [job["id"]]
    shown = lore_command("jobs", "show", str(job["id"]))
    assert shown.returncode == 0 and "deep_enrich" in shown.stdout and "skipped" in shown.stdout
    refused = lore_command("retry", str(job["id"]))
    assert refused.returncode == 1 and "only a failed job retries" in refused.stderr
    idle = lore_command("worker", "--until-idle")
    assert idle.returncode == 0 and "ran 0 jobs" in idle.stdout


def test_a_failed_job_followed_by_another_is_not_retried_again(
    client: httpx.Client, lore: Lore
) -> None:
    session_id, first = failed_job(client, lore)
    assert first["status"] == "failed"
    later = lore.jobs.enqueue(session_id, "manual")  # Generate Memory again: a new job
    again = client.post(f"/jobs/{first['id']}/retry")
    assert again.status_code == 409
    assert f"followed by job {later.id}" in again.json()["error"]["message"]
    assert lore.jobs.find(session_id=session_id, limit=1)[0].id == later.id  # none added
