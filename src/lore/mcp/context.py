"""What every MCP tool shares: the open ``Lore``, the project a call is about, and the one place
lore's errors become messages an agent can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from lore import errors
from lore.config import load_settings
from lore.core import Lore
from lore.domain import Event, Project

PROJECT_HEADER = "x-lore-project"

# What an agent can do about each kind of error, appended to lore's own message.
HINTS: list[tuple[type[errors.LoreError], str]] = [
    (errors.ValidationError, "fix that argument and call again"),
    (errors.NotFoundError, "ids come from search, list_findings or session_state"),
    (errors.SessionError, "check session_state before retrying"),
    (errors.ConflictError, "the stored state changed: read it again before retrying"),
    (errors.ProviderError, "the model provider failed; retry later or work without it"),
    (errors.ConfigError, "ask the user to fix lore's configuration (`lore config`)"),
]


# The project of the workspace the client named (MCP roots), for the call being handled.
WORKSPACE_PROJECT: ContextVar[str | None] = ContextVar("lore_workspace_project", default=None)


@dataclass
class ToolContext:
    lore: Lore
    # The one project of a stdio server; None on HTTP, where each request names its project,
    # and for a server shared by every project (Windsurf's), which asks the client's roots.
    project_name: str | None = None

    def project(self, ctx: Context | None = None) -> Project:
        """The project of this call: the server's own, else the ``X-Lore-Project`` header or
        ``?project=`` of the HTTP request, else the project of the client's workspace (its MCP
        roots), else the configured default."""
        named = self.project_name or _requested_project(ctx) or WORKSPACE_PROJECT.get()
        return self.lore.project(named)

    def project_of_folders(self, folders: list[Path]) -> str | None:
        """The project of the first folder that belongs to one: its ``.lore.toml``, else the
        project whose repository holds it."""
        for folder in folders:
            named = load_settings(cwd=folder).settings.project
            if named:
                return named
            for project in self.lore.projects():
                if project.repo and folder.is_relative_to(Path(project.repo)):
                    return project.name
        return None


def _requested_project(ctx: Context | None) -> str | None:
    if ctx is None:
        return None
    try:
        request = ctx.request_context.request
    except ValueError:  # not inside a request
        return None
    headers = getattr(request, "headers", None) or {}
    query = getattr(request, "query_params", None) or {}
    return headers.get(PROJECT_HEADER) or query.get("project") or None


@contextmanager
def agent_errors() -> Iterator[None]:
    """Turn lore's errors into tool errors whose text says what went wrong and what to do."""
    try:
        yield
    except errors.LoreError as exc:
        raise ToolError(describe(exc)) from exc


def describe(exc: errors.LoreError) -> str:
    kind = type(exc).__name__
    field = getattr(exc, "field", None)
    reason = getattr(exc, "reason", None)
    where = f" (field {field})" if field else f" (reason {reason})" if reason else ""
    hint = next((text for cls, text in HINTS if isinstance(exc, cls)), "")
    return f"{kind}{where}: {exc}" + (f". {hint[0].upper()}{hint[1:]}." if hint else "")


def enrichment(lore: Lore, session_id: int) -> dict[str, Any]:
    """Start enrichment of a session (Generate Memory) and say where it stands; an agent's
    save must not fail because enrichment could not start, so that is reported instead."""
    try:
        job = lore.enrich(session_id)
    except errors.LoreError as exc:
        return {"status": "pending", "reason": describe(exc)}
    where = (
        "in this lore process"
        if lore.settings.pipeline.in_process_worker
        else "in lore's local service"
    )
    return {"status": "started", "job_id": job.id, "job_status": str(job.status), "runs": where}


def event_line(event: Event) -> dict[str, Any]:
    """An event as tools show it: where it came from, when, and what it says in one line."""
    from lore.extraction.events_text import event_summary

    text = next(
        (
            event.payload[name]
            for name in ("text", "summary")
            if isinstance(event.payload.get(name), str)
        ),
        None,
    )
    return {
        "id": event.id,
        "session_id": event.session_id,
        "source": event.source,
        "type": event.type,
        "at": event.occurred_at or event.created_at,
        "text": text or event_summary(event),
    }
