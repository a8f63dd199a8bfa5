"""Memory items over REST on a real server on 127.0.0.1, and through the `lore items` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lore import Lore
from lore.domain import Project
from lore.domain.graph import Evidence, NodeDraft
from lore.server.app import create_app
from tests.graph_seed import apply_items
from tests.servers import running

TOKEN = "test-token"


@pytest.fixture
def client(lore: Lore, project: Project) -> Iterator[httpx.Client]:
    with running(create_app(lore, token=TOKEN)) as url:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(
            base_url=url + "/api/v1", headers=headers, params={"project": project.name}, timeout=30
        ) as http:
            yield http


@pytest.fixture
def seeded(lore: Lore, project: Project) -> list[int]:
    event = lore.capture_event("cli", "note", {"text": "we chose JWT"}, project=project)
    evidence = [Evidence(event_id=event.event_ids[0], quote="we chose JWT")]
    drafts = [
        NodeDraft(
            ref="jwt",
            kind="semantic",
            type="decision",
            title="Auth uses JWT",
            schema_key="root/backend/auth",
            tags=["auth"],
            files=["app/auth.py"],
            evidence=evidence,
        ),
        NodeDraft(ref="bug", kind="semantic", type="bug", title="Upload times out"),
    ]
    return apply_items(lore, project, drafts)


def test_list_and_show_items(client: httpx.Client, seeded: list[int]) -> None:
    jwt, bug = seeded
    listed = client.get("/items", params={"project": "demo"}).json()
    assert listed["total"] == 2 and {item["id"] for item in listed["items"]} == {jwt, bug}
    for filters in ({"type": "decision"}, {"tag": "auth"}, {"file": "app/auth.py"},
                    {"schema_key": "root/backend"}):  # fmt: skip
        found = client.get("/items", params={"project": "demo", **filters}).json()
        assert [item["id"] for item in found["items"]] == [jwt], filters
    paged = client.get("/items", params={"project": "demo", "limit": 1, "offset": 1}).json()
    assert (len(paged["items"]), paged["total"], paged["offset"]) == (1, 2, 1)
    bad = client.get("/items", params={"project": "demo", "status": "sleeping"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "status"
    shown = client.get(f"/items/{jwt}", params={"project": "demo"}).json()
    assert shown["item"]["title"] == "Auth uses JWT"
    assert [cited["quote"] for cited in shown["evidence"]] == ["we chose JWT"]
    assert shown["evidence"][0]["event"]["payload"] == {"text": "we chose JWT"}
    assert shown["history"][0]["what"] == "created"


def test_patch_validates_and_changes_fields(
    client: httpx.Client, lore: Lore, seeded: list[int]
) -> None:
    jwt, _ = seeded
    patched = client.patch(
        f"/items/{jwt}",
        json={
            "status": "approved",
            "title": "Auth uses signed JWT",
            "tags": ["auth", "jwt"],
            "confidence": 0.8,
        },
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["status"], patched.json()["tags"]) == ("approved", ["auth", "jwt"])
    assert lore.item(jwt).title == "Auth uses signed JWT"
    for body, field in (
        ({"schema_key": "Not A Key!"}, "schema_key"),
        ({"title": ""}, "title"),
        ({"status": None}, "status"),
        ({"confidence": 2}, "confidence"),
        ({"colour": "red"}, "colour"),
    ):
        refused = client.patch(f"/items/{jwt}", json=body)
        assert refused.status_code == 422, body
        assert refused.json()["error"]["field"] == field
    assert lore.item(jwt).status == "approved"


def test_another_projects_item_is_not_found(
    client: httpx.Client, lore: Lore, seeded: list[int]
) -> None:
    jwt, bug = seeded
    lore.create_project("other")
    scoped = {"project": "other"}
    assert client.get(f"/items/{jwt}", params=scoped).status_code == 404
    assert client.patch(f"/items/{jwt}", params=scoped, json={"title": "x"}).status_code == 404
    assert client.delete(f"/items/{jwt}", params=scoped).status_code == 404
    bulk = client.post("/items/bulk", params=scoped, json={"action": "approve", "ids": [jwt, bug]})
    assert bulk.status_code == 404
    assert client.get("/items", params=scoped).json()["total"] == 0
    assert {lore.item(i).status for i in seeded} == {"draft"}


def test_bulk_actions_and_delete(client: httpx.Client, lore: Lore, seeded: list[int]) -> None:
    jwt, bug = seeded
    demo = {"project": "demo"}
    deprecated = client.post(
        "/items/bulk", params=demo, json={"action": "deprecate", "ids": seeded, "reason": "old"}
    )
    assert deprecated.json() == {"action": "deprecate", "changed": 2}
    assert lore.item(bug).data["deprecated_reason"] == "old"
    unknown = client.post("/items/bulk", params=demo, json={"action": "promote", "ids": [jwt]})
    assert unknown.status_code == 422
    deleted = client.post("/items/bulk", params=demo, json={"action": "delete", "ids": [bug]})
    assert deleted.json()["changed"] == 1
    assert client.delete(f"/items/{jwt}").status_code == 204
    assert client.get(f"/items/{jwt}").status_code == 404
    assert client.get("/items", params=demo).json()["total"] == 0


def test_the_items_commands(tmp_path: Path, lore: Lore, seeded: list[int]) -> None:
    jwt, _ = seeded

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "lore", "items", *args]
        env = os.environ | {"COLUMNS": "200"}  # wide enough that titles are not wrapped
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env)

    listed = run("--project", "demo", "--type", "decision", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [item["id"] for item in json.loads(listed.stdout)["items"]] == [jwt]
    assert "Auth uses JWT" in run("--project", "demo").stdout
    shown = run("show", str(jwt))
    assert shown.returncode == 0 and "we chose JWT" in shown.stdout and "created" in shown.stdout
    changed = run("set", str(jwt), "--status", "approved")
    assert changed.returncode == 0, changed.stderr
    assert lore.item(jwt).status == "approved"
    refused = run("set", str(jwt), "--status", "sleeping")
    assert refused.returncode == 2 and "status" in refused.stderr
    assert run("show", "99999").returncode == 1
