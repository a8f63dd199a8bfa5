"""What the MCP end-to-end tests check, over whichever transport the session runs on: the same
checks drive ``lore mcp`` over stdio and ``/mcp`` over streamable HTTP."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from mcp.client import ClientSession
from mcp.types import CallToolResult, TextContent

from lore import Lore
from lore.domain import Project
from lore.domain.graph import Changeset, NodeDraft

EXPECTED_TOOLS = {
    "save_session",
    "remember",
    "list_findings",
    "approve",
    "deprecate",
    "git_digest",
    "scan",
}


def make_repo(path: Path) -> Path:
    """A git repository with two commits."""
    path.mkdir()
    run = lambda *args: subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)  # noqa: E731
    run("init", "-q", "-b", "main")
    run("config", "user.email", "dev@example.com")
    run("config", "user.name", "Dev")
    (path / "app.py").write_text("print('hello')\n")
    run("add", ".")
    run("commit", "-q", "-m", "Start the app")
    (path / "pyproject.toml").write_text('[project]\nname = "app"\ndependencies = ["httpx"]\n')
    run("add", ".")
    run("commit", "-q", "-m", "Add packaging")
    return path


def seed_items(lore: Lore, project: Project) -> list[int]:
    """Two draft items in the graph, as enrichment would leave them."""
    session = lore.capture_event("test", "note", {"text": "seed"}, project=project).session_ids[0]
    drafts = [
        NodeDraft(ref="a", kind="semantic", type="convention", title="Use httpx", status="draft"),
        NodeDraft(ref="b", kind="semantic", type="bug", title="Login loops", status="draft"),
    ]
    applied = lore.store.graph.apply(project.id, Changeset(session_id=session, nodes=drafts))
    return [applied.ids[ref] for ref in ("a", "b")]


def text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


async def call(session: ClientSession, name: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await session.call_tool(name, args)
    assert not result.is_error, text(result)
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def check_tools_listed(session: ClientSession) -> None:
    listed = (await session.list_tools()).tools
    assert {tool.name for tool in listed} >= EXPECTED_TOOLS
    for tool in listed:
        assert tool.description and len(tool.description) > 40, tool.name
        assert tool.input_schema["type"] == "object"
    save = next(tool for tool in listed if tool.name == "save_session")
    assert save.input_schema["required"] == ["summary"]


async def check_capture_tools(session: ClientSession) -> None:
    saved = await call(
        session,
        "save_session",
        {"summary": "Moved auth to JWT tokens", "decisions": ["JWT: stateless API"]},
    )
    assert saved["enrichment"] in ("pending", "started") and saved["session_id"] >= 1
    again = await call(
        session,
        "save_session",
        {"summary": "Moved auth to JWT tokens", "decisions": ["JWT: stateless API"]},
    )
    assert again["duplicate"] is True
    remembered = await call(session, "remember", {"text": "Handlers return problem+json"})
    assert remembered["event_id"] >= 1


async def check_item_tools(session: ClientSession, item_ids: list[int]) -> None:
    convention, bug = item_ids
    page = await call(session, "list_findings", {"status": "draft", "limit": 1})
    assert page["total"] == 2 and len(page["items"]) == 1 and page["next_offset"] == 1
    approved = await call(session, "approve", {"item_id": convention})
    assert approved["status"] == "approved"
    gone = await call(session, "deprecate", {"item_id": bug, "reason": "fixed in 2.1"})
    assert gone["status"] == "deprecated"
    bugs = await call(session, "list_findings", {"type": "bug"})
    assert [item["status"] for item in bugs["items"]] == ["deprecated"]


async def check_source_tools(session: ClientSession) -> None:
    digest = await call(session, "git_digest", {})
    assert digest["captured"] == 2
    assert (await call(session, "git_digest", {}))["captured"] == 0
    scanned = await call(session, "scan", {})
    assert scanned["event_id"] >= 1


async def check_bad_arguments(session: ClientSession) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("save_session", {"summary": "short"}, "at least 10 characters"),
        ("save_session", {}, "summary"),
        ("approve", {"item_id": 0}, "greater than or equal to 1"),
        ("approve", {"item_id": 99999}, "NotFoundError: no memory item 99999"),
        ("list_findings", {"status": "bogus"}, "status"),
        ("remember", {"text": "hello there", "kind": "opinion"}, "kind"),
    ]
    for name, args, expected in cases:
        result = await session.call_tool(name, args)
        assert result.is_error, (name, args)
        assert expected in text(result), text(result)
    missing = await session.call_tool("no_such_tool", {})
    assert missing.is_error and "no_such_tool" in text(missing)
