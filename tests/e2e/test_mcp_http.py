"""``/mcp`` on a real uvicorn server (the app ``lore serve`` runs), driven by the SDK's
streamable HTTP client: behind the token, the project named per request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from mcp.client import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from lore import Lore
from lore.server import build_app
from tests.e2e import mcp_checks
from tests.servers import running

TOKEN = "test-token"


async def with_session(url: str, headers: dict[str, str], check) -> None:  # type: ignore[no-untyped-def]
    await with_session_at(f"{url}/mcp", headers, check)


def test_every_tool_over_http(lore: Lore, tmp_path: Path) -> None:
    repo = mcp_checks.make_repo(tmp_path / "app")
    project = lore.create_project("app", repo=str(repo))
    item_ids = mcp_checks.seed_items(lore, project)
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Lore-Project": "app"}

    async def checks(session: ClientSession) -> None:
        await mcp_checks.check_everything(session, lore, item_ids)

    with running(build_app(lore, token=TOKEN)) as url:
        asyncio.run(with_session(url, headers, checks))
    assert lore.store.events.count(project.id) >= 5


def test_the_project_can_be_named_in_the_url(lore: Lore) -> None:
    other = lore.create_project("other")
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def remember(session: ClientSession) -> None:
        await mcp_checks.call(session, "remember", {"text": "Deploys need two approvals"})

    with running(build_app(lore, token=TOKEN)) as url:
        asyncio.run(with_session_at(f"{url}/mcp?project=other", headers, remember))
    assert lore.store.events.count(other.id) == 1


async def with_session_at(endpoint: str, headers: dict[str, str], check) -> None:  # type: ignore[no-untyped-def]
    async with (
        create_mcp_http_client(headers=headers) as http,
        streamable_http_client(endpoint, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        await check(session)


def test_a_call_without_a_project_says_how_to_name_one(lore: Lore) -> None:
    lore.create_project("app")
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def remember(session: ClientSession) -> None:
        result = await session.call_tool("remember", {"text": "Deploys need two approvals"})
        assert result.is_error
        assert "no project given" in mcp_checks.text(result)

    with running(build_app(lore, token=TOKEN)) as url:
        asyncio.run(with_session(url, headers, remember))


def test_mcp_needs_the_token(lore: Lore) -> None:
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    with running(build_app(lore, token=TOKEN)) as url:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            response = httpx.post(f"{url}/mcp", json=initialize, headers=headers)
            assert response.status_code == 401
            assert response.json()["error"]["type"] == "unauthorized"


def test_mcp_refuses_bodies_it_could_not_parse_safely(lore: Lore) -> None:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
    }
    deep = '{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": ' + "[" * 2000
    deep += "]" * 2000 + "}"
    with running(build_app(lore, token=TOKEN)) as url:
        assert httpx.post(f"{url}/mcp", content=deep, headers=headers).status_code == 422
        plain = headers | {"content-type": "text/plain"}
        assert httpx.post(f"{url}/mcp", content="{}", headers=plain).status_code == 415
