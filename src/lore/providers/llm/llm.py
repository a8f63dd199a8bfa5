"""The ``LLM`` every caller uses: picks the model per step, validates structured output (with one
repair turn), walks the fallback chain and records every call.

A route is one configured endpoint with its model choice. The first route is the primary; when it
fails (after its HTTP retries), the next is tried, and so on. Each route tried is one recorded
call: ``error`` for a route that failed, ``ok`` for the primary's success, ``fallback`` (with the
primary's name in ``fallback_from``) for a later route's success.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from lore.errors import (
    ProviderError,
    StructuredOutputError,
    TransientProviderError,
    ValidationError,
)
from lore.providers.accounting import CallRecorder
from lore.providers.llm.base import (
    STEPS,
    ChatClient,
    Completion,
    LLMResult,
    OutputSchema,
    StructuredResult,
)
from lore.providers.llm.structured import InvalidOutput, parse_reply, repair_messages
from lore.store.base import LLMCall

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")

PROBE_MESSAGES = [{"role": "user", "content": "Reply with the single word: ok"}]


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint and how it picks a model: ``steps[step]``, else ``default``."""

    client: ChatClient
    default: str
    steps: Mapping[str, str] = field(default_factory=dict)

    def model_for(self, step: str) -> str:
        return self.steps.get(step) or self.default

    def label(self, step: str) -> str:
        return f"{self.client.provider}:{self.model_for(step)}"


@dataclass(frozen=True, slots=True)
class Probe:
    """The verdict of one real call to one route (for ``lore doctor``)."""

    provider: str
    model: str
    base_url: str
    ok: bool
    detail: str
    duration_ms: float


@dataclass(slots=True)
class _Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, completion: Completion) -> Completion:
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        return completion


@dataclass(frozen=True, slots=True)
class _Outcome:
    route: Route
    model: str
    usage: _Usage
    duration_ms: float

    def usage_fields(self) -> dict[str, Any]:
        """The fields ``LLMResult`` and ``StructuredResult`` share."""
        return {
            "model": self.model,
            "provider": self.route.client.provider,
            "prompt_tokens": self.usage.prompt_tokens,
            "completion_tokens": self.usage.completion_tokens,
            "duration_ms": self.duration_ms,
        }


