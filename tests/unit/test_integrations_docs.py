"""docs/integrations.md names every MCP tool, every ``lore setup`` tool and every hook event."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lore import Lore
from lore.integrations import setup
from lore.integrations.claude_code import hook
from lore.mcp import build_server

DOC = (Path(__file__).parent.parent.parent / "docs" / "integrations.md").read_text()


def test_every_mcp_tool_is_documented(lore: Lore) -> None:
    tools = asyncio.run(build_server(lore).list_tools())
    missing = [tool.name for tool in tools if f"| `{tool.name}` |" not in DOC]
    assert missing == []


def test_every_setup_tool_and_hook_event_is_documented() -> None:
    assert [tool for tool in setup.TOOLS if f"| `{tool}` |" not in DOC] == []
    assert [event for event in hook.EVENTS if event not in DOC] == []
