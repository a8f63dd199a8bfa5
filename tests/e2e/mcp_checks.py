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
from lore.domain.graph import Evidence, NodeDraft
from lore.recall.tokens import count_tokens
from tests.graph_seed import apply_items

EXPECTED_TOOLS = {
    "get_memory",
    "context_pack",
    "search",
    "start_session",
    "append",
    "close_session",
    "session_state",
    "recall_in_context",
    "save_session",
    "remember",
    "list_findings",
    "approve",
    "deprecate",
    "git_digest",
    "scan",
    "drift_check",
    "get_item",
    "update_item",
    "forget",
    "list_projects",
    "recent_activity",
    "enrich_session",
    "timeline",
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
    """Two draft items: a convention about httpx and a login bug."""
    drafts = [
        NodeDraft(
            ref="a",
            kind="semantic",
            type="convention",
            title="Use httpx for outgoing HTTP calls",
            body="Every outgoing HTTP call goes through httpx with a 10 s timeout.",
            status="draft",
            files=["app.py"],
        ),
        NodeDraft(
            ref="b",
            kind="semantic",
            type="bug",
            title="Login loops after a password reset",
            body="The reset token is not cleared, so the login page redirects to itself.",
            status="draft",
        ),
    ]
    return apply_items(lore, project, drafts)


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
        assert "\n " not in tool.description, tool.name  # no indentation from the code
        assert tool.input_schema["type"] == "object"
    save = next(tool for tool in listed if tool.name == "save_session")
    assert save.input_schema["required"] == ["summary"]


async def check_memory_tools(session: ClientSession, item_ids: list[int]) -> None:
    brain = await session.call_tool("get_memory", {"active_files": ["app.py"]})
    assert not brain.is_error and "Use httpx for outgoing HTTP calls" in text(brain)
    pack = await session.call_tool("context_pack", {"task": "add an HTTP call", "budget": 500})
    assert not pack.is_error and "httpx" in text(pack)
    found = await call(session, "search", {"query": "httpx timeout", "limit": 5})
    assert found["hits"][0]["id"] == item_ids[0] and found["good_match"] is True
    assert "words" in found["hits"][0]["matched"]
    made_up = await call(session, "search", {"query": "xyzzy plugh frobnicate"})
    assert made_up["good_match"] is False
    assert all(hit["tokens"] > 0 for hit in found["hits"])
    cheap = await call(session, "search", {"query": "httpx timeout", "max_tokens": 40})
    assert cheap["hits"] and sum(hit["tokens"] for hit in cheap["hits"]) <= 40
    bugs = await call(session, "search", {"query": "login redirect", "types": ["bug"]})
    assert [hit["id"] for hit in bugs["hits"]] == [item_ids[1]]


async def check_session_tools(session: ClientSession) -> None:
    started = await call(session, "start_session", {"goal": "Fix the login loop"})
    assert started["state"] == "collecting"
    sid = started["session_id"]
    step = await call(
        session,
        "append",
        {"session_id": sid, "observation": "login redirects to itself", "action": "read auth.py"},
    )
    assert step["step_id"] >= 1 and step["events"] == 1
    state = await call(session, "session_state", {"session_id": sid})
    assert state["state"] == "collecting" and state["goal"] == "Fix the login loop"
    hits = await call(session, "recall_in_context", {"session_id": sid, "query": "why"})
    assert isinstance(hits["hits"], list)
    closed = await call(session, "close_session", {"session_id": sid})
    assert closed["operation_id"] >= 1
    state = await call(session, "session_state", {"session_id": sid})
    assert state["operations"][0]["op"] == "close"


async def check_item_detail_and_changes(session: ClientSession, item_ids: list[int]) -> None:
    convention, bug = item_ids
    item = await call(session, "get_item", {"item_id": convention})
    assert item["title"] == "Use httpx for outgoing HTTP calls" and "10 s timeout" in item["body"]
    assert {"evidence", "history", "related"} <= set(item)
    edited = await call(
        session, "update_item", {"item_id": convention, "body": "httpx, with a 5 s timeout."}
    )
    assert edited["body"] == "httpx, with a 5 s timeout." and edited["title"] == item["title"]
    assert (await call(session, "forget", {"item_id": bug})) == {"deleted": 1, "item_id": bug}
    gone = await session.call_tool("get_item", {"item_id": bug})
    assert gone.is_error and "NotFoundError" in text(gone)


async def check_projects_and_activity(session: ClientSession) -> None:
    projects = (await call(session, "list_projects", {}))["projects"]
    [app] = projects  # its item count grows while the saved session is enriched
    assert app["name"] == "app" and app["items"] >= 1 and app["repo"]
    activity = await call(session, "recent_activity", {"limit": 5})
    saved = next(s for s in activity["sessions"] if s["source"] == "mcp")
    assert activity["project"] == "app" and activity["items"]
    started = await call(session, "enrich_session", {"session_id": saved["id"]})
    assert started["enrichment"]["status"] == "started", started
    missing = await session.call_tool("enrich_session", {"session_id": 99999})
    assert missing.is_error and "NotFoundError" in text(missing)


async def check_resources_and_prompts(session: ClientSession) -> None:
    uris = {str(resource.uri) for resource in (await session.list_resources()).resources}
    assert {"lore://brain", "lore://brief"} <= uris
    brain = (await session.read_resource("lore://projects/app/brain")).contents[0]
    assert "Use httpx for outgoing HTTP calls" in getattr(brain, "text", "")
    brief = (await session.read_resource("lore://projects/app/brief")).contents[0]
    assert getattr(brief, "text", "")
    protocol = await session.get_prompt("memory_protocol")
    assert "get_memory" in str(protocol.messages[0].content)
    task = await session.get_prompt("start_task", {"task": "add an HTTP call"})
    assert "add an HTTP call" in str(task.messages[0].content)


async def check_capture_tools(session: ClientSession) -> None:
    saved = await call(
        session,
        "save_session",
        {"summary": "Moved auth to JWT tokens", "decisions": ["JWT: stateless API"]},
    )
    assert saved["enrichment"]["status"] == "started" and saved["session_id"] >= 1
    assert saved["enrichment"]["job_id"] >= 1
    again = await call(
        session,
        "save_session",
        {"summary": "Moved auth to JWT tokens", "decisions": ["JWT: stateless API"]},
    )
    assert again["duplicate"] is True and again["enrichment"] == {"status": "already saved"}
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
    checked = await call(session, "drift_check", {"run": True})
    assert checked["digest"] and checked["flagged"] == []


async def check_bad_arguments(session: ClientSession) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("save_session", {"summary": "short"}, "at least 10 characters"),
        ("save_session", {}, "summary"),
        ("approve", {"item_id": 0}, "greater than or equal to 1"),
        ("approve", {"item_id": 99999}, "NotFoundError: no memory item 99999"),
        ("list_findings", {"status": "bogus"}, "status"),
        ("remember", {"text": "hello there", "kind": "opinion"}, "kind"),
        ("context_pack", {"task": "x y z", "scope": "everything"}, "scope"),
        ("search", {"query": "retry", "limit": 0}, "greater than or equal to 1"),
        ("search", {"query": "retry", "max_tokens": 0}, "greater than or equal to 1"),
        ("timeline", {}, "give one of item, session or around"),
        ("append", {"session_id": 99999, "observation": "a", "action": "b"}, "NotFoundError"),
        ("session_state", {"session_id": 99999}, "NotFoundError"),
    ]
    for name, args, expected in cases:
        result = await session.call_tool(name, args)
        assert result.is_error, (name, args)
        assert expected in text(result), text(result)
    two = await session.call_tool("list_findings", {"status": "bogus", "limit": 0})
    assert text(two).startswith("Invalid arguments for list_findings: status: ")
    assert "; limit: Input should be greater than or equal to 1" in text(two)
    assert "pydantic" not in text(two) and "\n" not in text(two)
    missing = await session.call_tool("no_such_tool", {})
    assert missing.is_error and "no_such_tool" in text(missing)


