"""OpenAI-compatible chat completions: OpenAI, Mistral, Ollama, vLLM, llama.cpp server, LM Studio.

Structured output asks for the strongest mode the server takes and steps down when it refuses
one (a 400 or 422 naming the response format), remembering the answer per schema:

    json_schema (the server enforces the schema)  ->  json_object (JSON, schema in the prompt)
    ->  prompt (schema in the prompt only)

Whatever the mode, the reply is validated by the ``LLM`` above; none of them is trusted blindly.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from lore.errors import ProviderError
from lore.providers.http import JSONClient, RejectedRequest
from lore.providers.llm.base import Completion, OutputSchema
from lore.providers.llm.structured import schema_instruction

Mode = Literal["json_schema", "json_object", "prompt"]
_NEXT_MODE: dict[Mode, Mode | None] = {
    "json_schema": "json_object",
    "json_object": "prompt",
    "prompt": None,
}
_FORMAT_WORDS = ("response_format", "response format", "json_schema", "json_object")


class OpenAIChat:
    provider = "openai"

    def __init__(self, http: JSONClient) -> None:
        self.http = http
        self._modes: dict[str, Mode] = {}

    @property
    def base_url(self) -> str:
        return self.http.base_url

    def complete(
        self, messages: list[dict[str, Any]], *, model: str, schema: OutputSchema | None = None
    ) -> Completion:
        if schema is None:
            return self._request({"model": model, "messages": messages})
        while True:
            mode = self._modes.get(schema.name, "json_schema")
            try:
                return self._request(_structured_body(messages, model, schema, mode))
            except RejectedRequest as refusal:
                fallback = _NEXT_MODE[mode] if _names_format(refusal) else None
                if fallback is None:
                    raise
                self._modes[schema.name] = fallback

    def close(self) -> None:
        self.http.close()

    def _request(self, body: dict[str, Any]) -> Completion:
        answer = self.http.post("/chat/completions", body)
        choices = answer.get("choices")
        if not isinstance(choices, list) or not choices:
            error = answer.get("error")
            detail = f": {error}" if error else ""
            raise ProviderError(f"openai at {self.base_url} answered without choices{detail}")
        choice = choices[0]
        message = choice.get("message") or {}
        if message.get("refusal"):
            raise ProviderError(f"the model refused: {message['refusal']}")
        usage = answer.get("usage") or {}
        return Completion(
            content=_text(message.get("content")),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            stop_reason=choice.get("finish_reason"),
        )


def _structured_body(
    messages: list[dict[str, Any]], model: str, schema: OutputSchema, mode: Mode
) -> dict[str, Any]:
    if mode == "json_schema":
        response_format = {
            "type": "json_schema",
            "json_schema": {
                "name": schema.name,
                "schema": strict_schema(schema.json_schema),
                "strict": True,
            },
        }
        return {"model": model, "messages": messages, "response_format": response_format}
    instruction = {"role": "system", "content": schema_instruction(schema.name, schema.json_schema)}
    body: dict[str, Any] = {"model": model, "messages": [instruction, *messages]}
    if mode == "json_object":
        body["response_format"] = {"type": "json_object"}
    return body


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as OpenAI's strict mode wants it: every object closed, every property
    required, no defaults. Optional fields stay valid: the model simply sends them."""
    strict = copy.deepcopy(schema)
    _close_objects(strict)
    return strict


def _close_objects(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _close_objects(item)
        return
    if not isinstance(node, dict):
        return
    node.pop("default", None)
    properties = node.get("properties")
    if node.get("type") == "object" and isinstance(properties, dict):
        node["additionalProperties"] = False
        node["required"] = list(properties)
    for key, value in node.items():
        if key != "properties":
            _close_objects(value)
    if isinstance(properties, dict):
        for value in properties.values():
            _close_objects(value)


def _names_format(refusal: RejectedRequest) -> bool:
    detail = refusal.detail.lower()
    return refusal.status in (400, 422) and any(word in detail for word in _FORMAT_WORDS)


def _text(content: Any) -> str:
    """Message content as text: a string, or (some servers) a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""
