"""Inputs that once made the server answer 500 (or accept a record that broke a page for ever):
each is now a 4xx with the JSON error body, and what was stored before stays readable."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from lore import Lore
from lore.domain import Project
from lore.server import build_app
from tests.servers import running

TOKEN = "bad-input-token"


@pytest.fixture
def api(lore: Lore, project: Project) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with (
        running(build_app(lore, token=TOKEN)) as url,
        httpx.Client(base_url=url, headers=headers, params={"project": "demo"}) as client,
    ):
        yield client


def note(**fields: object) -> dict[str, object]:
    return {"project": "demo", "source": "api", "type": "note", "payload": {"text": "x"}, **fields}


def refused(response: httpx.Response, status: int = 422) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    return str(error["message"])


@pytest.mark.parametrize(
    "body",
    [
        '{"project": "demo", "payload": ' + "[" * 500 + "]" * 500 + "}",
        '{"project": "demo", "source": "api", "type": "note", "payload": {"text": "\\ud800"}}',
        '{"project": "demo", "source": "api", "type": "note", "payload": {}, "session_id": '
        + "9" * 5000
        + "}",
    ],
    ids=["nested-500-deep", "lone-surrogate", "5000-digit-integer"],
)
def test_malformed_json_is_refused(api: httpx.Client, body: str) -> None:
    headers = {"content-type": "application/json"}
    refused(api.post("/api/v1/events", content=body, headers=headers))
    refused(api.post("/api/v1/search", content=body, headers=headers))


@pytest.mark.parametrize("when", [1e308, "Infinity", "NaN", -1, 1.7e12])
def test_event_times_must_be_real_unix_seconds(api: httpx.Client, when: object) -> None:
    body = f'{{"project": "demo", "source": "api", "type": "note", "payload": {{"t": 1}}, "occurred_at": {when}}}'
    refused(api.post("/api/v1/events", content=body, headers={"content-type": "application/json"}))


def test_ids_and_pages_beyond_64_bits_are_refused(api: httpx.Client) -> None:
    huge = 2**64
    assert "less than or equal" in refused(api.get(f"/api/v1/sessions/{huge}"))
    refused(api.get("/api/v1/sessions", params={"offset": huge}))
    refused(api.post("/api/v1/events", json=note(session_id=huge)))
    refused(api.post("/api/v1/items/bulk", json={"action": "approve", "ids": [huge]}))


def test_odd_project_references_are_not_found(api: httpx.Client) -> None:
    for project in ("²", "9" * 40, "-3"):
        assert api.get("/api/v1/sessions", params={"project": project}).status_code == 404
    refused(api.post("/api/v1/events", json=note(project=["demo"])))


def test_json_endpoints_take_only_json(api: httpx.Client) -> None:
    """What a page of another site can send without asking (a no-cors fetch) is text/plain."""
    sent = api.post(
        "/api/v1/events",
        content='{"project": "demo", "source": "x", "type": "note", "payload": {"t": 1}}',
        headers={"content-type": "text/plain"},
    )
    assert "application/json" in refused(sent, 415)


def test_a_body_past_the_limit_is_refused_while_it_streams(api: httpx.Client, lore: Lore) -> None:
    """Over a real server; tests/unit/test_body_limits.py shows the rest is never read."""

    def chunks() -> Iterator[bytes]:
        yield b'{"project": "demo", "events": ["'
        for _ in range(64):  # 64 MiB if it were all read
            yield b"x" * (1024 * 1024)
        yield b'"]}'

    try:
        response = api.post(
            "/api/v1/events", content=chunks(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
    except httpx.HTTPError:
        pass  # the server may close the connection before the client has sent everything
    assert lore.store.events.count() == 0


def test_a_huge_goal_is_refused(api: httpx.Client) -> None:
    refused(api.post("/api/v1/sessions", json={"goal": "x" * 20_000, "project": "demo"}))


def test_a_record_stored_before_times_were_checked_breaks_no_page(
    api: httpx.Client, lore: Lore, project: Project
) -> None:
    result = lore.capture_event("api", "note", {"text": "from the past"}, project=project)
    with lore.store.db.write() as conn:  # type: ignore[attr-defined]
        conn.execute("UPDATE events SET occurred_at = 1e308 WHERE id = ?", (result.event_ids[0],))
    page = api.get(f"/sessions/{result.session_ids[0]}")
    assert page.status_code == 200 and "from the past" in page.text