async def check_drift_listing(session: ClientSession, lore: Lore, item_id: int) -> None:
    """An item a drift check sent to review is listed with its commit and reason."""
    drift = {"commit": "abc123", "reason": "app.py changed since", "previous_status": "approved"}
    lore.store.graph.update(item_id, status="review", data={"drift": drift})
    listed = await call(session, "drift_check", {})
    assert [(item["id"], item["drift"]["commit"]) for item in listed["flagged"]] == [
        (item_id, "abc123")
    ]


async def check_reading_a_little_at_a_time(session: ClientSession, lore: Lore) -> None:
    """The compact index, then the timeline around the hit that matters, then that item in
    full with its evidence, each saying what it costs."""
    project = lore.project("app")
    turns = [
        "The checkout page times out when the basket holds more than fifty lines.",
        "We traced it to one query per basket line in the price lookup.",
        "Batching the price lookup into a single query fixed the checkout timeout.",
    ]
    captured = lore.capture_events(
        [{"source": "chat", "type": "message", "payload": {"text": t}} for t in turns],
        project=project,
    )
    cause = captured.event_ids[1]
    [item] = apply_items(
        lore,
        project,
        [
            NodeDraft(
                ref="fix",
                kind="semantic",
                type="bug",
                title="Checkout timed out on large baskets: one price query per line",
                body="Batch the price lookup into one query.\nSeen with more than fifty lines.",
                evidence=[Evidence(event_id=cause, quote="one query per basket line")],
            )
        ],
    )
    index = await call(session, "search", {"query": "checkout timeout basket", "compact": True})
    hit = next(hit for hit in index["hits"] if hit["id"] == item)
    assert "\n" not in hit["text"] and hit["tokens"] == count_tokens(hit["text"])
    around = (await call(session, "timeline", {"item_id": item, "size": 3}))["events"]
    assert [entry["event_id"] for entry in around] == captured.event_ids
    assert [entry["anchor"] for entry in around] == [False, True, False]
    assert all(entry["tokens"] == count_tokens(entry["line"]) for entry in around)
    whole = await call(session, "get_item", {"item_id": item})
    assert whole["body"].endswith("Seen with more than fifty lines.")
    assert [(cited["event_id"], cited["quote"]) for cited in whole["evidence"]] == [
        (cause, "one query per basket line")
    ]


async def check_everything(session: ClientSession, lore: Lore, item_ids: list[int]) -> None:
    """Every check, in an order where each leaves what the next expects."""
    await check_tools_listed(session)
    await check_memory_tools(session, item_ids)
    # Before any save: a save starts enrichment, whose new draft items would race the counts.
    await check_item_tools(session, item_ids)
    await check_resources_and_prompts(session)
    await check_item_detail_and_changes(session, item_ids)
    await check_capture_tools(session)
    await check_projects_and_activity(session)
    await check_session_tools(session)
    await check_source_tools(session)
    await check_bad_arguments(session)
    await check_drift_listing(session, lore, item_ids[0])
    await check_reading_a_little_at_a_time(session, lore)
