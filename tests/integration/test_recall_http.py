"""Recall over real HTTP (uvicorn on 127.0.0.1): search, brain with ETag and 304, context packs,
and ask, with a fake OpenAI-compatible server standing in for the hosted model."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from lore import Lore
from lore.config import load_settings
from lore.domain import Project
from lore.server import build_app
from tests.fake_llm import fake_llm_server, openai_chat
from tests.recall_memory import add_items, two_items
from tests.servers import running

TOKEN = "recall-token"


@pytest.fixture
def memory(lore: Lore, project: Project) -> dict[str, int]:
    return add_items(lore, project, two_items())


@pytest.fixture
def api(lore: Lore, memory: dict[str, int]) -> Iterator[httpx.Client]:
    with (
        running(build_app(lore, token=TOKEN)) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):
        yield client


def test_search_by_get_and_post(api: httpx.Client, memory: dict[str, int]) -> None:
    got = api.get("/api/v1/search", params={"q": "journal_mode", "project": "demo", "limit": 1})
    assert got.status_code == 200
    body = got.json()
    assert body["project"] == "demo" and body["query"] == "journal_mode"
    assert [hit["id"] for hit in body["hits"]] == [memory["wal"]]
    assert body["hits"][0]["schema_key"] == "root/store/sqlite"
    posted = api.post(
        "/api/v1/search",
        json={"project": "demo", "query": "how do we lint", "types": ["convention"]},
    )
    assert [hit["id"] for hit in posted.json()["hits"]] == [memory["ruff"]]
    filtered = api.get(
        "/api/v1/search",
        params=[("q", "anything"), ("project", "demo"), ("type", "decision"), ("type", "bug")],
    )
    assert [hit["id"] for hit in filtered.json()["hits"]] == [memory["wal"]]


def test_search_fills_a_token_budget_and_every_hit_says_its_cost(api: httpx.Client) -> None:
    everything = api.get("/api/v1/search", params={"q": "how do we work", "project": "demo"})
    costs = [hit["tokens"] for hit in everything.json()["hits"]]
    assert len(costs) == 2 and all(cost > 0 for cost in costs)
    budget = max(costs)
    fitted = api.post(
        "/api/v1/search", json={"project": "demo", "query": "how do we work", "max_tokens": budget}
    )
    hits = fitted.json()["hits"]
    assert hits and sum(hit["tokens"] for hit in hits) <= budget
    tiny = api.get(
        "/api/v1/search", params={"q": "how do we work", "project": "demo", "max_tokens": 3}
    )
    [cut] = tiny.json()["hits"]  # too large for any budget: cut, never dropped
    assert cut["tokens"] <= 3 and cut["full_tokens"] > 3
    index = api.get(
        "/api/v1/search", params={"q": "how do we work", "project": "demo", "compact": True}
    )
    assert all(len(hit["text"]) <= 160 for hit in index.json()["hits"])
    for bad in (0, -5, 10**9):
        refused = api.get("/api/v1/search", params={"q": "x", "project": "demo", "max_tokens": bad})
        assert refused.status_code == 422
        assert refused.json()["error"]["field"].endswith("max_tokens")


def test_search_errors_name_the_field(api: httpx.Client) -> None:
    bad = api.get("/api/v1/search", params={"q": "x", "project": "demo", "mode": "psychic"})
    assert bad.status_code == 422
    unknown = api.post("/api/v1/search", json={"project": "nope", "query": "x"})
    assert unknown.status_code == 404
    empty = api.post("/api/v1/search", json={"project": "demo", "query": "  "})
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "query"


def test_brain_answers_304_while_it_is_unchanged(
    api: httpx.Client, lore: Lore, memory: dict[str, int]
) -> None:
    first = api.get("/api/v1/brain", params={"project": "demo"})
    assert first.status_code == 200
    etag = first.headers["etag"]
    brain = first.json()
    assert brain["etag"] == etag.strip('"')
    assert [layer["name"] for layer in brain["layers"]] == ["L0", "L1"]
    for layer in brain["layers"]:
        assert layer["tokens"] <= layer["budget"]
    same = api.get("/api/v1/brain", params={"project": "demo"}, headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    full = api.get(
        "/api/v1/brain",
        params={"project": "demo", "compact": "false"},
        headers={"If-None-Match": etag},
    )
    assert full.status_code == 200, "another view of the brain has another ETag"
    lore.store.graph.update(memory["ruff"], body="Run ruff check; E501 and E731 are ignored.")
    changed = api.get("/api/v1/brain", params={"project": "demo"}, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_brain_as_markdown(api: httpx.Client) -> None:
    response = api.get("/api/v1/brain", params={"project": "demo", "format": "markdown"})
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.text.startswith("# Brain: demo")
    assert response.headers["etag"]


def test_context_pack_over_http(api: httpx.Client, memory: dict[str, int]) -> None:
    response = api.post(
        "/api/v1/context-pack",
        json={"project": "demo", "task": "tune the sqlite connections", "budget": 500},
    )
    assert response.status_code == 200
    pack = response.json()
    assert pack["tokens"] <= 500 and pack["scope"] == "relevant"
    assert memory["wal"] in [hit["id"] for hit in pack["hits"]]
    too_small = api.post("/api/v1/context-pack", json={"project": "demo", "task": "x", "budget": 5})
    assert too_small.status_code == 422


def test_ask_needs_an_llm(api: httpx.Client) -> None:
    response = api.post("/api/v1/ask", json={"project": "demo", "question": "why WAL?"})
    assert response.status_code == 409  # this lore has no LLM; the server did not fail
    assert "needs an LLM" in response.json()["error"]["message"]


def test_ask_answers_with_citations(lore_home: object, memory: dict[str, int]) -> None:
    with fake_llm_server() as fake:
        fake.queue(openai_chat("Readers never wait for the writer [1]. Lint first [7]."))
        settings = load_settings(
            overrides={
                "llm.provider": "openai",
                "llm.base_url": fake.openai_url,
                "llm.model": "fake-model",
            }
        )
        with (
            Lore.open(settings=settings) as lore,
            running(build_app(lore, token=TOKEN)) as url,
        ):
            response = httpx.post(
                f"{url}/api/v1/ask",
                json={"project": "demo", "question": "why does sqlite use WAL?"},
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=30,
            )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["text"] == "Readers never wait for the writer [1]. Lint first ."
        assert [hit["id"] for hit in answer["citations"]] == [memory["wal"]]
        assert answer["model"] == "fake-model"
        prompt = fake.requests[0].body["messages"][1]["content"]
        assert "[1] SQLite runs in WAL mode (decision)" in prompt
        assert prompt.endswith("Question: why does sqlite use WAL?")


def test_an_llm_can_pick_the_mode(lore_home: object, memory: dict[str, int]) -> None:
    from lore.recall.modes import CLASSIFY_PROMPT

    with fake_llm_server() as fake:
        fake.queue(openai_chat('{"mode": "procedural"}'))
        settings = load_settings(
            overrides={
                "llm.provider": "openai",
                "llm.base_url": fake.openai_url,
                "llm.model": "fake-model",
                "recall.classify_with_llm": True,
            }
        )
        with Lore.open(settings=settings) as lore:
            assert lore.recall_service.classify("lint the code") == "procedural"
            hits = lore.recall("demo", "E501", limit=1)
        assert hits[0].id == memory["ruff"]
        sent = [request.body["messages"][0]["content"] for request in fake.requests]
        assert sent[0] == CLASSIFY_PROMPT


def test_search_says_when_nothing_is_a_good_match(api: httpx.Client) -> None:
    known = api.get("/api/v1/search", params={"q": "journal_mode", "project": "demo"}).json()
    assert known["good_match"] is True
    made_up = api.get("/api/v1/search", params={"q": "xyzzy plugh frobnicate", "project": "demo"})
    body = made_up.json()
    assert body["hits"] and body["good_match"] is False  # only the nearest in meaning, weak
    assert all(hit["channels"] == ["dense"] and hit["relevance"] < 0.3 for hit in body["hits"])
