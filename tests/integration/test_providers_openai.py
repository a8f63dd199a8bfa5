"""The OpenAI-compatible client against a fake server speaking the real wire format."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from lore.config import Settings
from lore.errors import (
    ConfigError,
    ProviderError,
    StructuredOutputError,
    TransientProviderError,
    ValidationError,
)
from lore.providers.llm import LLM, build_llm
from lore.store.base import LLMCall
from tests.fake_llm import (
    FakeLLM,
    Reply,
    fake_llm_server,
    openai_chat,
    openai_error,
)

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


class Fact(BaseModel):
    title: str
    confidence: float
    tags: list[str] = []


class Calls(list[LLMCall]):
    """A recorder that keeps the calls in memory."""

    def record(self, call: LLMCall) -> None:
        self.append(call)


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with fake_llm_server() as server:
        yield server


def make_llm(url: str, recorder: Calls | None = None, **llm: Any) -> LLM:
    config: dict[str, Any] = {
        "provider": "openai",
        "base_url": url,
        "api_key": "sk-test-secret",
        "model": "gpt-test",
        "max_retries": 2,
        "backoff_base_s": 0.001,
        "backoff_max_s": 0.01,
        "timeout_s": 2.0,
        **llm,
    }
    built = build_llm(Settings(llm=config), recorder=recorder)
    assert built is not None
    return built


def test_chat_returns_content_model_and_usage(fake: FakeLLM) -> None:
    fake.queue(openai_chat("Hello there", prompt_tokens=21, completion_tokens=3))
    with make_llm(fake.openai_url) as llm:
        result = llm.chat(MESSAGES, step="summarize")
    assert result.content == "Hello there"
    assert (result.model, result.provider) == ("gpt-test", "openai")
    assert (result.prompt_tokens, result.completion_tokens) == (21, 3)
    assert result.duration_ms > 0
    seen = fake.requests[0]
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == "Bearer sk-test-secret"
    assert seen.body == {"model": "gpt-test", "messages": MESSAGES}


def test_structured_uses_strict_json_schema_mode(fake: FakeLLM) -> None:
    fake.queue(openai_chat('{"title": "Use WAL", "confidence": 0.9, "tags": ["sqlite"]}'))
    with make_llm(fake.openai_url) as llm:
        result = llm.structured(MESSAGES, Fact, step="extract_semantic")
    assert result.value == Fact(title="Use WAL", confidence=0.9, tags=["sqlite"])
    response_format = fake.requests[0].body["response_format"]
    assert response_format["type"] == "json_schema"
    spec = response_format["json_schema"]
    assert (spec["name"], spec["strict"]) == ("Fact", True)
    assert spec["schema"]["required"] == ["title", "confidence", "tags"]
    assert spec["schema"]["additionalProperties"] is False


def test_model_is_chosen_per_step_then_tier_then_default(fake: FakeLLM) -> None:
    settings = Settings(
        llm={
            "provider": "openai",
            "base_url": fake.openai_url,
            "model": "default-model",
            "tiers": {"medium": "medium-model"},
            "steps": {"deep_enrich": "deep-model"},
        }
    )
    small, medium = build_llm(settings), build_llm(settings, tier="medium")
    assert small is not None and medium is not None
    with small, medium:
        small.chat(MESSAGES, step="annotate")
        medium.chat(MESSAGES, step="annotate")
        medium.chat(MESSAGES, step="deep_enrich")
    assert [r.body["model"] for r in fake.requests] == [
        "default-model",
        "medium-model",
        "deep-model",
    ]


def test_429_honours_retry_after_up_to_the_cap(
    fake: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    fake.queue(openai_error(429, "Rate limit reached", retry_after="1"), openai_chat("later"))
    with (
        caplog.at_level(logging.WARNING, "lore.providers.http"),
        make_llm(fake.openai_url, backoff_max_s=0.3) as llm,
    ):
        started = time.perf_counter()
        result = llm.chat(MESSAGES, step="summarize")
        elapsed = time.perf_counter() - started
    assert result.content == "later"
    assert len(fake.requests) == 2
    # The base backoff is 1 ms: a wait of 0.3 s means Retry-After (1 s) was used, and capped.
    # The planned wait is read from the log, so a loaded machine cannot make it look longer.
    assert [record.getMessage().endswith("retry 1 in 0.30 s") for record in caplog.records] == [
        True
    ]
    assert elapsed >= 0.3


def test_500_is_retried_then_succeeds(fake: FakeLLM) -> None:
    fake.queue(openai_error(500, "boom"), openai_error(503, "busy"), openai_chat("fine"))
    with make_llm(fake.openai_url) as llm:
        assert llm.chat(MESSAGES, step="summarize").content == "fine"
    assert len(fake.requests) == 3


def test_500_after_retries_is_transient_and_recorded(fake: FakeLLM) -> None:
    fake.queue(*[openai_error(500, "internal error")] * 3)
    calls = Calls()
    with make_llm(fake.openai_url, calls) as llm, pytest.raises(TransientProviderError) as info:
        llm.chat(MESSAGES, step="annotate")
    assert "500" in str(info.value) and "3 attempts" in str(info.value)
    assert len(fake.requests) == 3
    assert [(c.outcome, c.step, c.model) for c in calls] == [("error", "annotate", "gpt-test")]
    assert "500" in (calls[0].error or "")


def test_timeout_is_transient(fake: FakeLLM) -> None:
    fake.queue(Reply(body={}, delay_s=1.0))
    with (
        make_llm(fake.openai_url, timeout_s=0.2, max_retries=0) as llm,
        pytest.raises(TransientProviderError, match=r"timed out after 0\.2 s"),
    ):
        llm.chat(MESSAGES, step="summarize")


def test_connection_refused_is_transient_and_names_the_server() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    with make_llm(url, max_retries=1) as llm, pytest.raises(TransientProviderError) as info:
        llm.chat(MESSAGES, step="summarize")
    assert "cannot reach openai at " + url in str(info.value)
    assert "sk-test-secret" not in str(info.value)


def test_malformed_json_body_fails_without_retry(fake: FakeLLM) -> None:
    fake.queue(Reply(body='{"choices": [ {"message": '))
    with make_llm(fake.openai_url) as llm, pytest.raises(ProviderError) as info:
        llm.chat(MESSAGES, step="summarize")
    assert not isinstance(info.value, TransientProviderError)
    assert "malformed JSON" in str(info.value)
    assert len(fake.requests) == 1


def test_client_error_is_not_retried_and_keeps_the_server_message(fake: FakeLLM) -> None:
    fake.queue(openai_error(401, "Incorrect API key provided"))
    with make_llm(fake.openai_url) as llm, pytest.raises(ProviderError) as info:
        llm.chat(MESSAGES, step="summarize")
    assert not isinstance(info.value, TransientProviderError)
    assert "401" in str(info.value) and "Incorrect API key provided" in str(info.value)
    assert len(fake.requests) == 1


def test_empty_reply_is_an_error_not_a_silent_empty_result(fake: FakeLLM) -> None:
    fake.queue(openai_chat(None), openai_chat("   "))
    with make_llm(fake.openai_url) as llm:
        for _ in range(2):
            with pytest.raises(ProviderError, match="empty reply"):
                llm.chat(MESSAGES, step="summarize")


def test_output_failing_the_schema_gets_one_repair_turn(fake: FakeLLM) -> None:
    fake.queue(
        openai_chat('{"title": "Use WAL"}', prompt_tokens=10, completion_tokens=4),
        openai_chat(
            '{"title": "Use WAL", "confidence": 0.8}', prompt_tokens=30, completion_tokens=6
        ),
    )
    calls = Calls()
    with make_llm(fake.openai_url, calls) as llm:
        result = llm.structured(MESSAGES, Fact, step="extract_semantic")
    assert result.value.confidence == 0.8
    assert (result.prompt_tokens, result.completion_tokens) == (40, 10)
    repair = fake.requests[1].body["messages"]
    assert repair[:2] == MESSAGES
    assert repair[2] == {"role": "assistant", "content": '{"title": "Use WAL"}'}
    assert repair[3]["role"] == "user" and "confidence: Field required" in repair[3]["content"]
    assert [(c.outcome, c.prompt_tokens) for c in calls] == [("ok", 40)]


def test_output_failing_twice_is_a_structured_output_error(fake: FakeLLM) -> None:
    fake.queue(openai_chat("Sure! Here it is."), openai_chat('{"title": 3}'))
    with make_llm(fake.openai_url) as llm, pytest.raises(StructuredOutputError) as info:
        llm.structured(MESSAGES, Fact, step="extract_semantic")
    assert "gpt-test" in str(info.value) and "Fact" in str(info.value)
    assert len(fake.requests) == 2


def test_fenced_json_from_a_local_model_is_accepted(fake: FakeLLM) -> None:
    fake.queue(openai_chat('Here you go:\n```json\n{"title": "x", "confidence": 1}\n```'))
    with make_llm(fake.openai_url) as llm:
        assert llm.structured(MESSAGES, Fact, step="annotate").value.title == "x"


def test_server_without_json_schema_falls_back_to_json_mode(fake: FakeLLM) -> None:
    fake.queue(
        openai_error(400, "Unsupported value: 'response_format.type' json_schema"),
        openai_chat('{"title": "a", "confidence": 0.5}'),
        openai_chat('{"title": "b", "confidence": 0.5}'),
    )
    with make_llm(fake.openai_url) as llm:
        assert llm.structured(MESSAGES, Fact, step="annotate").value.title == "a"
        assert llm.structured(MESSAGES, Fact, step="annotate").value.title == "b"
    formats = [r.body["response_format"]["type"] for r in fake.requests]
    assert formats == ["json_schema", "json_object", "json_object"]
    instruction = fake.requests[1].body["messages"][0]
    assert instruction["role"] == "system"
    assert json.dumps(Fact.model_json_schema(), separators=(",", ":")) in instruction["content"]


def test_server_without_any_response_format_gets_the_schema_in_the_prompt(fake: FakeLLM) -> None:
    fake.queue(
        openai_error(400, "response_format is not supported"),
        openai_error(422, "unknown field response_format"),
        openai_chat('{"title": "a", "confidence": 0.5}'),
    )
    with make_llm(fake.openai_url) as llm:
        assert llm.structured(MESSAGES, Fact, step="annotate").value.title == "a"
    assert "response_format" not in fake.requests[2].body


def test_fallback_chain_uses_the_next_endpoint_and_records_both(fake: FakeLLM) -> None:
    with fake_llm_server() as backup:
        fake.queue(openai_error(500, "down"))
        backup.queue(openai_chat("from backup", prompt_tokens=5, completion_tokens=2))
        calls = Calls()
        fallbacks = [{"provider": "openai", "base_url": backup.openai_url, "model": "backup-model"}]
        with make_llm(fake.openai_url, calls, max_retries=0, fallbacks=fallbacks) as llm:
            result = llm.chat(MESSAGES, step="refine_query")
    assert (result.content, result.model) == ("from backup", "backup-model")
    assert [(c.outcome, c.model, c.fallback_from) for c in calls] == [
        ("error", "gpt-test", None),
        ("fallback", "backup-model", "openai:gpt-test"),
    ]
    assert calls[1].prompt_tokens == 5


def test_fallback_chain_failing_everywhere_names_every_model(fake: FakeLLM) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    fake.queue(openai_error(503, "overloaded"))
    fallbacks = [{"provider": "openai", "base_url": dead, "model": "local-model"}]
    with (
        make_llm(fake.openai_url, max_retries=0, fallbacks=fallbacks) as llm,
        pytest.raises(TransientProviderError) as info,
    ):
        llm.chat(MESSAGES, step="summarize")
    assert "all 2 models failed" in str(info.value)
    assert "openai:gpt-test" in str(info.value) and "openai:local-model" in str(info.value)


def test_unknown_step_and_bad_messages_are_refused(fake: FakeLLM) -> None:
    with make_llm(fake.openai_url) as llm:
        with pytest.raises(ValidationError, match="unknown LLM step"):
            llm.chat(MESSAGES, step="guess")
        with pytest.raises(ValidationError) as info:
            llm.chat([{"role": "user", "content": 3}], step="summarize")
    assert info.value.field == "messages[0].content"
    assert fake.requests == []


def test_probe_gives_a_verdict_per_endpoint(fake: FakeLLM) -> None:
    fallbacks = [{"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "gone"}]
    with make_llm(fake.openai_url, max_retries=0, fallbacks=fallbacks) as llm:
        first, second = llm.probe()
    assert first.ok and first.detail == "replied 'ok'" and first.model == "gpt-test"
    assert not second.ok and "cannot reach" in second.detail


def test_a_key_named_by_its_environment_variable(
    fake: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAM_LLM_KEY", "sk-from-the-environment")
    fake.queue(openai_chat("ok"))
    with make_llm(fake.openai_url, api_key="", api_key_env="TEAM_LLM_KEY") as llm:
        llm.chat(MESSAGES, step="annotate")
    assert fake.requests[0].headers["authorization"] == "Bearer sk-from-the-environment"
    monkeypatch.delenv("TEAM_LLM_KEY")
    with pytest.raises(ConfigError, match="TEAM_LLM_KEY"):
        make_llm(fake.openai_url, api_key="", api_key_env="TEAM_LLM_KEY")
