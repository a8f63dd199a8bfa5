"""What an agent can read without a tool call: the brain and the brief as MCP resources (of this
server's project, and of any project by name), and the memory protocol as MCP prompts.

The SDK gives a resource without a URI variable no request, so ``lore://brain`` and
``lore://brief`` are the stdio server's project (or the configured default); over HTTP, where
each request names its project, the ``lore://projects/{name}/...`` templates serve it.
"""

from __future__ import annotations

from mcp.server.mcpserver import Context, MCPServer

from lore.core import Lore
from lore.domain import Project
from lore.integrations.rules import PROTOCOL
from lore.mcp.context import ToolContext, agent_errors

MARKDOWN = "text/markdown"


def register(server: MCPServer, tools: ToolContext) -> None:
    @server.resource("lore://brain", name="brain", mime_type=MARKDOWN)
    def brain() -> str:
        """This server's project's memory as one markdown document (what get_memory returns);
        over HTTP, read lore://projects/{name}/brain."""
        return _brain(tools.lore, tools.project())

    @server.resource("lore://brief", name="brief", mime_type=MARKDOWN)
    def brief() -> str:
        """This server's project's brief: its stack, layout, commands and key conventions."""
        return _brief(tools.lore, tools.project())

    @server.resource("lore://projects/{name}/brain", name="project-brain", mime_type=MARKDOWN)
    def project_brain(name: str) -> str:
        """Another project's memory, by name."""
        return _brain(tools.lore, tools.lore.project(name))

    @server.resource("lore://projects/{name}/brief", name="project-brief", mime_type=MARKDOWN)
    def project_brief(name: str) -> str:
        """Another project's brief, by name."""
        return _brief(tools.lore, tools.lore.project(name))

    @server.prompt(name="memory_protocol")
    def memory_protocol() -> str:
        """How to use lore's memory while working on this project."""
        return PROTOCOL

    @server.prompt(name="start_task")
    def start_task(task: str, ctx: Context) -> str:
        """Start a task with what the project's memory says about it."""
        with agent_errors():
            pack = tools.lore.context_pack(tools.project(ctx), task)
        return f"{PROTOCOL}\n\nThe task: {task}\n\nWhat lore knows that bears on it:\n\n{pack.markdown}"


def _brain(lore: Lore, project: Project) -> str:
    with agent_errors():
        return lore.brain(project).markdown or "No memory yet for this project."


def _brief(lore: Lore, project: Project) -> str:
    with agent_errors():
        layers = lore.brain(project).layers
    return next((layer.markdown for layer in layers if layer.name == "L0"), "") or "No brief yet."
