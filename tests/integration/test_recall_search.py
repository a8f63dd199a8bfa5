"""Hybrid recall against real SQLite and the real local embedder: exact identifiers and
paraphrases, filters, project isolation, access metadata, windows and the graph."""

from __future__ import annotations

import time

import pytest

from lore import Lore
from lore.config import load_settings
from lore.domain import Project
from lore.domain.graph import LinkDraft, NodeDraft
from lore.errors import ValidationError
from lore.recall import index_events
from tests.recall_memory import add_items, chat, item

ITEMS = [
    item(
        "redact",
        "Redact secrets before events are stored",
        "Capture runs redact() over every payload, so API keys and passwords never reach the"
        " database.",
        type="convention",
        files=["src/lore/capture/redact.py"],
        schema_key="root/capture/redact",
        tags=["security"],
    ),
    item(
        "embedder",
        "build_embedder returns the bundled local model",
        "lore.providers.embeddings.build_embedder gives all-MiniLM-L6-v2 unless the"
        " embedding provider is openai.",
        files=["src/lore/providers/embeddings/factory.py"],
        schema_key="root/providers/embeddings",
    ),
    item(
        "wal",
        "SQLite runs in WAL mode",
        "Every connection sets journal_mode=WAL so that readers never wait for the writer.",
        type="decision",
        files=["src/lore/store/sqlite/db.py"],
        schema_key="root/store/sqlite",
        tags=["database"],
    ),
    item(
        "ruff",
        "Lint with ruff before committing",
        "Run `ruff check` and `ruff format`; the E501 rule is ignored because the formatter"
        " wraps lines.",
        kind="procedural",
        type="convention",
        files=["pyproject.toml"],
        schema_key="root/tooling",
    ),
    item(
        "old",
        "Events were stored in MongoDB",
        "The first prototype kept captured events in a MongoDB collection.",
        type="decision",
        status="deprecated",
        schema_key="root/store",
    ),
    item(
        "retry",
        "Retry LLM calls with exponential backoff",
        "Rate limits (429) and timeouts are retried up to max_retries with backoff_base_s"
        " doubling each time.",
        type="implementation",
        status="draft",
        files=["src/lore/providers/http.py"],
        schema_key="root/providers/http",
    ),
]


@pytest.fixture
def memory(lore: Lore, project: Project) -> dict[str, int]:
    return add_items(lore, project, ITEMS)


def top(lore: Lore, project: Project, query: str, **options: object) -> list[int]:
    return [hit.id for hit in lore.recall(project, query, **options)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "ref"),
    [
        ("build_embedder", "embedder"),
        ("src/lore/store/sqlite/db.py", "wal"),
        ("E501", "ruff"),
        ("journal_mode", "wal"),
    ],
)
def test_exact_identifiers_come_first(
    lore: Lore, project: Project, memory: dict[str, int], query: str, ref: str
) -> None:
    hits = lore.recall(project, query, limit=3)
    assert hits[0].id == memory[ref]
    assert "identifier" in hits[0].channels or "lexical" in hits[0].channels


@pytest.mark.parametrize(
    ("query", "ref"),
    [
        ("how do we keep credentials out of storage?", "redact"),
        ("can reads happen while something is being written", "wal"),
        ("what do we do when a call keeps timing out", "retry"),
        ("which model turns text into vectors", "embedder"),
    ],
)
def test_paraphrases_find_their_item(
    lore: Lore, project: Project, memory: dict[str, int], query: str, ref: str
) -> None:
    hits = lore.recall(project, query, limit=3)
    assert hits[0].id == memory[ref]
    assert "dense" in hits[0].channels
    assert 0.0 < hits[0].relevance <= 1.0


def test_hits_carry_the_item_fields(lore: Lore, project: Project, memory: dict[str, int]) -> None:
    hit = lore.recall(project, "WAL journal mode", limit=1)[0]
    assert hit.id == memory["wal"]
    assert (hit.kind, hit.type, hit.status) == ("semantic", "decision", "approved")
    assert hit.title == "SQLite runs in WAL mode"
    assert hit.schema_key == "root/store/sqlite"
    assert hit.files == ["src/lore/store/sqlite/db.py"]
    assert hit.confidence == pytest.approx(0.9)
    assert hit.score > 0


def test_type_status_schema_key_tag_and_file_filters(
    lore: Lore, project: Project, memory: dict[str, int]
) -> None:
    anything = "how does the project work"
    assert set(top(lore, project, anything, types=["decision"])) == {memory["wal"]}
    assert set(top(lore, project, anything, statuses=["draft"])) == {memory["retry"]}
    assert set(top(lore, project, anything, schema_key="root/providers")) == {
        memory["embedder"],
        memory["retry"],
    }
    assert set(top(lore, project, anything, schema_key="root/provider")) == set()
    assert set(top(lore, project, anything, tags=["Security"])) == {memory["redact"]}
    assert set(top(lore, project, anything, files=["db.py"])) == {memory["wal"]}
    assert set(top(lore, project, anything, files=["src/lore/providers"])) == {
        memory["embedder"],
        memory["retry"],
    }


