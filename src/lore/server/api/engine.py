"""REST for the session engine: the operations of ``Lore`` over HTTP.

Synchronous operations answer with the session's state; ``?async=true`` queues the operation
while the session is busy and answers 202 with the operation's id (its outcome is recorded:
``GET /sessions/{id}/operations``). A rejected operation is a 409 whose ``error.reason`` is the
``SessionError`` reason (``not_ready``, ``extraction_in_progress``, ...). Every route by session
id acts in the request's project (``?project=``, else the server's): another project's session
is 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

from lore.domain.episodes import PendingOp, Step
from lore.domain.graph import Node
from lore.domain.models import MAX_INT
from lore.recall.timeline import TimelineEntry
from lore.server.deps import SESSION_SCOPE, Id, LoreDep, Offset, ProjectDep, page_size

router = APIRouter(tags=["session engine"])

AsyncFlag = Query(False, alias="async", description="queue the operation while the session is busy")


class StartSession(BaseModel):
    goal: str = ""
    project: str | None = None
    source: str = "api"
    llm: dict[str, Any] | None = None
    embedding: dict[str, Any] | None = None
    config: dict[str, Any] | None = None


class AppendStep(BaseModel):
    observation: str
    action: str
    wait: bool = Field(True, description="wait until the step is annotated (up to 60 s)")


class StartEpisode(BaseModel):
    goal: str = ""


class Operation(BaseModel):
    op: str = Field(description="commit, discard, start_episode or close")
    goal: str = ""


class CloseAndCommit(BaseModel):
    max_retries: int = Field(2, ge=0, le=20)
    max_polls: int = Field(200, ge=1, le=100_000)
    poll_interval: float = Field(0.05, gt=0, le=10)


class RecallInContext(BaseModel):
    query: str
    limit: int = Field(10, ge=1, le=200)


class StateOut(BaseModel):
    session_id: int
    state: str
    status: str
    error: str | None
    queued: int
    # Why a synchronous close would be refused now (None: it would be accepted).
    busy: str | None


class Accepted(BaseModel):
    session_id: int
    operation_id: int | None = None
    step_id: int | None = None


def _state(lore: LoreDep, session_id: int) -> StateOut:
    session = lore.session(session_id)
    return StateOut(
        session_id=session_id,
        state=session.state.value,
        status=session.status.value,
        error=session.error,
        queued=len(lore.store.ops.pending(session_id)),
        busy=lore.session_busy(session_id),
    )


@router.post("/sessions", status_code=201)
def start_session(body: StartSession, lore: LoreDep) -> StateOut:
    session_id = lore.start_session(
        body.goal,
        project=body.project,
        source=body.source,
        llm=body.llm,
        embedding=body.embedding,
        config=body.config,
    )
    return _state(lore, session_id)


@router.get("/sessions/{session_id}/state", dependencies=SESSION_SCOPE)
def session_state(session_id: Id, lore: LoreDep) -> StateOut:
    return _state(lore, session_id)


@router.post(
    "/sessions/{session_id}/steps", status_code=201, response_model=None, dependencies=SESSION_SCOPE
)
def append(session_id: Id, body: AppendStep, lore: LoreDep, response: Response) -> Step | Accepted:
    if body.wait:
        return lore.append(session_id, body.observation, body.action)
    step_id = lore.append_async(session_id, body.observation, body.action)
    response.status_code = 202
    return Accepted(session_id=session_id, step_id=step_id)


@router.get("/sessions/{session_id}/steps", dependencies=SESSION_SCOPE)
def steps(
    session_id: Id, lore: LoreDep, limit: int = page_size(100, 1000), offset: Offset = 0
) -> list[Step]:
    return lore.session_steps(session_id, limit=limit, offset=offset)


def _operate(
    lore: LoreDep, session_id: int, op: str, response: Response, run_async: bool, goal: str = ""
) -> StateOut | Accepted:
    args = {"goal": goal} if op == "start_episode" else {}
    if run_async:
        response.status_code = 202
        op_id = lore.engine.queue.submit(session_id, op, args, None)
        return Accepted(session_id=session_id, operation_id=op_id)
    if op == "start_episode":
        lore.start_episode(session_id, goal)
    else:
        {"close": lore.close, "commit": lore.commit, "discard": lore.discard}[op](session_id)
    return _state(lore, session_id)


@router.post(
    "/sessions/{session_id}/close-episode", response_model=None, dependencies=SESSION_SCOPE
)
def close_episode(
    session_id: Id, lore: LoreDep, response: Response, run_async: bool = AsyncFlag
) -> StateOut | Accepted:
    """Close the open episode and extract it (``mem.close(sid)``)."""
    return _operate(lore, session_id, "close", response, run_async)


@router.post("/sessions/{session_id}/commit", response_model=None, dependencies=SESSION_SCOPE)
def commit(
    session_id: Id, lore: LoreDep, response: Response, run_async: bool = AsyncFlag
) -> StateOut | Accepted:
    """Apply the ready changeset (after a failure: retry extraction)."""
    return _operate(lore, session_id, "commit", response, run_async)


@router.post("/sessions/{session_id}/discard", response_model=None, dependencies=SESSION_SCOPE)
def discard(
    session_id: Id, lore: LoreDep, response: Response, run_async: bool = AsyncFlag
) -> StateOut | Accepted:
    return _operate(lore, session_id, "discard", response, run_async)


@router.post("/sessions/{session_id}/episodes", response_model=None, dependencies=SESSION_SCOPE)
def start_episode(
    session_id: Id,
    body: StartEpisode,
    lore: LoreDep,
    response: Response,
    run_async: bool = AsyncFlag,
) -> StateOut | Accepted:
    return _operate(lore, session_id, "start_episode", response, run_async, body.goal)


@router.post("/sessions/{session_id}/close-and-commit", dependencies=SESSION_SCOPE)
def close_and_commit(session_id: Id, body: CloseAndCommit, lore: LoreDep) -> StateOut:
    lore.close_and_commit(
        session_id,
        max_retries=body.max_retries,
        max_polls=body.max_polls,
        poll_interval=body.poll_interval,
    )
    return _state(lore, session_id)


@router.post("/sessions/{session_id}/operations", status_code=202, dependencies=SESSION_SCOPE)
def queue_operation(session_id: Id, body: Operation, lore: LoreDep) -> Accepted:
    """Any async operation by name; an unknown one is rejected (``invalid_operation``)."""
    args = {"goal": body.goal} if body.op == "start_episode" else {}
    op_id = lore.engine.queue.submit(session_id, body.op, args, None)
    return Accepted(session_id=session_id, operation_id=op_id)


@router.get("/sessions/{session_id}/operations", dependencies=SESSION_SCOPE)
def operations(session_id: Id, lore: LoreDep, limit: int = page_size(50, 500)) -> list[PendingOp]:
    return lore.session_operations(session_id, limit=limit)


@router.post("/sessions/{session_id}/recall", dependencies=SESSION_SCOPE)
def recall_in_context(
    session_id: Id, body: RecallInContext, lore: LoreDep, project: ProjectDep
) -> Any:
    """Recall in the session's project with the query prefixed by the session's goal and its
    last 3 steps."""
    hits = lore.recall_in_context(project, session_id, body.query, limit=body.limit)
    return jsonable_encoder(hits)


@router.get("/timeline")
def timeline(
    lore: LoreDep,
    project: str | None = None,
    item: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    session: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    around: str | None = None,
    size: int = page_size(10, 200),
) -> list[TimelineEntry]:
    """The captured events around an item's evidence, the last of a session, or those nearest
    a time (``around``: ISO 8601 or UNIX seconds), one line each with its tokens."""
    return lore.timeline(project, item=item, session=session, around=around, size=size)


@router.get("/latest")
def latest(
    lore: LoreDep, project: str | None = None, top_k: int = page_size(10, 200)
) -> list[Node]:
    """The most recently committed items and steps of a project."""
    return lore.latest(project, top_k)
