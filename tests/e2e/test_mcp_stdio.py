"""``lore mcp`` as agents run it: a subprocess speaking MCP over stdio, driven by the SDK's own
client."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from mcp.client import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from lore import Lore
from tests.e2e import mcp_checks

LORE = str(Path(sys.executable).with_name("lore"))


def serve_stdio(cwd: Path, *args: str) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if k.startswith("LORE_")}
    return StdioServerParameters(command=LORE, args=["mcp", *args], env=env, cwd=cwd)


def test_every_tool_over_stdio(lore: Lore, tmp_path: Path) -> None:
    repo = mcp_checks.make_repo(tmp_path / "app")
    project = lore.create_project("app", repo=str(repo))
    item_ids = mcp_checks.seed_items(lore, project)

    async def session_run() -> None:
        async with (
            stdio_client(serve_stdio(repo, "--project", "app")) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            brain = (await session.read_resource("lore://brain")).contents[0]
            assert "Use httpx" in getattr(brain, "text", "")  # the server's own project
            await mcp_checks.check_everything(session, lore, item_ids)

    asyncio.run(session_run())
    assert lore.store.events.count(project.id) >= 5


def test_the_project_comes_from_lore_toml(lore: Lore, tmp_path: Path) -> None:
    repo = mcp_checks.make_repo(tmp_path / "app")
    (repo / ".lore.toml").write_text('project = "app"\n')
    project = lore.create_project("app", repo=str(repo))

    async def session_run() -> None:
        async with (
            stdio_client(serve_stdio(repo)) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            await mcp_checks.call(session, "remember", {"text": "Ship on Thursdays"})

    asyncio.run(session_run())
    [event] = lore.store.events.for_session(lore.sessions(project)[0].id)
    assert event.payload["text"] == "Ship on Thursdays"


def test_an_unknown_project_fails_at_start(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run(
        [LORE, "mcp", "--project", "nope"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 1 and "no project named 'nope'" in done.stderr


def test_a_server_shared_by_every_project_finds_it_from_the_workspace(
    lore: Lore, tmp_path: Path
) -> None:
    """Windsurf's global entry: `lore mcp` with no project, started outside any repository;
    each call's project is the one of the workspace the client names (MCP roots)."""
    from mcp import types

    first = lore.create_project("first", repo=str(mcp_checks.make_repo(tmp_path / "first")))
    second_repo = mcp_checks.make_repo(tmp_path / "second")
    (second_repo / ".lore.toml").write_text('project = "second"\n')
    second = lore.create_project("second")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def roots_of(folder: Path):  # type: ignore[no-untyped-def]
        async def list_roots(context: object) -> types.ListRootsResult:
            return types.ListRootsResult(roots=[types.Root(uri=folder.as_uri())])

        return list_roots

    async def remember_in(folder: Path, fact: str) -> None:
        async with (
            stdio_client(serve_stdio(elsewhere)) as (read, write),
            ClientSession(read, write, list_roots_callback=roots_of(folder)) as session,
        ):
            await session.initialize()
            await mcp_checks.call(session, "remember", {"text": fact})

    asyncio.run(remember_in(tmp_path / "first" / "app", "Ship on Thursdays"))
    asyncio.run(remember_in(second_repo, "Freeze on Fridays"))
    assert [e.payload["text"] for e in _events(lore, first.id)] == ["Ship on Thursdays"]
    assert [e.payload["text"] for e in _events(lore, second.id)] == ["Freeze on Fridays"]


def _events(lore: Lore, project_id: int) -> list:  # type: ignore[type-arg]
    return [e for s in lore.sessions(project_id) for e in lore.store.events.for_session(s.id)]