def test_deprecated_items_are_recalled_only_when_asked_for(
    lore: Lore, project: Project, memory: dict[str, int]
) -> None:
    assert memory["old"] not in top(lore, project, "MongoDB collection", limit=10)
    asked = top(lore, project, "MongoDB collection", statuses=["deprecated"])
    assert asked == [memory["old"]]


def test_time_range_filters(lore: Lore, project: Project, memory: dict[str, int]) -> None:
    now = time.time()
    assert top(lore, project, "WAL", until=now - 3600) == []
    assert memory["wal"] in top(lore, project, "WAL", since=now - 3600)
    with pytest.raises(ValidationError):
        lore.recall(project, "WAL", since="last tuesday")


def test_min_similarity_gates_on_cosine_but_exact_identifiers_pass(
    lore: Lore, project: Project, memory: dict[str, int]
) -> None:
    assert top(lore, project, "kangaroo migration patterns", min_similarity=0.9) == []
    assert top(lore, project, "build_embedder", min_similarity=0.95) == [memory["embedder"]]


def test_active_files_boost_items_about_them(
    lore: Lore, project: Project, memory: dict[str, int]
) -> None:
    query = "provider settings"
    plain = lore.recall(project, query, limit=3)
    assert plain[0].id == memory["embedder"]
    boosted = lore.recall(project, query, limit=3, active_files=["src/lore/store/sqlite/db.py"])
    assert boosted[0].id == memory["wal"]


def test_recall_never_crosses_projects(
    lore: Lore, project: Project, memory: dict[str, int]
) -> None:
    other = lore.create_project("other")
    theirs = add_items(lore, other, [item("wal", "SQLite runs in WAL mode", "journal_mode=WAL")])
    ours = {hit.id for hit in lore.recall(project, "SQLite WAL journal_mode", limit=20)}
    seen = {hit.id for hit in lore.recall(other, "SQLite WAL journal_mode", limit=20)}
    assert theirs["wal"] not in ours
    assert seen == {theirs["wal"]}
    assert set(top(lore, other, "build_embedder")) <= set(theirs.values())


def test_each_recall_counts_an_access_of_what_it_returned(
    lore: Lore, project: Project, memory: dict[str, int]
) -> None:
    before = time.time()
    returned = top(lore, project, "build_embedder", limit=1)
    lore.recall(project, "build_embedder", limit=1)
    node = lore.store.graph.get(returned[0])
    assert node.access_count == 2
    assert node.last_access_at is not None and node.last_access_at >= before
    untouched = lore.store.graph.get(memory["old"])
    assert untouched.access_count == 0


def test_bad_requests_are_validation_errors(lore: Lore, project: Project) -> None:
    for options in ({"limit": 0}, {"mode": "psychic"}, {"types": ["novel"]}):
        with pytest.raises(ValidationError):
            lore.recall(project, "x", **options)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        lore.recall(project, "   ")


TURNS = [
    ("alice", "the deploy failed with ERR_CONNECTION_REFUSED on port 5432"),
    ("bob", "postgres was not running, I started it with docker compose up db"),
    ("alice", "works now, thanks"),
    ("bob", "I also bumped the pool size to twenty connections"),
]


def test_raw_events_come_back_as_windows_with_their_provenance(
    lore: Lore, project: Project, memory: dict[str, int]
) -> None:
    events = chat(lore, project, TURNS)
    hits = lore.recall(project, "why did the deploy fail to connect?", limit=3)
    window = next(hit for hit in hits if hit.kind == "source")
    assert set(window.event_ids) <= set(events)
    assert events[0] in window.event_ids
    assert "ERR_CONNECTION_REFUSED" in window.text and window.text.startswith("(5 March 2024)")
    assert "session" in window.title


def test_include_events_false_leaves_windows_out_and_true_brings_them_level(
    lore: Lore, project: Project, memory: dict[str, int]
) -> None:
    chat(lore, project, TURNS)
    query = "database connections"
    assert all(h.kind != "source" for h in lore.recall(project, query, include_events=False))
    favoured = lore.recall(project, query, include_events=True, limit=3)
    assert any(hit.kind == "source" for hit in favoured)


def test_windows_overlapping_better_results_are_skipped(lore: Lore, project: Project) -> None:
    chat(lore, project, TURNS)
    hits = lore.recall(project, "deploy postgres connection refused docker", limit=4)
    covered: set[int] = set()
    for hit in hits:
        assert len(covered & set(hit.event_ids)) <= len(hit.event_ids) / 2
        covered |= set(hit.event_ids)


