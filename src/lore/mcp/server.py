"""``build_server``: an ``MCPServer`` with lore's tools. Each tool module registers its tools
with ``register(server, tools)``; the tools validate input (their JSON schema), call the same
``Lore`` method as the CLI and REST API, and map errors through ``agent_errors``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from lore.core import Lore
from lore.mcp import (
    capture_tools,
    item_tools,
    memory_tools,
    project_tools,
    resources,
    session_tools,
    source_tools,
)
from lore.mcp.context import WORKSPACE_PROJECT, ToolContext

INSTRUCTIONS = """\
lore is this project's long-term memory: decisions, conventions, architecture, known bugs and
todos extracted from past sessions, commits and scans.
- At the start of a task call get_memory (or context_pack with the task) and follow what it says.
- Before changing unfamiliar code, search for the files or the topic.
- When the user states a convention or a fact to keep, call remember.
- Call save_session only when the user asks to save the session."""


class LoreMCP(MCPServer):
    """The SDK's server, with what agents read made tidy: a tool's description is its
    docstring without the code's indentation, and arguments that do not fit the schema are
    refused in one line naming each field. A server with no project of its own finds each
    call's project from the client's workspace (MCP roots)."""

    def __init__(self, tools: ToolContext, *args: Any, roots: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tools = tools
        self.roots = roots

    def tool(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        register = super().tool

        def decorate(function: Any) -> Any:
            kwargs.setdefault("description", inspect.cleandoc(function.__doc__ or ""))
            return register(*args, **kwargs)(function)

        return decorate

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> Any:
        token = WORKSPACE_PROJECT.set(await self._workspace_project(context))
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(schema_message(name, exc.__cause__)) from None
            raise
        finally:
            WORKSPACE_PROJECT.reset(token)

    async def _workspace_project(self, context: Context[Any, Any] | None) -> str | None:
        if not self.roots or context is None:
            return None
        try:
            listed = await context.session.list_roots()
        except Exception:  # a client without roots: the request or the configuration names it
            return None
        folders = [
            Path(url2pathname(urlparse(str(root.uri)).path))
            for root in listed.roots
            if str(root.uri).startswith("file:")
        ]
        return self.tools.project_of_folders(folders)


def schema_message(tool: str, error: ValidationError) -> str:
    """``Invalid arguments for search: limit: Input should be ...; query: Field required``."""
    problems = [
        f"{'.'.join(str(part) for part in problem['loc']) or 'arguments'}: {problem['msg']}"
        for problem in error.errors(include_url=False)
    ]
    return f"Invalid arguments for {tool}: " + "; ".join(problems)


def build_server(lore: Lore, project: str | None = None, *, roots: bool = False) -> MCPServer:
    """The MCP server over ``lore``. With ``project`` every tool works on that project (stdio);
    without, each HTTP request names its project (``X-Lore-Project`` or ``?project=``), or with
    ``roots`` (a stdio server shared by every project) the client's workspace names it; else
    the configured default is used."""
    tools = ToolContext(lore, project)
    server = LoreMCP(
        tools,
        "lore",
        instructions=INSTRUCTIONS,
        version="0.1.0",
        log_level="WARNING",
        roots=roots and project is None,
    )
    for module in (
        memory_tools,
        capture_tools,
        item_tools,
        source_tools,
        session_tools,
        project_tools,
        resources,
    ):
        module.register(server, tools)
    return server
