"""The session engine over REST, on a real server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from lore import Lore
from lore.domain import Project
from lore.server.app import create_app
from tests.servers import running
from tests.session_helpers import ManualRunner, wait_for

TOKEN = "test-token"


@pytest.fixture
def client(lore: Lore, project: Project) -> Iterator[httpx.Client]:
    with running(create_app(lore, token=TOKEN)) as url:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(
            base_url=url + "/api/v1", headers=headers, params={"project": project.name}, timeout=30
        ) as http:
            yield http


def test_a_session_over_rest(client: httpx.Client, lore: Lore) -> None:
    lore.update_project("demo", auto_commit=False)
    started = client.post("/sessions", json={"goal": "Fix the flaky test", "project": "demo"})
    assert started.status_code == 201 and started.json()["state"] == "collecting"
    sid = started.json()["session_id"]
    step = client.post(
        f"/sessions/{sid}/steps",
        json={"observation": "test_upload fails one run in ten", "action": "Pinned the clock"},
    )
    assert step.status_code == 201 and step.json()["subgoal"]
    queued = client.post(
        f"/sessions/{sid}/steps",
        json={"observation": "It passes 100 runs in a row now", "action": "Merged", "wait": False},
    )
    assert queued.status_code == 202 and queued.json()["step_id"]
    wait_for(lambda: lore.store.steps.count_unannotated(sid) == 0)
    assert len(client.get(f"/sessions/{sid}/steps").json()) == 2
    done = client.post(f"/sessions/{sid}/close-and-commit", json={"poll_interval": 0.02})
    assert done.status_code == 200 and done.json()["state"] == "idle"
    latest = client.get("/latest", params={"project": "demo", "top_k": 3})
    assert latest.status_code == 200 and len(latest.json()) == 3
    again = client.post(f"/sessions/{sid}/episodes", json={"goal": "Next"})
    assert again.json()["state"] == "collecting"
    found = client.post(f"/sessions/{sid}/recall", json={"query": "flaky test"})
    assert found.status_code == 200 and isinstance(found.json(), list)


def test_rejections_and_queued_operations_over_rest(client: httpx.Client, lore: Lore) -> None:
    lore.update_project("demo", auto_commit=False)
    runner = ManualRunner(lore.engine)
    lore.engine.use_runner(runner)
    sid = client.post("/sessions", json={"project": "demo"}).json()["session_id"]
    rejected = client.post(f"/sessions/{sid}/commit")
    assert rejected.status_code == 409
    assert rejected.json()["error"]["reason"] == "not_ready"
    assert client.post(f"/sessions/{sid}/close-episode").json()["state"] == "extracting"
    queued = client.post(f"/sessions/{sid}/commit", params={"async": "true"})
    assert queued.status_code == 202
    op_id = queued.json()["operation_id"]
    twice = client.post(f"/sessions/{sid}/commit", params={"async": "true"})
    assert twice.json()["error"]["reason"] == "invalid_queued_operation"
    unknown = client.post(f"/sessions/{sid}/operations", json={"op": "explode"})
    assert unknown.status_code == 409 and unknown.json()["error"]["reason"] == "invalid_operation"
    assert client.get(f"/sessions/{sid}/state").json()["queued"] == 1
    runner.finish()
    ops = client.get(f"/sessions/{sid}/operations").json()
    assert [(op["id"], op["status"], op["result"]) for op in ops] == [(op_id, "done", "committed")]
    assert client.get(f"/sessions/{sid}/state").json()["state"] == "idle"
