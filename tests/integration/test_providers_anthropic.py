"""The Anthropic Messages client against a fake server speaking the real wire format."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from lore.config import Settings
from lore.errors import ProviderError, StructuredOutputError, TransientProviderError
from lore.providers.llm import LLM, build_llm
from tests.fake_llm import (
    FakeLLM,
    anthropic_error,
    anthropic_text,
    anthropic_tool,
    fake_llm_server,
    openai_chat,
)

MESSAGES = [
    {"role": "system", "content": "You extract facts."},
    {"role": "user", "content": "We moved to WAL mode."},
]


class Procedure(BaseModel):
    instruction: str
    steps: list[str]


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with fake_llm_server() as server:
        yield server


def make_llm(url: str, **llm: Any) -> LLM:
    config = {
        "provider": "anthropic",
        "base_url": url,
        "api_key": "sk-ant-test",
        "model": "claude-test",
        "max_retries": 2,
        "backoff_base_s": 0.001,
        "backoff_max_s": 0.01,
        "max_output_tokens": 512,
        **llm,
    }
    built = build_llm(Settings(llm=config))
    assert built is not None
    return built


def test_chat_speaks_the_messages_api(fake: FakeLLM) -> None:
    fake.queue(anthropic_text("Noted."))
    with make_llm(fake.url) as llm:
        result = llm.chat(MESSAGES, step="summarize")
    assert (result.content, result.provider, result.model) == ("Noted.", "anthropic", "claude-test")
    assert (result.prompt_tokens, result.completion_tokens) == (13, 5)
    seen = fake.requests[0]
    assert seen.path == "/v1/messages"
    assert seen.headers["x-api-key"] == "sk-ant-test"
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in seen.headers
    assert seen.body == {
        "model": "claude-test",
        "max_tokens": 512,
        "system": "You extract facts.",
        "messages": [{"role": "user", "content": "We moved to WAL mode."}],
    }


def test_base_url_with_v1_is_accepted(fake: FakeLLM) -> None:
    with make_llm(fake.url + "/v1") as llm:
        assert llm.chat(MESSAGES, step="summarize").content == "ok"
    assert fake.requests[0].path == "/v1/messages"


def test_structured_output_is_one_forced_tool(fake: FakeLLM) -> None:
    fake.queue(anthropic_tool("Procedure", {"instruction": "Enable WAL", "steps": ["a", "b"]}))
    with make_llm(fake.url) as llm:
        result = llm.structured(MESSAGES, Procedure, step="extract_procedural")
    assert result.value == Procedure(instruction="Enable WAL", steps=["a", "b"])
    body = fake.requests[0].body
    assert body["tool_choice"] == {"type": "tool", "name": "Procedure"}
    [tool] = body["tools"]
    assert tool["name"] == "Procedure"
    assert tool["input_schema"] == Procedure.model_json_schema()


def test_tool_input_failing_the_schema_is_repaired_once(fake: FakeLLM) -> None:
    fake.queue(
        anthropic_tool("Procedure", {"instruction": "Enable WAL"}),
        anthropic_tool("Procedure", {"instruction": "Enable WAL", "steps": []}),
    )
    with make_llm(fake.url) as llm:
        result = llm.structured(MESSAGES, Procedure, step="extract_procedural")
    assert result.value.steps == []
    assert (result.prompt_tokens, result.completion_tokens) == (26, 10)
    turns = fake.requests[1].body["messages"]
    assert turns[1] == {"role": "assistant", "content": '{"instruction": "Enable WAL"}'}
    assert "steps: Field required" in turns[2]["content"]


def test_text_instead_of_the_tool_twice_is_a_structured_output_error(fake: FakeLLM) -> None:
    fake.queue(anthropic_text("I cannot use tools."), anthropic_text("Still no."))
    with make_llm(fake.url) as llm, pytest.raises(StructuredOutputError, match="Procedure"):
        llm.structured(MESSAGES, Procedure, step="extract_procedural")


def test_overloaded_529_is_retried(fake: FakeLLM) -> None:
    fake.queue(anthropic_error(529, "overloaded_error", "Overloaded"), anthropic_text("back"))
    with make_llm(fake.url) as llm:
        assert llm.chat(MESSAGES, step="summarize").content == "back"


def test_overloaded_until_retries_run_out_is_transient(fake: FakeLLM) -> None:
    fake.queue(*[anthropic_error(529, "overloaded_error", "Overloaded")] * 3)
    with make_llm(fake.url) as llm, pytest.raises(TransientProviderError, match="Overloaded"):
        llm.chat(MESSAGES, step="summarize")


def test_invalid_request_keeps_anthropic_message(fake: FakeLLM) -> None:
    fake.queue(anthropic_error(400, "invalid_request_error", "max_tokens: too large"))
    with make_llm(fake.url) as llm, pytest.raises(ProviderError, match="max_tokens: too large"):
        llm.chat(MESSAGES, step="summarize")


def test_local_server_first_then_anthropic_as_fallback(fake: FakeLLM) -> None:
    with fake_llm_server() as local:
        local.queue(openai_chat('{"instruction": 1}'), openai_chat("{}"))
        fake.queue(anthropic_tool("Procedure", {"instruction": "x", "steps": ["y"]}))
        settings = Settings(
            llm={
                "provider": "openai",
                "base_url": local.openai_url,
                "model": "qwen-local",
                "fallbacks": [
                    {"provider": "anthropic", "base_url": fake.url, "model": "claude-test"}
                ],
            }
        )
        llm = build_llm(settings)
        assert llm is not None
        with llm:
            result = llm.structured(MESSAGES, Procedure, step="extract_procedural")
    assert (result.provider, result.value.steps) == ("anthropic", ["y"])
