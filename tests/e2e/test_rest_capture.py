"""The REST API over a real uvicorn server: token, ingest, errors, sessions."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from lore import Lore
from lore.domain import Project
from lore.server import build_app
from tests.servers import running

TOKEN = "test-token-123"


@pytest.fixture
def api(lore: Lore, project: Project) -> Iterator[httpx.Client]:
    with (
        running(build_app(lore, token=TOKEN)) as url,
        httpx.Client(
            base_url=url,
            headers={"Authorization": f"Bearer {TOKEN}"},
            params={"project": project.name},
        ) as client,
    ):
        yield client


def event(text: str) -> dict[str, object]:
    return {"source": "api", "type": "note", "payload": {"text": text}}


def test_health_needs_no_token(api: httpx.Client) -> None:
    assert httpx.get(f"{str(api.base_url).rstrip('/')}/health").json() == {"status": "ok"}


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic dGVzdA=="])
def test_everything_else_needs_the_token(api: httpx.Client, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.post(
        f"{str(api.base_url).rstrip('/')}/api/v1/events",
        json=event("x") | {"project": "demo"},
        headers=headers,
    )
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "unauthorized"
    assert (
        httpx.get(f"{str(api.base_url).rstrip('/')}/openapi.json", headers=headers).status_code
        == 401
    )


def test_one_event_is_accepted_with_202(api: httpx.Client, lore: Lore) -> None:
    response = api.post("/api/v1/events", json=event("hello") | {"project": "demo"})
    assert response.status_code == 202
    body = response.json()
    assert len(body["event_ids"]) == 1 and body["session_id"] > 0
    assert lore.store.events.get(body["event_ids"][0]).payload == {"text": "hello"}


def test_a_batch_and_its_duplicate(api: httpx.Client) -> None:
    batch = {"project": "demo", "events": [event(str(i)) for i in range(100)]}
    first = api.post("/api/v1/events", json=batch).json()
    again = api.post("/api/v1/events", json=batch).json()
    assert again["event_ids"] == first["event_ids"]
    assert again["duplicates"] == 100


def test_a_bad_event_rejects_the_whole_batch(api: httpx.Client, lore: Lore) -> None:
    batch = {"project": "demo", "events": [event("ok"), {"source": "api", "type": "note"}]}
    response = api.post("/api/v1/events", json=batch)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "events[1].payload"
    assert lore.store.events.count() == 0


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{not json", 422, "body"),
        (b"[1, 2]", 422, "body"),
        (b'{"project": "nope", "source": "api", "type": "note", "payload": {"a": 1}}', 404, None),
        (b'{"project": "demo", "events": "x"}', 422, "events"),
    ],
)
def test_malformed_bodies_get_json_errors(
    api: httpx.Client, body: bytes, status: int, field: str | None
) -> None:
    response = api.post(
        "/api/v1/events", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    assert response.json()["error"]["field"] == field


def test_oversized_event_is_rejected(api: httpx.Client, lore: Lore) -> None:
    big = event("x" * (lore.settings.capture.max_payload_bytes + 10)) | {"project": "demo"}
    response = api.post("/api/v1/events", json=big)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "events[0].payload"


def test_sessions_list_show_and_close(api: httpx.Client) -> None:
    session_id = api.post("/api/v1/events", json=event("a") | {"project": "demo"}).json()[
        "session_id"
    ]
    listed = api.get("/api/v1/sessions", params={"project": "demo", "status": "active"}).json()
    assert [s["id"] for s in listed] == [session_id]
    shown = api.get(f"/api/v1/sessions/{session_id}").json()
    assert shown["session"]["event_count"] == 1 and shown["events"][0]["payload"] == {"text": "a"}
    closed = api.post(f"/api/v1/sessions/{session_id}/close").json()
    assert closed["status"] == "completed"
    assert api.post(f"/api/v1/sessions/{session_id}/close").status_code == 409
    assert api.get("/api/v1/sessions", params={"status": "bogus"}).status_code == 422


def test_projects_settings_are_validated(api: httpx.Client) -> None:
    ok = api.patch(
        "/api/v1/projects/demo", json={"settings": {"model_tier": "medium", "auto_learn": False}}
    )
    assert ok.status_code == 200 and ok.json()["settings"]["model_tier"] == "medium"
    bad = api.patch("/api/v1/projects/demo", json={"settings": {"model_tier": "huge"}})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "model_tier"
    assert api.get("/api/v1/projects/demo").json()["settings"]["model_tier"] == "medium"