def test_a_new_event_extends_its_neighbours_window(lore: Lore, project: Project) -> None:
    events = chat(lore, project, TURNS[:2], close=False)
    session_id = lore.store.events.get(events[0]).session_id
    more = lore.capture_events(
        [{"source": "chat", "type": "message", "session_id": session_id,
          "payload": {"speaker": "alice", "text": "the zeppelin cache is warm again"}}],
        project=project,
    )  # fmt: skip
    result = index_events(
        lore.store,
        lore.recall_service.embedder,
        lore.project(project.id),
        session_id,
        more.event_ids,
    )
    assert result.windows == 2  # the new event's window, and its neighbour's grown one
    windows = lore.store.search.session_windows(session_id)
    rows = lore.store.search.rows(project.id, [node for node, _ in windows.values()])
    assert sorted(row.event_ids for row in rows) == [
        (events[0], events[1]),
        (events[0], events[1], more.event_ids[0]),
        (events[1], more.event_ids[0]),
    ]
    hits = lore.recall(project, "zeppelin cache", limit=5, include_events=True)
    assert more.event_ids[0] in hits[0].event_ids
    again = index_events(
        lore.store,
        lore.recall_service.embedder,
        lore.project(project.id),
        session_id,
        more.event_ids,
    )
    assert again.windows == 0


def test_new_vectors_are_seen_by_the_next_recall(lore: Lore, project: Project) -> None:
    add_items(lore, project, [item("a", "Caching strategy for the dashboard", "ETags on pages")])
    lore.recall(project, "caching", limit=1)  # loads the project's matrix
    added = add_items(lore, project, [item("b", "Quokka feeding schedule", "Twice a day")])
    hits = lore.recall(project, "when are the small marsupials fed", limit=1)
    assert hits[0].id == added["b"]
    assert "dense" in hits[0].channels


def test_graph_expansion_reaches_items_through_their_tag(lore: Lore, project: Project) -> None:
    ids = add_items(
        lore,
        project,
        [
            item("hidden", "Frobnicate retries thrice", "The frobnicator gives up after 3 tries."),
            item("noise", "Unrelated note about fonts", "Use Inter for the dashboard."),
            NodeDraft(ref="tag", kind="tag", title="zanzibar-protocol"),
        ],
        [LinkDraft(kind="membership", src="tag", dst="hidden")],
    )
    hits = lore.recall(project, "zanzibar-protocol", limit=2)
    assert hits[0].id == ids["hidden"]
    assert "graph" in hits[0].channels
    assert all(hit.id != ids["tag"] for hit in hits)


def test_hubs_do_not_spread(lore: Lore, project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from lore.recall import search

    monkeypatch.setattr(search, "MAX_DEGREE", 2)
    ids = add_items(
        lore,
        project,
        [
            item("a", "Frobnicate retries thrice", "The frobnicator gives up after 3 tries."),
            item("b", "Quokka feeding", "Twice a day."),
            item("c", "Kerning of headings", "Tight."),
            NodeDraft(ref="tag", kind="tag", title="zanzibar-protocol"),
        ],
        [LinkDraft(kind="membership", src="tag", dst=ref) for ref in ("a", "b", "c")],
    )
    hits = lore.recall(project, "zanzibar-protocol", limit=3)
    assert all("graph" not in hit.channels for hit in hits)
    assert ids["tag"] not in [hit.id for hit in hits]


def test_words_too_common_for_the_lexical_budget_are_left_out(lore_home: object) -> None:
    settings = load_settings(overrides={"recall.lexical_budget": 5})
    with Lore.open(settings=settings) as small:
        project = small.create_project("budget")
        drafts = [item(f"w{n}", f"Widget note {n}", f"The widget number {n}.") for n in range(8)]
        drafts.append(item("z", "Zebrafish tank", "The widget feeds the zebrafish."))
        ids = add_items(small, project, drafts)
        hits = small.recall(project, "widget zebrafish", limit=3)
        assert hits[0].id == ids["z"] and "lexical" in hits[0].channels
        common = small.recall(project, "widget", limit=3)
        assert common and all("lexical" not in hit.channels for hit in common)


def test_a_project_finds_its_matches_behind_another_projects(lore: Lore, project: Project) -> None:
    other = lore.create_project("crowded")
    add_items(lore, other, [item(f"k{n}", f"Kiwi kiwi kiwi {n}", "kiwi kiwi") for n in range(300)])
    ours = add_items(lore, project, [item("k", "Fruit notes", "One kiwi among apples.")])
    hits = lore.recall(project, "kiwi", limit=5)
    assert [hit.id for hit in hits] == [ours["k"]]
    assert "lexical" in hits[0].channels
