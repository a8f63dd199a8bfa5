"""What every chat provider shares: the results callers get, and the one method a vendor implements.

A vendor client (``ChatClient``) makes one request; the ``LLM`` above it owns model choice per
step, structured-output validation and repair, the fallback chain and accounting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

# The pipeline and recall steps that call a model; config can pick a model per step.
STEPS = (
    "annotate",
    "extract_semantic",
    "extract_procedural",
    "score_return",
    "deep_enrich",
    "merge_intent",
    "classify_query",
    "refine_query",
    "summarize",
)

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class LLMResult:
    content: str
    model: str
    provider: str
    prompt_tokens: int
    completion_tokens: int
    duration_ms: float


@dataclass(frozen=True, slots=True)
class StructuredResult(Generic[T]):
    value: T
    model: str
    provider: str
    prompt_tokens: int
    completion_tokens: int
    duration_ms: float


@dataclass(frozen=True, slots=True)
class OutputSchema:
    """The JSON schema a structured reply must match, with a name vendors can use as a label."""

    name: str
    json_schema: dict[str, Any]

    @classmethod
    def of(cls, model: type[BaseModel]) -> OutputSchema:
        return cls(name=model.__name__, json_schema=model.model_json_schema())


@dataclass(frozen=True, slots=True)
class Completion:
    """One reply as a vendor returns it: text (for structured requests, the JSON text)."""

    content: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    stop_reason: str | None = None


class ChatClient(Protocol):
    """One configured provider endpoint; ``complete`` makes one request (with HTTP retries)."""

    @property
    def provider(self) -> str: ...

    @property
    def base_url(self) -> str: ...

    def complete(
        self, messages: list[dict[str, Any]], *, model: str, schema: OutputSchema | None = None
    ) -> Completion: ...

    def close(self) -> None: ...
