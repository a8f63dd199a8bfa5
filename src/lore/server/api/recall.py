"""Recall over REST: search, the brain (with ETag), context packs and ask."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from lore.core import Lore
from lore.recall import Answer, ContextPack, Hit
from lore.recall.models import Mode, Scope
from lore.recall.service import MAX_BUDGET
from lore.server.deps import LoreDep

router = APIRouter(tags=["recall"])


class SearchIn(BaseModel):
    """A search: the query, then optional mode, limit, filters and options."""

    model_config = ConfigDict(extra="forbid")

    project: str | int | None = None
    query: str
    mode: Mode | None = None
    limit: int | None = Field(default=None, ge=1, le=200)
    types: list[str] | None = None
    statuses: list[str] | None = None
    schema_key: str | None = None
    tags: list[str] | None = None
    files: list[str] | None = None
    since: float | str | None = None
    until: float | str | None = None
    min_similarity: float | None = None
    max_tokens: int | None = Field(
        default=None,
        ge=1,
        le=MAX_BUDGET,
        description="Fill this many tokens best first instead of returning `limit` hits.",
    )
    active_files: list[str] | None = None
    include_events: bool | None = None
    compact: bool = Field(
        default=False, description="One line a hit: an index to pick from, cheap to read."
    )


class SearchOut(BaseModel):
    project: str
    query: str
    hits: list[Hit]
    # False: nothing shares the query's words and nothing is close in meaning; the hits are
    # only the nearest there is (recall.good_match_similarity).
    good_match: bool


class ContextPackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project: str | int | None = None
    task: str
    budget: int = Field(default=4000, ge=100, le=200_000)
    scope: Scope = "relevant"


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project: str | int | None = None
    question: str


@router.get("/search")
def search_get(
    lore: LoreDep,
    q: str,
    project: str | None = None,
    mode: Mode | None = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
    type: Annotated[list[str] | None, Query()] = None,
    status: Annotated[list[str] | None, Query()] = None,
    schema_key: str | None = None,
    tag: Annotated[list[str] | None, Query()] = None,
    file: Annotated[list[str] | None, Query()] = None,
    since: str | None = None,
    until: str | None = None,
    min_similarity: float | None = None,
    max_tokens: Annotated[int | None, Query(ge=1, le=MAX_BUDGET)] = None,
    active_file: Annotated[list[str] | None, Query()] = None,
    include_events: bool | None = None,
    compact: bool = False,
) -> SearchOut:
    """Hybrid search; repeat ``type``, ``status``, ``tag``, ``file`` and ``active_file`` for
    several values. ``since`` and ``until`` are ISO 8601 or UNIX seconds; ``limit`` defaults to
    ``recall.limit``."""
    request = SearchIn(
        project=project,
        query=q,
        mode=mode,
        limit=limit,
        types=type,
        statuses=status,
        schema_key=schema_key,
        tags=tag,
        files=file,
        since=since,
        until=until,
        min_similarity=min_similarity,
        max_tokens=max_tokens,
        active_files=active_file,
        include_events=include_events,
        compact=compact,
    )
    return _search(lore, request)


@router.post("/search")
def search_post(body: SearchIn, lore: LoreDep) -> SearchOut:
    """Hybrid search with the request as JSON (the same fields as the GET form, in plural)."""
    return _search(lore, body)


@router.get("/brain", response_model=None)
def brain(
    lore: LoreDep,
    project: str | None = None,
    compact: bool = True,
    active_file: Annotated[list[str] | None, Query()] = None,
    format: Annotated[str, Query(pattern="^(json|markdown)$")] = "json",
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The project's brain (L0 brief, L1 active knowledge, L2 reference unless compact), as
    JSON or markdown. Answers 304 when ``If-None-Match`` holds the current ETag."""
    found = lore.project(project)
    files = active_file or []
    etag = f'"{lore.recall_service.brain_etag(found, compact=compact, active_files=files)}"'
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    built = lore.brain(found, compact=compact, active_files=files)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if format == "markdown":
        return PlainTextResponse(built.markdown, media_type="text/markdown", headers=headers)
    return Response(built.model_dump_json(), media_type="application/json", headers=headers)


@router.post("/context-pack")
def context_pack(body: ContextPackIn, lore: LoreDep) -> ContextPack:
    """The brief plus the memories relevant to ``task``, grouped by schema key, in a budget."""
    return lore.context_pack(body.project, body.task, budget=body.budget, scope=body.scope)


@router.post("/ask")
def ask(body: AskIn, lore: LoreDep) -> Answer:
    """An answer with numbered citations (503 when no LLM is configured)."""
    return lore.ask(body.project, body.question)


def _search(lore: Lore, body: SearchIn) -> SearchOut:
    found = lore.project(body.project)
    hits = lore.recall(
        found,
        body.query,
        mode=body.mode,
        limit=body.limit or lore.settings.recall.limit,
        types=body.types,
        statuses=body.statuses,
        schema_key=body.schema_key,
        tags=body.tags,
        files=body.files,
        since=body.since,
        until=body.until,
        min_similarity=body.min_similarity,
        max_tokens=body.max_tokens,
        active_files=body.active_files,
        include_events=body.include_events,
    )
    if body.compact:
        hits = [hit.indexed() for hit in hits]
    good = lore.recall_service.good_match(hits)
    return SearchOut(project=found.name, query=body.query, hits=hits, good_match=good)
