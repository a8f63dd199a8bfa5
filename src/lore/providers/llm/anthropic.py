"""Anthropic's Messages API (``POST /v1/messages``). Structured output is one forced tool whose
input schema is the pydantic schema: the tool's input is the reply."""

from __future__ import annotations

import json
import re
from typing import Any

from lore.errors import ProviderError
from lore.providers.http import JSONClient
from lore.providers.llm.base import Completion, OutputSchema

API_VERSION = "2023-06-01"


class AnthropicChat:
    provider = "anthropic"

    def __init__(self, http: JSONClient, *, max_tokens: int) -> None:
        self.http = http
        self.max_tokens = max_tokens

    @property
    def base_url(self) -> str:
        return self.http.base_url

    def complete(
        self, messages: list[dict[str, Any]], *, model: str, schema: OutputSchema | None = None
    ) -> Completion:
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        turns = [m for m in messages if m["role"] != "system"]
        body: dict[str, Any] = {"model": model, "max_tokens": self.max_tokens, "messages": turns}
        if system:
            body["system"] = system
        tool = None
        if schema is not None:
            tool = _tool_name(schema.name)
            body["tools"] = [
                {
                    "name": tool,
                    "description": f"Record the answer as a {schema.name} object.",
                    "input_schema": schema.json_schema,
                }
            ]
            body["tool_choice"] = {"type": "tool", "name": tool}
        return _completion(self.http.post("/v1/messages", body), tool)

    def close(self) -> None:
        self.http.close()


def _completion(answer: dict[str, Any], tool: str | None) -> Completion:
    blocks = answer.get("content")
    if not isinstance(blocks, list):
        raise ProviderError("anthropic answered without content blocks")
    usage = answer.get("usage") or {}
    prompt_tokens = sum(
        int(usage.get(key) or 0)
        for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    return Completion(
        content=_reply_text(blocks, tool),
        prompt_tokens=prompt_tokens,
        completion_tokens=int(usage.get("output_tokens") or 0),
        stop_reason=answer.get("stop_reason"),
    )


def _reply_text(blocks: list[dict[str, Any]], tool: str | None) -> str:
    """The forced tool's input as JSON text when asked for one, else the text blocks."""
    if tool:
        for block in blocks:
            if block.get("type") == "tool_use" and block.get("name") == tool:
                return json.dumps(block.get("input"))
    return "".join(block.get("text", "") for block in blocks if block.get("type") == "text")


def _tool_name(schema_name: str) -> str:
    """Tool names allow letters, digits, ``_`` and ``-``, 64 at most."""
    return re.sub(r"[^a-zA-Z0-9_-]", "_", schema_name)[:64] or "answer"
