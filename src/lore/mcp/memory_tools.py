"""Tools that read memory: ``get_memory`` (the brain), ``context_pack`` and ``search``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from lore.domain.graph import ItemStatus, ItemType
from lore.mcp.context import ToolContext, agent_errors
from lore.recall.models import Hit, matched_by
from lore.recall.service import MAX_BUDGET
from lore.recall.tokens import count_tokens

HIT_TEXT_CHARS = 600
Files = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=500)]],
    Field(max_length=50, description="Repository-relative paths."),
]
READ_ONLY = ToolAnnotations(read_only_hint=True)


def register(server: MCPServer, tools: ToolContext) -> None:
    @server.tool(annotations=READ_ONLY, structured_output=False)
    def get_memory(
        active_files: Annotated[
            Files, Field(description="Files you are working on: memories about them rank first.")
        ] = [],  # noqa: B006
        compact: Annotated[
            bool,
            Field(description="True: brief and active knowledge. False: adds the reference layer."),
        ] = True,
        ctx: Context | None = None,
    ) -> str:
        """The project's memory as one markdown document: the brief (what the project is, its
        architecture and key conventions), then the active knowledge (decisions, conventions,
        known bugs, open todos), most important first.

        Call it at the start of every task, before reading code, and follow what it says.
        """
        with agent_errors():
            brain = tools.lore.brain(tools.project(ctx), compact=compact, active_files=active_files)
        return brain.markdown or "No memory yet for this project."

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def context_pack(
        task: Annotated[
            str, Field(min_length=3, max_length=4000, description="The task you are starting.")
        ],
        budget: Annotated[
            int, Field(ge=100, le=32000, description="Most tokens the pack may take.")
        ] = 4000,
        scope: Annotated[
            Literal["relevant", "full", "minimal"],
            Field(
                description="relevant: the brief and memories about the task; full: more of"
                " them; minimal: the brief and the few closest memories."
            ),
        ] = "relevant",
        ctx: Context | None = None,
    ) -> str:
        """What to read before starting a task: the brief and the memories relevant to it,
        grouped by area, within a token budget, as markdown.

        Prefer it to get_memory when you know the task.
        """
        with agent_errors():
            pack = tools.lore.context_pack(tools.project(ctx), task, budget=budget, scope=scope)
        return pack.markdown

    @server.tool(annotations=READ_ONLY)
    def search(
        query: Annotated[
            str,
            Field(
                min_length=2,
                max_length=4000,
                description="What you look for, in words (a topic, an error, a file's role).",
            ),
        ],
        types: Annotated[list[ItemType], Field(description="Only these item types.")] = [],  # noqa: B006
        statuses: Annotated[
            list[ItemStatus],
            Field(description="Only these statuses (default: all but deprecated)."),
        ] = [],  # noqa: B006
        files: Annotated[Files, Field(description="Only memories about these files.")] = [],  # noqa: B006
        schema_key: Annotated[
            str | None,
            Field(
                max_length=200, description="Only this area and below, e.g. 'root/backend/auth'."
            ),
        ] = None,
        since: Annotated[
            str | None, Field(description="Only memories from this date or time on (ISO 8601).")
        ] = None,
        until: Annotated[
            str | None, Field(description="Only memories up to this date or time (ISO 8601).")
        ] = None,
        mode: Annotated[
            Literal["semantic", "procedural", "episodic", "mixed"] | None,
            Field(
                description="semantic: facts; procedural: how-tos; episodic: what happened;"
                " mixed; default: guessed from the query."
            ),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=50, description="Most results.")] = 10,
        max_tokens: Annotated[
            int | None,
            Field(
                ge=1,
                le=MAX_BUDGET,
                description="Fill this many tokens best first instead of `limit` results.",
            ),
        ] = None,
        compact: Annotated[
            bool, Field(description="One line a hit: an index to pick from, cheap to read.")
        ] = False,
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Search the project's memory (items, past steps and raw events) by meaning and by
        words, best first, with filters. Each hit says what reading it costs (`tokens`) and
        what found it (`matched`); `good_match` false means nothing shares the query's words
        and nothing is close in meaning: the memory does not know, the hits are only nearest.

        Use it before changing code you do not know, to find decisions, conventions and known
        bugs about a topic or a file. Each hit has an id to approve or deprecate.
        """
        with agent_errors():
            hits = tools.lore.recall(
                tools.project(ctx),
                query,
                mode=mode,
                limit=limit,
                types=types or None,
                statuses=statuses or None,
                files=files or None,
                schema_key=schema_key,
                since=since,
                until=until,
                max_tokens=max_tokens,
            )
        return {
            "hits": [hit_summary(hit.indexed() if compact else hit) for hit in hits],
            "good_match": tools.lore.recall_service.good_match(hits),
        }


def hit_summary(hit: Hit) -> dict[str, Any]:
    text = hit.text if len(hit.text) <= HIT_TEXT_CHARS else hit.text[: HIT_TEXT_CHARS - 1] + "…"
    return {
        "id": hit.id,
        "kind": hit.kind,
        "type": hit.type,
        "title": hit.title,
        "text": text,
        "score": round(hit.score, 4),
        "matched": matched_by(hit),
        "status": hit.status,
        "schema_key": hit.schema_key,
        "files": hit.files,
        "created_at": hit.created_at,
        "tokens": count_tokens(text or hit.title),  # what reading this hit costs
        "full_tokens": hit.full_tokens or hit.tokens,
    }