class LLM:
    def __init__(self, routes: Sequence[Route], *, recorder: CallRecorder | None = None) -> None:
        if not routes:
            raise ValueError("an LLM needs at least one route")
        self.routes = list(routes)
        self.recorder = recorder

    def model_for(self, step: str) -> str:
        """The primary route's model for ``step``."""
        return self.routes[0].model_for(_known(step))

    def chat(self, messages: list[dict[str, Any]], *, step: str) -> LLMResult:
        messages = _checked(messages)
        content, outcome = self._through_routes(step, lambda r, m, u: self._chat(r, m, u, messages))
        return LLMResult(content=content, **outcome.usage_fields())

    def structured(
        self, messages: list[dict[str, Any]], schema: type[T], *, step: str
    ) -> StructuredResult[T]:
        messages = _checked(messages)
        value, outcome = self._through_routes(
            step, lambda r, m, u: self._structured(r, m, u, messages, schema)
        )
        return StructuredResult(value=value, **outcome.usage_fields())

    def with_recorder(self, recorder: CallRecorder | None) -> LLM:
        """The same routes (and HTTP clients) reporting to another recorder."""
        return LLM(self.routes, recorder=recorder)

    def probe(self) -> list[Probe]:
        """One real call to every route, primary first; never raises a provider error."""
        return [self._probe(route) for route in self.routes]

    def close(self) -> None:
        for route in self.routes:
            route.client.close()

    def __enter__(self) -> LLM:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _chat(self, route: Route, model: str, usage: _Usage, messages: list[dict[str, Any]]) -> str:
        completion = usage.add(route.client.complete(messages, model=model))
        if not completion.content.strip():
            raise ProviderError(
                f"{route.client.provider}:{model} returned an empty reply"
                f" (stop reason: {completion.stop_reason or 'none given'})"
            )
        return completion.content

    def _structured(
        self,
        route: Route,
        model: str,
        usage: _Usage,
        messages: list[dict[str, Any]],
        schema: type[T],
    ) -> T:
        output = OutputSchema.of(schema)
        reply = usage.add(route.client.complete(messages, model=model, schema=output)).content
        try:
            return parse_reply(reply, schema)
        except InvalidOutput as problem:
            retry = repair_messages(messages, reply, problem, output.name)
            reply = usage.add(route.client.complete(retry, model=model, schema=output)).content
        try:
            return parse_reply(reply, schema)
        except InvalidOutput as problem:
            raise StructuredOutputError(
                f"{route.client.provider}:{model} returned output that does not match"
                f" {output.name}, even after one repair: {problem}"
            ) from None

    def _through_routes(
        self, step: str, attempt: Callable[[Route, str, _Usage], R]
    ) -> tuple[R, _Outcome]:
        primary = self.routes[0].label(_known(step))
        failures: list[tuple[str, ProviderError]] = []
        for index, route in enumerate(self.routes):
            model, usage = route.model_for(step), _Usage()
            started = time.perf_counter()
            fallback_from = primary if index else None
            try:
                value = attempt(route, model, usage)
            except ProviderError as exc:
                outcome = _Outcome(route, model, usage, _ms_since(started))
                self._record(step, outcome, "error", error=str(exc), fallback_from=fallback_from)
                failures.append((route.label(step), exc))
                continue
            outcome = _Outcome(route, model, usage, _ms_since(started))
            self._record(step, outcome, "fallback" if index else "ok", fallback_from=fallback_from)
            return value, outcome
        raise _chain_failure(failures)

    def _record(
        self,
        step: str,
        outcome: _Outcome,
        result: Literal["ok", "error", "fallback"],
        *,
        error: str | None = None,
        fallback_from: str | None = None,
    ) -> None:
        if self.recorder is None:
            return
        self.recorder.record(
            LLMCall(
                provider=outcome.route.client.provider,
                model=outcome.model,
                step=step,
                prompt_tokens=outcome.usage.prompt_tokens,
                completion_tokens=outcome.usage.completion_tokens,
                duration_ms=outcome.duration_ms,
                outcome=result,
                error=error,
                fallback_from=fallback_from,
            )
        )

    def _probe(self, route: Route) -> Probe:
        model = route.model_for("summarize")
        started = time.perf_counter()
        try:
            reply = self._chat(route, model, _Usage(), PROBE_MESSAGES)
        except ProviderError as exc:
            ok, detail = False, str(exc)
        else:
            ok, detail = True, f"replied {reply.strip()[:40]!r}"
        provider, base_url = route.client.provider, route.client.base_url
        return Probe(provider, model, base_url, ok, detail, _ms_since(started))


def _known(step: str) -> str:
    if step not in STEPS:
        raise ValidationError(f"unknown LLM step {step!r}; steps are {', '.join(STEPS)}", "step")
    return step


def _checked(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages are ``{"role": system|user|assistant, "content": str}``; say which one is not."""
    for index, message in enumerate(messages):
        if message.get("role") not in ("system", "user", "assistant"):
            raise ValidationError(
                "role must be system, user or assistant", f"messages[{index}].role"
            )
        if not isinstance(message.get("content"), str):
            raise ValidationError("content must be text", f"messages[{index}].content")
    if not any(message["role"] != "system" for message in messages):
        raise ValidationError("at least one user message is needed", "messages")
    return messages


def _chain_failure(failures: list[tuple[str, ProviderError]]) -> ProviderError:
    """The one error when every route failed: the route's own error when there was one route,
    else a summary typed by what the failures share (transient, structured or plain)."""
    if len(failures) == 1:
        return failures[0][1]
    summary = "; ".join(f"{label}: {exc}" for label, exc in failures)
    message = f"all {len(failures)} models failed: {summary}"
    for kind in (TransientProviderError, StructuredOutputError):
        if all(isinstance(exc, kind) for _, exc in failures):
            return kind(message)
    return ProviderError(message)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
