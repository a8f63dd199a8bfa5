"""The shared repositories (``lore.store.sql``) on both backends, SQLite and a real PostgreSQL:
projects and their state, events appended once into the session they join, sessions found,
counted and filtered by status, the session engine's records, LLM calls, jobs, the graph
with its vectors, Dedup's lookups, the dashboard's overview and recall's reads (full text is
each engine's own: FTS5 on SQLite, tsvector and pg_trgm on PostgreSQL). Each test runs on each
backend."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lore.domain import ProjectSettings, SessionState, SessionStatus
from lore.domain.graph import Changeset, Evidence, LinkDraft, NodeDraft
from lore.domain.jobs import JobStatus, StageStatus
from lore.errors import ConflictError, LeaseLostError, NotFoundError, ValidationError
from lore.store.base import (
    ItemFilter,
    LLMCall,
    PreparedEvent,
    RecallFilter,
    StageOutcome,
    WindowDraft,
)
from lore.store.postgres import PostgresStore
from lore.store.sqlite import SQLiteStore
from tests.postgres import fresh_database

HOUR = 3600.0


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        opened: Any = SQLiteStore.open(tmp_path / "lore.db")
        yield opened
        opened.close()
        return
    with fresh_database(request.getfixturevalue("postgres_url")) as url:
        opened = PostgresStore.open(url)
        yield opened
        opened.close()


def event(text: str, **fields: Any) -> PreparedEvent:
    values: dict[str, Any] = {
        "source": "cli",
        "type": "note",
        "payload_json": f'{{"text": "{text}"}}',
        "content_hash": f"hash-{text}",
    }
    return PreparedEvent(**(values | fields))


def test_projects_are_named_once_and_keep_their_state(store: Any) -> None:
    made = store.projects.create("shop", None, ProjectSettings())
    assert store.projects.get(made.id).name == "shop" == store.projects.by_name("shop").name
    with pytest.raises(ConflictError):
        store.projects.create("shop", None, ProjectSettings())
    other = store.projects.create("blog", "/src/blog", ProjectSettings(auto_learn=False))
    with pytest.raises(ConflictError):
        store.projects.update(other.id, name="shop")
    assert [p.name for p in store.projects.all()] == ["blog", "shop"]
    assert store.projects.get(other.id).settings.auto_learn is False
    assert store.projects.get_state(made.id, "digest") is None
    store.projects.set_state(made.id, "digest", "abc")
    store.projects.set_state(made.id, "digest", "def")  # replaced, not added
    assert store.projects.get_state(made.id, "digest") == "def"
    with pytest.raises(NotFoundError):
        store.projects.get(9999)


def test_events_are_stored_once_in_the_session_they_join(store: Any) -> None:
    project = store.projects.create("shop", None, ProjectSettings()).id
    first = store.events.append(project, [event("a", about="Why totals drift"), event("b")], HOUR)
    assert len(set(first.session_ids)) == 1 and first.duplicates == 0
    again = store.events.append(
        project,
        [event("a"), event("c", idempotency_key="k"), event("d", idempotency_key="k")],
        HOUR,
    )
    assert again.event_ids[0] == first.event_ids[0] and again.duplicates == 2
    assert again.event_ids[2] == again.event_ids[1]  # the same idempotency key
    session = store.sessions.get(first.session_ids[0])
    assert (session.event_count, session.goal) == (3, "Why totals drift")
    other_source = store.events.append(project, [event("e", source="vscode")], HOUR)
    assert other_source.session_ids[0] != session.id
    stored = store.events.for_session(session.id)
    assert [e.payload["text"] for e in stored] == ["a", "b", "c"]
    assert [e.id for e in store.events.for_session(session.id, after_id=stored[0].id, limit=1)] == [
        stored[1].id
    ]
    assert set(store.events.get_many([stored[0].id, 12345])) == {stored[0].id}
    assert store.events.count(project) == 4
    store.events.mark_enriched([stored[0].id], 7)
    assert [e.id for e in store.events.unenriched(session.id)] == [e.id for e in stored[1:]]
    with pytest.raises(ValidationError):
        store.events.append(project, [event("f", session_id=99999)], HOUR)


def test_a_closed_session_takes_no_events_and_a_new_one_is_opened(store: Any) -> None:
    project = store.projects.create("shop", None, ProjectSettings()).id
    first = store.events.append(project, [event("a")], HOUR).session_ids[0]
    closed = store.sessions.close(first)
    assert closed.state is SessionState.IDLE and closed.closed_at is not None
    with pytest.raises(ConflictError):
        store.events.append(project, [event("b", session_id=first)], HOUR)
    assert store.events.append(project, [event("c")], HOUR).session_ids[0] != first


def test_sessions_are_filtered_by_status_and_text_alike_in_lists_and_counts(store: Any) -> None:
    project = store.projects.create("shop", None, ProjectSettings()).id
    quiet = store.events.append(project, [event("Tabs, not spaces")], HOUR).session_ids[0]
    failing = store.events.append(
        project, [event("50% discount_code", source="vscode")], HOUR
    ).session_ids[0]
    done = store.sessions.create(project, "git", "Release 1.2", SessionState.READY)
    store.sessions.set_error(failing, "embed: model mismatch")
    statuses = {
        status: [s.id for s in store.sessions.find(project, status=status)]
        for status in SessionStatus
    }
    assert statuses == {
        SessionStatus.ACTIVE: [quiet],
        SessionStatus.COMPLETED: [done.id],
        SessionStatus.ENRICHING: [],
        SessionStatus.FAILED: [failing],
    }
    assert {s: store.sessions.count(project, status=s) for s in SessionStatus} == {
        s: len(ids) for s, ids in statuses.items()
    }
    assert store.sessions.facets(project) == (
        ["cli", "git", "vscode"],
        [SessionStatus.ACTIVE, SessionStatus.COMPLETED, SessionStatus.FAILED],
    )
    assert [s.id for s in store.sessions.find(project, text="50% discount_code")] == [failing]
    assert [s.id for s in store.sessions.find(project, text="TABS")] == [quiet]  # any case
    assert store.sessions.count(project, text="5_% d") == 0  # wildcards match themselves
    store.sessions.set_state(failing, SessionState.EXTRACTING)  # a change of state clears it
    assert store.sessions.get(failing).status is SessionStatus.ENRICHING


def test_events_cannot_be_changed_once_stored(store: Any) -> None:
    project = store.projects.create("shop", None, ProjectSettings()).id
    event_id = store.events.append(project, [event("a")], HOUR).event_ids[0]
    with pytest.raises(store.db.IntegrityError), store.db.write() as conn:
        conn.execute("UPDATE events SET payload = '{}' WHERE id = ?", (event_id,))
    assert store.events.get(event_id).payload == {"text": "a"}
    assert time.time() - store.events.get(event_id).created_at < 60


def test_the_session_engines_records_round_trip(store: Any) -> None:
    project = store.projects.create("shop", None, ProjectSettings()).id
    session = store.episodes.create_managed_session(project, "library", "Fix cache", {"k": 1})
    assert store.episodes.is_managed(session.id) and session.overrides == {"k": 1}
    assert [s.id for s in store.episodes.managed_collecting()] == [session.id]
    episode = store.episodes.open_for(session.id)
    assert episode is not None and episode.goal == "Fix cache"

    steps = [store.steps.add(session.id, episode.id, f"saw {n}", f"did {n}") for n in (1, 2, 3)]
    assert [s.seq for s in steps] == [1, 2, 3]
    assert store.steps.next_unannotated(session.id).id == steps[0].id
    vector = np.arange(4, dtype=np.float32)
    for number, step in enumerate(steps[:2]):
        store.steps.annotate(
            step.id, state_summary="s", subgoal="warm the cache", subgoal_vec=vector,
            trajectory=number, boundary=number == 1, error="model down" if number else None,
        )  # fmt: skip
    store.steps.set_reward(steps[0].id, 0.5, fallback=True)
    first, second = store.steps.get(steps[0].id), store.steps.get(steps[1].id)
    assert (first.reward, first.reward_fallback, second.annotation_error) == (
        0.5,
        True,
        "model down",
    )
    assert np.array_equal(store.steps.subgoal_vector(steps[0].id), vector)
    assert store.steps.count_unannotated(session.id) == 1
    assert store.steps.sessions_unannotated() == [session.id]
    assert store.steps.previous(second).id == first.id

    run = store.extractions.begin(session.id, episode.id, "trajectory", "pipeline", job_id=4)
    assert store.steps.claim(run.id, episode.id, upto_trajectory=0) == 1
    assert [s.id for s in store.steps.claimed(run.id)] == [first.id]
    assert [r.id for r in store.extractions.running(session.id)] == [run.id]
    assert store.extractions.for_job(session.id, 4).id == run.id
    assert store.extractions.finish(run.id, "failed", "boom")
    assert not store.extractions.finish(run.id, "failed", "again")  # once
    assert store.steps.release(run.id) == 1
    assert [s.id for s in store.steps.unclaimed(episode.id)] == [first.id, second.id]

    op = store.ops.add(session.id, "close", {})
    done = store.ops.add(session.id, "commit", {}, result="committed")
    assert [o.id for o in store.ops.pending(session.id)] == [op.id]
    assert store.ops.sessions_pending() == [session.id]
    assert store.ops.fail_pending(session.id, "extraction_failed", "boom") == [op.id]
    assert {o.status for o in store.ops.get_many([op.id, done.id])} == {"failed", "done"}

    changeset = Changeset(session_id=session.id, episode_id=episode.id)
    stored = store.changesets.add(
        changeset, extraction_id=run.id, vectors={"a": vector}, embedding_model="m"
    )
    assert [c.id for c in store.changesets.pending(session.id)] == [stored.id]
    assert np.array_equal(store.changesets.get(stored.id).vectors["a"], vector)
    store.changesets.mark(stored.id, "applied")
    assert store.changesets.pending(session.id) == []
    assert store.episodes.close(episode.id).closed_at is not None
    assert store.episodes.latest(session.id).id == episode.id


def test_llm_calls_are_summed_by_day_and_model_as_integers(store: Any) -> None:
    project = store.projects.create("shop", None, ProjectSettings()).id
    day = 86400.0
    noon = 20_000 * day + day / 2  # a UTC noon
    calls = [
        LLMCall("openai", "gpt", "enrich", 100, 20, 50.0, "ok", created_at=noon),
        LLMCall("openai", "gpt", "enrich", 10, 0, 5.0, "error", "429", created_at=noon + 60),
        LLMCall("openai", "mini", "embed", 7, 1, 2.0, "fallback", created_at=noon + day),
    ]
    stored = [store.llm_calls.add(replace(call, project_id=project)) for call in calls]
    assert all(call.id for call in stored)
    assert [c.id for c in store.llm_calls.recent(project_id=project, limit=2)] == [
        stored[2].id,
        stored[1].id,
    ]
    by_day = {u.key: u for u in store.llm_calls.usage("day", project_id=project)}
    first = by_day["2024-10-04"]
    assert (first.calls, first.errors, first.fallbacks, first.prompt_tokens) == (2, 1, 0, 110)
    assert type(first.prompt_tokens) is int and type(first.errors) is int
    assert by_day["2024-10-05"].fallbacks == 1
    by_model = {u.key: u.completion_tokens for u in store.llm_calls.usage("model")}
    assert by_model == {"gpt": 20, "mini": 1}


def test_jobs_are_claimed_once_and_changed_only_by_their_leaseholder(store: Any) -> None:
    project = store.projects.create("shop", None, ProjectSettings()).id
    appended = store.events.append(project, [event("a"), event("b", source="vscode")], HOUR)
    first_session, second_session = appended.session_ids
    stages = ["enrich", "embed"]
    job = store.jobs.enqueue(
        project, first_session, "manual", stages, max_attempts=2, run_after=50.0, now=1.0
    )
    joined = store.jobs.enqueue(
        project, first_session, "auto", stages, max_attempts=2, run_after=10.0, now=2.0
    )
    assert joined.id == job.id and joined.run_after == 10.0  # joined, run no later
    other = store.jobs.enqueue(
        project, second_session, "manual", stages, max_attempts=2, run_after=0.0, now=3.0
    )
    assert store.jobs.claim("w1", 30.0, now=5.0).id == other.id  # the first is not due yet
    assert store.jobs.claim("w2", 30.0, now=5.0) is None
    claimed = store.jobs.claim("w2", 30.0, now=11.0)
    assert claimed.id == job.id and claimed.attempts == 1 and claimed.lease_owner == "w2"
    assert sorted(store.jobs.lease_owners()) == ["w1", "w2"]
    with pytest.raises(LeaseLostError):
        store.jobs.start_stage(job.id, "w1", "enrich", 12.0)
    store.jobs.start_stage(job.id, "w2", "enrich", 12.0)
    store.jobs.end_stage(
        job.id, "w2", "enrich", StageOutcome(StageStatus.COMPLETED, 3.5, output='{"x": 1}', items=2)
    )
    assert store.jobs.stage_output(job.id, "enrich") == '{"x": 1}'
    assert store.jobs.renew(job.id, "w2", 30.0, 13.0) and not store.jobs.renew(
        job.id, "w1", 30.0, 13.0
    )
    done = store.jobs.complete(job.id, "w2", 2, [appended.event_ids[0]], 14.0)
    assert done.status is JobStatus.COMPLETED and done.stages[0].items == 2
    assert store.events.get(appended.event_ids[0]).enriched_job_id == job.id

    store.jobs.start_stage(other.id, "w1", "enrich", 15.0)
    failed = store.jobs.release(
        other.id, "w1", error="enrich: boom", error_detail="Traceback", run_after=None, now=16.0
    )
    assert failed.status is JobStatus.FAILED and failed.stages[0].status is StageStatus.FAILED
    again = store.jobs.retry(other.id, 2, 17.0)
    assert again.status is JobStatus.QUEUED and again.max_attempts == 3
    assert store.jobs.claim("w3", 30.0, now=18.0).id == other.id
    assert store.jobs.expire_leases(["w3"]) == 1
    assert store.jobs.claim("w4", 30.0, now=19.0).lease_owner == "w4"  # the expired lease
    found = store.jobs.find(project_id=project, statuses=[JobStatus.COMPLETED])
    assert [j.id for j in found] == [job.id]


def test_workers_claiming_together_never_take_the_same_job(store: Any) -> None:
    project = store.projects.create("shop", None, ProjectSettings()).id
    sessions = store.events.append(
        project, [event(str(n), source=f"s{n}") for n in range(12)], HOUR
    ).session_ids
    for session in sessions:
        store.jobs.enqueue(
            project, session, "manual", ["enrich"], max_attempts=1, run_after=0.0, now=0.0
        )

    def work(worker: str) -> list[int]:
        taken = []
        while (job := store.jobs.claim(worker, 60.0, now=1.0)) is not None:
            taken.append(job.id)
        return taken

    with ThreadPoolExecutor(4) as pool:
        taken = [job for jobs in pool.map(work, ["a", "b", "c", "d"]) for job in jobs]
    assert sorted(taken) == sorted(job.id for job in store.jobs.find(limit=100))
    assert len(taken) == len(set(taken)) == 12


def test_the_graph_applies_changesets_filters_items_and_logs_vector_changes(store: Any) -> None:
    project = store.projects.create("shop", None, ProjectSettings()).id
    appended = store.events.append(project, [event("JWT everywhere")], HOUR)
    session, event_id = appended.session_ids[0], appended.event_ids[0]
    drafts = [
        NodeDraft(
            ref="jwt", kind="semantic", type="decision", title="Auth uses JWT",
            schema_key="root/backend/auth", tags=["auth"], files=["app/auth.py"],
            evidence=[Evidence(event_id=event_id, quote="JWT"), Evidence(event_id=999, quote="x")],
        ),
        NodeDraft(ref="tag", kind="tag", title="Auth"),
        NodeDraft(ref="tag-again", kind="tag", title="auth "),  # the same label: one node
        NodeDraft(ref="ui", kind="procedural", title="Run the UI", schema_key="root/backendish"),
    ]  # fmt: skip
    links = [
        LinkDraft(kind="membership", src="tag", dst="jwt"),
        LinkDraft(kind="membership", src="tag-again", dst="jwt"),
    ]
    vectors = {"jwt": np.ones(4, dtype=np.float32), "ui": np.zeros(4, dtype=np.float32)}
    applied = store.graph.apply(
        project, Changeset(session_id=session, nodes=drafts, links=links),
        vectors=vectors, embedding_model="m",
    )  # fmt: skip
    jwt, ui = applied.ids["jwt"], applied.ids["ui"]
    assert applied.ids["tag"] == applied.ids["tag-again"] and applied.links == 1
    assert store.graph.evidence(jwt) == [Evidence(event_id=event_id, quote="JWT")]
    assert store.graph.get_many([]) == [] and store.events.get_many([]) == {}  # empty IN lists
    assert store.projects.get(project).embedding_model == "m"
    titles = lambda **where: [n.title for n in store.graph.items(project, ItemFilter(**where))]  # noqa: E731
    assert titles(tags=["auth"]) == ["Auth uses JWT"] == titles(files=["app/auth.py"])
    assert titles(schema_key_prefix="root/backend") == ["Auth uses JWT"]  # whole segments
    assert store.graph.count_items(project, ItemFilter(kinds=("procedural",))) == 1
    assert store.graph.find_tag(project, "AUTH").id == applied.ids["tag"]
    assert [link.kind for link in store.graph.links(jwt)] == ["membership"]
    store.graph.record_access([jwt], 5.0)
    store.graph.record_reward([jwt], 0.75)
    store.graph.set_status([jwt], "approved")
    node = store.graph.get(jwt)
    assert (node.access_count, node.reward_sum, node.status) == (1, 0.75, "approved")

    newer = store.graph.apply(
        project,
        Changeset(session_id=session, nodes=[NodeDraft(ref="n", kind="semantic", title="Sessions", supersedes=jwt)]),
    ).ids["n"]  # fmt: skip
    assert store.graph.get(jwt).superseded_by == newer
    assert titles(current=True) == ["Sessions", "Run the UI"]  # the superseded one left out

    assert store.vectors.count(project, model="m") == 2
    ids, matrix = store.vectors.all_for_project(project, ["semantic", "procedural"])
    assert ids.tolist() == [jwt, ui] and matrix.shape == (2, 4)
    assert set(store.vectors.get([jwt, ui])) == {jwt, ui}
    first = store.vectors.last_change(project)
    assert store.graph.delete([ui]) == 1
    seq, changed = store.vectors.changed_since(project, first)
    assert seq > first and changed == [ui]
    assert store.vectors.count(project) == 1
    store.vectors.put_events("m", [event_id], np.full((1, 4), 0.5, dtype=np.float32))
    assert store.vectors.of_events([event_id], "m")[event_id].tolist() == [0.5] * 4


def test_repeats_are_found_and_folded_into_the_item_they_repeat(store: Any) -> None:
    project = store.projects.create("shop", None, ProjectSettings()).id
    session = store.events.append(project, [event("a")], HOUR).session_ids[0]
    older = store.graph.apply(
        project,
        Changeset(session_id=session, nodes=[NodeDraft(ref="o", kind="semantic", title="Cents", dedup_hint="money", tags=["a"])]),
    ).ids["o"]  # fmt: skip
    found = store.item_matches.exact(project, [], ["money"])
    assert [n.id for n in found] == [older]
    repeat = NodeDraft(
        ref="r", kind="semantic", title="Money in cents", tags=["b"],
        data={"dedup": {"action": "merge", "node": older}},
    )  # fmt: skip
    repeat_id = store.graph.apply(project, Changeset(session_id=session, nodes=[repeat])).ids["r"]
    assert store.item_matches.fold_merges(project, 10.0, [repeat_id]) == 1
    merged = store.graph.get(older)
    assert merged.merged_from == [repeat_id] and merged.tags == ["a", "b"]
    assert store.graph.get(repeat_id).superseded_by == older
    assert store.item_matches.fold_merges(project, 11.0) == 0  # folded once


def test_the_overview_counts_items_keys_and_jobs(store: Any) -> None:
    project = store.projects.create("shop", None, ProjectSettings()).id
    session = store.events.append(project, [event("a")], HOUR).session_ids[0]
    nodes = [
        NodeDraft(ref="a", kind="semantic", title="A", schema_key="root/api", confidence=0.3),
        NodeDraft(ref="b", kind="semantic", title="B", schema_key="root/api", status="review"),
        NodeDraft(ref="c", kind="procedural", title="C"),
    ]
    store.graph.apply(project, Changeset(session_id=session, nodes=nodes))
    assert store.overview.item_counts() == {project: 3}
    assert store.overview.schema_keys(project) == {"": 1, "root/api": 2}
    assert [n.title for n in store.overview.review_items(project, below_confidence=0.5)] == [
        "B",
        "A",
    ]
    assert store.overview.count_review_items(project, below_confidence=0.5) == 2
    assert store.overview.job_counts()[JobStatus.QUEUED] == 0
    today = store.overview.activity(project, time.time() - 60)
    assert [sum(days.values()) for days in today.values()] == [1, 1, 3]


def test_recall_reads_words_identifiers_rows_and_windows_on_each_engine(store: Any) -> None:
    project = store.projects.create("shop", None, ProjectSettings()).id
    other = store.projects.create("blog", None, ProjectSettings()).id
    appended = store.events.append(project, [event("a"), event("b"), event("c")], HOUR)
    session, events = appended.session_ids[0], appended.event_ids
    nodes = [
        NodeDraft(ref="hooks", kind="semantic", title="The useStateHook wrapper",
                  body="Components keep their totals in cents", files=["src/ui/totals.tsx"],
                  tags=["frontend"], evidence=[Evidence(event_id=events[0], quote="a")]),
        NodeDraft(ref="money", kind="semantic", title="Money", body="Totals are integer cents",
                  status="deprecated"),
        NodeDraft(ref="deploy", kind="procedural", title="Deploying", body="Run make deploy"),
    ]  # fmt: skip
    ids = store.graph.apply(project, Changeset(session_id=session, nodes=nodes)).ids
    elsewhere = store.events.append(other, [event("z")], HOUR).session_ids[0]
    store.graph.apply(
        other,
        Changeset(session_id=elsewhere, nodes=[NodeDraft(ref="x", kind="semantic", title="Totals in cents")]),
    )  # fmt: skip
    where = RecallFilter()

    found = store.search.lexical(project, '"totals" OR "cent"', where, 10)
    assert list(found) == [ids["hooks"]]  # deprecated hidden, the other project's never
    assert all(score > 0 for score in found.values())
    assert store.search.lexical(project, '"kubernetes"', where, 10) == {}
    procedures = RecallFilter(kinds=("procedural",))
    assert list(store.search.lexical(project, '"deploying" OR "totals"', procedures, 10)) == [
        ids["deploy"]
    ]  # stemmed, and of that kind only
    inside = store.search.substring(project, '"usestate"', where, 10)
    assert list(inside) == [ids["hooks"]]  # inside a longer word
    assert store.search.match_counts(['"totals"', '"nothing"'], 100) == [3, 0]
    assert list(
        store.search.lexical(project, '"totals"', RecallFilter(files=["totals.tsx"]), 10)
    ) == [ids["hooks"]]
    assert list(store.search.lexical(project, '"totals"', RecallFilter(tags=["Frontend"]), 10)) == [
        ids["hooks"]
    ]

    rows = store.search.rows(project, [ids["hooks"], ids["money"]], where)
    assert [(r.id, r.event_ids, r.files) for r in rows] == [
        (ids["hooks"], (events[0],), ["src/ui/totals.tsx"])
    ]
    assert store.search.kinds_of([ids["deploy"]]) == {ids["deploy"]: "procedural"}
    window = WindowDraft(events[1], (events[0], events[1], events[2]), "a b c", "2026-12-07", 5.0)
    [window_id] = store.search.put_windows(project, session, [window])
    assert store.search.session_windows(session) == {events[1]: (window_id, "a b c")}
    assert store.search.put_windows(project, session, [window]) == [window_id]  # rewritten
    assert store.search.window_sessions(project) == [session]
    walked = store.search.ranked_items(project, RecallFilter(statuses=None), limit=5)
    assert {row.id for row in walked} == {ids["hooks"], ids["deploy"]}
    assert store.search.version(project) >= 0 and len(store.search.fingerprint(project)) == 20
