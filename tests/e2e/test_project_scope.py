"""Project scope on every REST route by id: another project's session, job or item is 404,
whatever the id, and a request that names no project on a server without one is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from lore import Lore
from lore.domain import Project
from lore.server import build_app
from tests.e2e.dashboard_support import wait_for_job
from tests.servers import running

TOKEN = "scope-token"
ID_PARAMS = {"session_id", "job_id", "item_id"}


@pytest.fixture
def others(lore: Lore) -> dict[str, int]:
    """A session, its job and an item of the project 'other'."""
    lore.create_project("other")
    result = lore.capture_event(
        "cli",
        "session_save",
        {"summary": "Billing retries use exponential backoff.", "decisions": ["Back off 2x"]},
        project="other",
    )
    session_id = result.session_ids[0]
    lore.close(session_id)
    job = wait_for_job(lore, session_id)
    item = lore.items("other").items[0]
    return {"session_id": session_id, "job_id": job.id, "item_id": item.id}


@pytest.fixture
def api(lore: Lore, project: Project) -> Iterator[tuple[httpx.Client, list[tuple[str, str]]]]:
    app = build_app(lore, token=TOKEN)
    routes = [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if ID_PARAMS & set(re.findall(r"{(\w+)}", path))
        for method in operations
    ]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with running(app) as url, httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        yield client, routes


def test_every_route_by_id_hides_another_projects_records(
    api: tuple[httpx.Client, list[tuple[str, str]]], others: dict[str, int], lore: Lore
) -> None:
    client, routes = api
    assert len(routes) >= 20  # sessions, engine, jobs and items
    before = (lore.session(others["session_id"]), lore.item(others["item_id"]))
    for method, path in routes:
        answer = client.request(method, path.format(**others), params={"project": "demo"}, json={})
        assert answer.status_code == 404, f"{method} {path}: {answer.status_code}"
        assert answer.json()["error"]["type"] == "NotFoundError"
    # Nothing was changed by the refused calls.
    assert (lore.session(others["session_id"]), lore.item(others["item_id"])) == before
    # The same ids in their own project are found.
    mine = {"project": "other"}
    assert client.get(f"/api/v1/sessions/{others['session_id']}", params=mine).status_code == 200
    assert client.get(f"/api/v1/items/{others['item_id']}", params=mine).status_code == 200
    assert client.get(f"/api/v1/jobs/{others['job_id']}", params=mine).status_code == 200


def test_a_request_naming_no_project_on_a_server_without_one_is_refused(
    api: tuple[httpx.Client, list[tuple[str, str]]], others: dict[str, int]
) -> None:
    client, _ = api
    answer = client.get(f"/api/v1/sessions/{others['session_id']}")
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "project"
