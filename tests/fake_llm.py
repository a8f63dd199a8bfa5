"""A fake hosted LLM for tests: a real HTTP server on 127.0.0.1 speaking the OpenAI
(``/v1/chat/completions``, ``/v1/embeddings``) and Anthropic (``/v1/messages``) wire formats.

Replies come from a script, in order; once it runs out, every request gets a plain success
("ok", or deterministic embeddings). Every request is kept for assertions.

    with fake_llm_server() as fake:
        fake.queue(openai_error(429, "slow down", retry_after="1"), openai_chat("hello"))
        ... LLMSettings(provider="openai", base_url=fake.openai_url, ...)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.servers import running


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialisable, or a str sent as it is (malformed bodies)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeLLM:
    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Seen] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()

    @property
    def openai_url(self) -> str:
        return self.url + "/v1"

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def app(self) -> Starlette:
        paths = ("/v1/chat/completions", "/v1/embeddings", "/v1/messages")
        return Starlette(routes=[Route(path, self._handle, methods=["POST"]) for path in paths])

    async def _handle(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.requests.append(Seen(request.url.path, dict(request.headers), body))
        with self._lock:
            reply = self._script.popleft() if self._script else _default(request.url.path, body)
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        content = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        return Response(content, reply.status, headers=reply.headers, media_type="application/json")


@contextmanager
def fake_llm_server() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    with running(fake.app()) as url:
        fake.url = url
        yield fake


def openai_chat(
    content: str | None, *, prompt_tokens: int = 11, completion_tokens: int = 7
) -> Reply:
    return Reply(
        body={
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": "fake-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def openai_error(status: int, message: str, *, retry_after: str | None = None) -> Reply:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    body = {"error": {"message": message, "type": "invalid_request_error", "code": None}}
    return Reply(status=status, body=body, headers=headers)


def openai_embeddings(vectors: list[list[float]], *, shuffled: bool = False) -> Reply:
    data = [
        {"object": "embedding", "index": index, "embedding": vector}
        for index, vector in enumerate(vectors)
    ]
    return Reply(
        body={
            "object": "list",
            "data": list(reversed(data)) if shuffled else data,
            "model": "fake-embed",
            "usage": {"prompt_tokens": 3, "total_tokens": 3},
        }
    )


def anthropic_message(
    blocks: list[dict[str, Any]], *, input_tokens: int = 13, output_tokens: int = 5
) -> Reply:
    stop = "tool_use" if any(block["type"] == "tool_use" for block in blocks) else "end_turn"
    return Reply(
        body={
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": "claude-fake",
            "content": blocks,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        }
    )


def anthropic_text(text: str) -> Reply:
    return anthropic_message([{"type": "text", "text": text}])


def anthropic_tool(name: str, tool_input: dict[str, Any]) -> Reply:
    block = {"type": "tool_use", "id": "toolu_fake", "name": name, "input": tool_input}
    return anthropic_message([block])


def anthropic_error(status: int, kind: str, message: str) -> Reply:
    return Reply(status=status, body={"type": "error", "error": {"type": kind, "message": message}})


def _default(path: str, body: dict[str, Any]) -> Reply:
    if path.endswith("/messages"):
        return anthropic_text("ok")
    if path.endswith("/embeddings"):
        return openai_embeddings([_vector(text) for text in body["input"]])
    return openai_chat("ok")


def _vector(text: str, dim: int = 8) -> list[float]:
    """A deterministic, unnormalised vector per text."""
    digest = hashlib.sha256(text.encode()).digest()
    return [float(byte) + 1.0 for byte in digest[:dim]]
