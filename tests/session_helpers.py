"""Helpers of the session engine tests.

- ``ManualRunner``: an ``ExtractionRunner`` (the port the pipeline plugs into) whose jobs run
  when the test says, and end as the test says: the way to hold a session in ``extracting``.
- ``fake_model_server``: a real HTTP server on 127.0.0.1 speaking the OpenAI wire format for chat
  (structured output answered per schema name) and embeddings (vectors chosen per text), for
  sessions whose overrides point their LLM or embedder at it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lore.domain.episodes import Extraction
from lore.sessions import SessionEngine
from tests.fake_llm import _vector, openai_chat, openai_embeddings
from tests.servers import running


class ManualRunner:
    """Jobs wait until ``finish`` (run the real extraction, then report) or ``fail``."""

    name = "manual"

    def __init__(self, engine: SessionEngine) -> None:
        self.engine = engine
        self.started: list[Extraction] = []
        self._next_job = 1000

    def start(self, extraction: Extraction) -> int:
        self._next_job += 1
        self.started.append(extraction.model_copy(update={"job_id": self._next_job}))
        return self._next_job

    def resume(self, extraction: Extraction) -> None:
        self.started.append(extraction)

    def close(self) -> None:
        pass

    @property
    def last(self) -> Extraction:
        return self.started[-1]

    def finish(self, extraction: Extraction | None = None) -> None:
        run = extraction or self.last
        assert run.job_id is not None
        output = self.engine.run_extraction(run.id)
        self.engine.extraction_finished(
            run.session_id,
            run.job_id,
            True,
            None,
            output.changeset,
            vectors=output.vectors,
            embedding_model=output.embedding_model,
        )

    def fail(self, error: str = "model unavailable", extraction: Extraction | None = None) -> None:
        run = extraction or self.last
        assert run.job_id is not None
        self.engine.extraction_finished(run.session_id, run.job_id, False, error)


class ScriptedRunner(ManualRunner):
    """Ends each job by itself, in a thread, with the next outcome of a script (True: success,
    False: failure, None: never ends)."""

    def __init__(self, engine: SessionEngine, outcomes: list[bool | None], delay_s: float = 0.05):
        super().__init__(engine)
        self.outcomes = list(outcomes)
        self.delay_s = delay_s
        self.threads: list[threading.Thread] = []

    def start(self, extraction: Extraction) -> int:
        job_id = super().start(extraction)
        outcome = self.outcomes.pop(0) if self.outcomes else True
        if outcome is not None:
            thread = threading.Thread(target=self._end, args=(self.last, outcome), daemon=True)
            self.threads.append(thread)
            thread.start()
        return job_id

    def close(self) -> None:
        """Let the jobs still ending finish before the engine (and its store) closes: a thread
        writing to a closed SQLite connection can crash the process."""
        for thread in self.threads:
            thread.join(10)

    def _end(self, run: Extraction, ok: bool) -> None:
        time.sleep(self.delay_s)
        if ok:
            self.finish(run)
        else:
            self.fail("scripted failure", run)


Answer = Callable[[dict[str, Any]], Any]

# What each schema gets unless a test says otherwise: valid, and empty where it can be.
DEFAULT_ANSWERS: dict[str, Any] = {
    "StepAnnotation": {"state_summary": "state", "subgoal": "Work on the task"},
    "BatchAnnotation": {"steps": []},
    "RewardScore": {"reward": 0.5},
    "SemanticExtraction": {"facts": []},
    "ProceduralExtraction": {"procedures": []},
    "ReturnScores": {"scores": []},
    "MergedIntent": {"description": "merged intent"},
    "EnrichResponse": {"items": []},
}


@dataclass
class FakeModels:
    """Structured answers by schema name (a value, or a function of the request body), a
    delay per schema name, vectors by embedded text, and every request seen."""

    url: str = ""
    answers: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_ANSWERS))
    failures: dict[str, int] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    vectors: dict[str, list[float]] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def openai_url(self) -> str:
        return self.url + "/v1"

    def llm(self, **extra: Any) -> dict[str, Any]:
        """Session ``llm`` overrides pointing at this server (no retries: failures are meant)."""
        return {
            "provider": "openai",
            "base_url": self.openai_url,
            "model": "fake-model",
            "max_retries": 0,
            **extra,
        }

    def embedding(self) -> dict[str, Any]:
        return {"provider": "openai", "base_url": self.openai_url, "model": "fake-embed"}

    def calls(self, schema: str) -> int:
        return sum(1 for name, _ in self.seen if name == schema)

    async def chat(self, request: Request) -> Response:
        body = json.loads(await request.body())
        name = _schema_name(body)
        self.seen.append((name, body))
        waited = 0.0
        while waited < self.delays.get(name, 0.0):  # clearing the delay ends the wait
            await asyncio.sleep(0.05)
            waited += 0.05
        if self.failures.get(name, 0) > 0:
            self.failures[name] -= 1
            return JSONResponse({"error": {"message": "scripted failure"}}, status_code=400)
        answer = self.answers.get(name, {})
        value = answer(body) if callable(answer) else answer
        return _json(openai_chat(json.dumps(value)).body)

    async def embeddings(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.seen.append(("embeddings", body))
        texts = body["input"]
        dim = len(next(iter(self.vectors.values()))) if self.vectors else 8
        vectors = [self.vectors.get(text) or _vector(text, dim) for text in texts]
        return _json(openai_embeddings(vectors).body)


def _schema_name(body: dict[str, Any]) -> str:
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return str(response_format["json_schema"]["name"])
    return "chat"


def _json(body: Any) -> Response:
    return Response(json.dumps(body), 200, media_type="application/json")


@contextmanager
def fake_model_server() -> Iterator[FakeModels]:
    fake = FakeModels()
    app = Starlette(
        routes=[
            Route("/v1/chat/completions", fake.chat, methods=["POST"]),
            Route("/v1/embeddings", fake.embeddings, methods=["POST"]),
        ]
    )
    with running(app) as url:
        fake.url = url
        yield fake


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
