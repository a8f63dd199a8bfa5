"""Enrich with a hosted LLM (a fake OpenAI-compatible server on 127.0.0.1 speaking the real wire
format): one call per chunk of ten events, cut evidence, quote verification, the offline rules
when the model never answers in the schema, and calls and tokens accounted per stage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lore import Lore
from lore.config import load_settings
from lore.domain.jobs import Job, JobStatus
from tests.fake_llm import FakeLLM, Reply, fake_llm_server, openai_chat
from tests.pipeline_helpers import enrich_now, items


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with fake_llm_server() as server:
        yield server


@pytest.fixture
def lore(fake: FakeLLM, lore_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lore]:
    for name, value in {
        "LORE_LLM_PROVIDER": "openai",
        "LORE_LLM_BASE_URL": fake.openai_url,
        "LORE_LLM_MODEL": "fake-model",
        "LORE_LLM_API_KEY": "test-key",
        "LORE_LLM__MAX_RETRIES": "0",
        "LORE_PIPELINE__IN_PROCESS_WORKER": "false",
    }.items():
        monkeypatch.setenv(name, value)
    with Lore.open(settings=load_settings()) as opened:
        opened.create_project("demo")
        yield opened


def answer(items_: list[dict[str, object]], prompt_tokens: int = 900) -> Reply:
    return openai_chat(
        json.dumps({"items": items_}), prompt_tokens=prompt_tokens, completion_tokens=150
    )


def item(event_id: int, quote: str, title: str, type_: str = "convention") -> dict[str, object]:
    return {
        "type": type_,
        "title": title,
        "facts": [title + "."],
        "schema_key": "root/api/cache",
        "confidence": 0.8,
        "importance": 0.6,
        "evidence": [{"event_id": event_id, "quote": quote}],
    }


def notes(lore: Lore, count: int) -> tuple[int, list[int]]:
    events = [
        {
            "source": "cli",
            "type": "note",
            "payload": {"text": f"The cache TTL of endpoint /v{n} is {10 * n} seconds"},
        }
        for n in range(count)
    ]
    result = lore.capture_events(events, project="demo")
    lore.close(result.session_ids[0])
    return result.session_ids[0], result.event_ids


def enrich_requests(fake: FakeLLM) -> list[str]:
    return [
        seen.body["messages"][-1]["content"]
        for seen in fake.requests
        if seen.path.endswith("/chat/completions")
    ]


def test_one_call_per_chunk_of_ten_events_and_unquoted_items_are_rejected(
    lore: Lore, fake: FakeLLM
) -> None:
    session_id, ids = notes(lore, 25)
    fake.queue(
        answer(
            [
                item(
                    ids[3],
                    "cache TTL of endpoint /v3 is 30 seconds",
                    "Endpoint /v3 caches for 30 seconds",
                ),
                item(ids[4], "the cache lives in Redis", "The cache lives in Redis"),  # not said
            ]
        ),
        answer(
            [item(ids[12], "endpoint /v12 is 120 seconds", "Endpoint /v12 caches for 120 seconds")]
        ),
        answer([]),
    )
    job = enrich_now(lore, session_id)

    assert job.status is JobStatus.COMPLETED
    chunks = enrich_requests(fake)
    assert [chunk.count("<event id=") for chunk in chunks] == [10, 10, 5]
    enrich = job.stage("enrich")
    assert enrich.llm_calls == 3 and enrich.tokens == 3 * (900 + 150)
    assert enrich.note == "25 events, 2 items, 1 rejected (quote not found)"
    titles = {node.title: node for node in items(lore)}
    assert set(titles) == {
        "Endpoint /v3 caches for 30 seconds",
        "Endpoint /v12 caches for 120 seconds",
    }
    stored = titles["Endpoint /v3 caches for 30 seconds"]
    assert (
        stored.data["extractor"] == "llm:enrich/1" and stored.data["prompt_version"] == "enrich/1"
    )
    assert [e.event_id for e in lore.store.graph.evidence(stored.id)] == [ids[3]]
    usage = {u.key: u.calls for u in lore.store.llm_calls.usage("stage", job_id=job.id)}
    assert usage == {"enrich": 3}


def test_evidence_blocks_and_diffs_are_cut_for_the_prompt_but_quotes_check_the_whole_event(
    lore: Lore, fake: FakeLLM
) -> None:
    diff = "diff --git a/app.py b/app.py\n" + "+print('x')\n" * 600
    body = "Long explanation. " * 200 + "The retry budget is exactly seven attempts."
    commit = {
        "sha": "c" * 40,
        "subject": "Tune retries",
        "body": body,
        "diff": diff,
        "files": [{"path": "app.py"}],
    }
    lore.update_project("demo", auto_learn=False)
    result = lore.capture_event("git", "git_digest", {"commits": [commit]}, project="demo")
    fake.queue(
        answer(
            [
                item(
                    result.event_ids[0],
                    "The retry budget is exactly seven attempts",
                    "Retries stop after seven attempts",
                    "decision",
                )
            ]
        )
    )
    job = enrich_now(lore, result.session_ids[0])

    (prompt,) = enrich_requests(fake)
    block = prompt.split("<event id=", 1)[1]
    assert "commits[0].diff: diff --git" in block
    diff_line = block[block.index("commits[0].diff: ") :].split("\n</event>")[0]
    assert len(diff_line) <= len("commits[0].diff: ") + 3000 + len(" […]") + 20
    facts_part = block.split("commits[0].diff: ")[0]
    assert len(facts_part) < 2000 + 200
    assert "exactly seven attempts" not in facts_part  # cut away from the prompt...
    assert job.stage("enrich").note.endswith(
        "0 rejected (quote not found)"
    )  # ...found in the event
    assert [node.title for node in items(lore)] == ["Retries stop after seven attempts"]


def test_a_chunk_the_model_never_answers_in_the_schema_falls_back_to_the_rules(
    lore: Lore, fake: FakeLLM
) -> None:
    session_id, _ = notes(lore, 3)
    fake.queue(openai_chat("I cannot help with that."), openai_chat("Still not JSON."))
    job = enrich_now(lore, session_id)
    assert job.status is JobStatus.COMPLETED
    found = items(lore)
    assert len(found) == 3 and {node.data["extractor"] for node in found} == {"offline/1"}
    assert {node.title for node in found} >= {"The cache TTL of endpoint /v1 is 10 seconds"}


def test_a_rate_limited_model_requeues_the_job_with_backoff(lore: Lore, fake: FakeLLM) -> None:
    session_id, _ = notes(lore, 2)
    fake.queue(Reply(status=429, body={"error": {"message": "slow down"}}))
    job = enrich_now_once(lore, session_id)
    assert job.status is JobStatus.QUEUED and job.attempts == 1
    assert job.stage("enrich").status.value == "failed"
    assert "slow down" in (job.error or "")
    assert job.run_after > job.created_at


def enrich_now_once(lore: Lore, session_id: int) -> Job:
    job = lore.enrich(session_id)
    lore.pipeline.worker("test").run_once()
    return lore.job(job.id)
