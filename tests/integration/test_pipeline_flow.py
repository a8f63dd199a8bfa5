"""The pipeline end to end on a real store with the real session engine, offline: Generate
Memory on captured sessions, Deep Enrich on a linked repository, Dedup, Drift Check, auto-learn
after git digests, library sessions, and a failed stage retried from where it failed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lore import Lore
from lore.config import load_settings
from lore.domain import Project, SessionState, SessionStatus
from lore.domain.graph import Changeset, NodeDraft
from lore.domain.jobs import JobStatus, StageStatus
from tests.pipeline_helpers import enrich_now, item_titled, items, shop_repo

SAVE = {
    "summary": "Moved authentication to JWT. Refresh tokens rotate on every use.",
    "decisions": ["JWT over server sessions: the API must stay stateless"],
    "todos": ["Revoke tokens on password change"],
    "files": ["app/auth/tokens.py"],
}


@pytest.fixture(autouse=True)
def jobs_run_in_the_test(monkeypatch: pytest.MonkeyPatch, lore_home: Path) -> None:
    """The test runs each job itself (``enrich_now``) instead of a background thread."""
    monkeypatch.setenv("LORE_PIPELINE__IN_PROCESS_WORKER", "false")


def saved_session(lore: Lore, payload: dict[str, object], project: str = "demo") -> int:
    """A closed session whose memory waits for Generate Memory (auto-learn off)."""
    lore.update_project(project, auto_learn=False)
    result = lore.capture_event("cli", "session_save", payload, project=project)
    lore.close(result.session_ids[0])
    return result.session_ids[0]


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Commits made from now on are dated ``seconds`` in the future."""
    stamp = f"@{int(time.time() + seconds)} +0000"
    monkeypatch.setenv("GIT_AUTHOR_DATE", stamp)
    monkeypatch.setenv("GIT_COMMITTER_DATE", stamp)


def test_generate_memory_turns_a_saved_session_into_draft_items(
    lore: Lore, project: object
) -> None:
    session_id = saved_session(lore, SAVE)
    job = enrich_now(lore, session_id)

    assert job.status is JobStatus.COMPLETED and job.trigger == "manual" and job.attempts == 1
    status = {stage.name: stage.status for stage in job.stages}
    assert status == {
        "enrich": StageStatus.COMPLETED,
        "deep_enrich": StageStatus.SKIPPED,
        "embed": StageStatus.COMPLETED,
        "dedup": StageStatus.COMPLETED,
        "drift": StageStatus.COMPLETED,
    }
    assert job.stage("deep_enrich").note == "no repository linked to the project"
    assert job.stage("enrich").items == 3 and job.items_extracted == 3
    assert all(stage.started_at and stage.duration_ms is not None for stage in job.stages)

    found = items(lore)
    assert sorted(node.type for node in found) == ["decision", "implementation", "todo"]
    assert {node.status for node in found} == {"draft"}
    decision = item_titled(lore, "JWT over server sessions")
    assert decision.data["rationale"] == "the API must stay stateless"
    assert decision.schema_key == "root/auth/tokens" and decision.files == ["app/auth/tokens.py"]
    (evidence,) = lore.store.graph.evidence(decision.id)
    assert evidence.quote == "JWT over server sessions: the API must stay stateless"
    assert lore.store.vectors.get([decision.id])[decision.id].shape == (384,)
    assert lore.store.events.unenriched(session_id) == []
    assert lore.session(session_id).state is SessionState.IDLE


def test_only_events_not_yet_enriched_are_processed(lore: Lore, project: object) -> None:
    session_id = saved_session(lore, SAVE)
    enrich_now(lore, session_id)
    again = enrich_now(lore, session_id)
    assert again.stage("enrich").note.startswith("0 events, 0 items")
    assert len(items(lore)) == 3


def test_items_above_the_projects_confidence_are_approved(lore: Lore, project: object) -> None:
    lore.update_project("demo", auto_approve_confidence=0.9)
    enrich_now(lore, saved_session(lore, SAVE))
    statuses = {node.title: node.status for node in items(lore)}
    assert statuses["JWT over server sessions"] == "approved"  # confidence 0.9
    assert statuses["Moved authentication to JWT"] == "draft"  # confidence 0.85


def test_knowledge_seen_again_reinforces_the_older_item(lore: Lore, project: object) -> None:
    enrich_now(lore, saved_session(lore, SAVE))
    first = item_titled(lore, "JWT over server sessions")
    second_job = enrich_now(lore, saved_session(lore, SAVE | {"summary": "Reviewed the JWT work."}))

    assert second_job.stage("dedup").note == "2 merged"
    current = items(lore, current=True)
    assert len(current) == 4  # only the new summary is new knowledge
    again = lore.store.graph.get(first.id)
    (repeat_id,) = again.merged_from
    assert again.confidence is not None and first.confidence is not None
    assert again.confidence > first.confidence and again.last_reinforced_at is not None
    assert len(lore.store.graph.evidence(again.id)) == 2  # both sessions' events
    repeat = lore.store.graph.get(repeat_id)  # kept, not deleted: its validity ended
    assert repeat.title == first.title and repeat.valid_to is not None
    assert repeat.superseded_by == first.id and repeat.data["dedup"]["action"] == "merged"


def test_a_repeat_whose_fold_was_interrupted_is_settled_by_the_next_dedup(
    lore: Lore, project: Project
) -> None:
    session_id = saved_session(lore, SAVE)
    enrich_now(lore, session_id)
    first = item_titled(lore, "JWT over server sessions")
    marked = NodeDraft(
        ref="repeat",
        kind="semantic",
        type="decision",
        title=first.title,
        body=first.body,
        data={"dedup": {"action": "merge", "node": first.id, "reason": "same content"}},
    )
    applied = lore.store.graph.apply(project.id, Changeset(session_id=session_id, nodes=[marked]))
    repeat_id = applied.ids["repeat"]  # committed, but the process died before the fold

    enrich_now(lore, saved_session(lore, {"summary": "Nothing to do with JWT at all."}))
    assert lore.store.graph.get(first.id).merged_from == [repeat_id]
    assert lore.store.graph.get(repeat_id).valid_to is not None


def test_a_newer_scan_supersedes_the_older_facts_and_keeps_them(
    lore: Lore, project: object, tmp_path: Path
) -> None:
    repo = shop_repo(tmp_path / "shop")
    lore.scan(repo.root, project="demo")
    enrich_now(lore, lore.sessions("demo", source="scan")[0].id)
    old = item_titled(lore, "Dependencies declared in pyproject.toml (python)")

    repo.commit(
        "Add pydantic",
        {
            "pyproject.toml": (repo.root / "pyproject.toml")
            .read_text()
            .replace('"httpx>=0.27"', '"httpx>=0.27", "pydantic>=2.6"')
        },
    )
    lore.scan(repo.root, project="demo")
    job = enrich_now(lore, lore.sessions("demo", source="scan")[0].id)

    assert "superseded" in (job.stage("dedup").note or "")
    current = [n for n in items(lore, current=True) if n.title == old.title]
    assert len(current) == 1 and "pydantic >=2.6" in current[0].body
    stored_old = lore.store.graph.get(old.id)
    assert stored_old.valid_to is not None and stored_old.superseded_by == current[0].id


def test_deep_enrich_attaches_routes_and_schemas_of_the_files_items_name(
    lore: Lore, tmp_path: Path
) -> None:
    repo = shop_repo(tmp_path / "shop")
    lore.create_project("shop", repo=str(repo.root))
    lore.digest(repo.root, project="shop")
    job = enrich_now(lore, lore.sessions("shop", source="git")[0].id)

    assert job.stage("deep_enrich").status is StageStatus.COMPLETED
    feature = item_titled(lore, "Delete endpoint for users", project="shop")
    (code,) = feature.data["code"]
    assert [(r["method"], r["path"], r["handler"]) for r in code["routes"]] == [
        ("GET", "/users/{user_id}", "get_user"),
        ("POST", "/users", "create_user"),
        ("DELETE", "/users/{user_id}", "delete_user"),
    ]
    assert (
        "UserIn (pydantic) in app/api/users.py: email: str, name?: str | None."
        in feature.data["facts"]
    )
    fix = item_titled(lore, "Email column too short for RFC 5321 addresses", project="shop")
    assert any("User (sqlalchemy, table users)" in fact for fact in fix.data["facts"])


def test_deep_enrich_is_skipped_when_the_project_turns_it_off(lore: Lore, tmp_path: Path) -> None:
    repo = shop_repo(tmp_path / "shop")
    lore.create_project("shop", repo=str(repo.root))
    lore.update_project("shop", deep_enrich=False)
    lore.digest(repo.root, project="shop")
    job = enrich_now(lore, lore.sessions("shop", source="git")[0].id)
    deep = job.stage("deep_enrich")
    assert deep.status is StageStatus.SKIPPED and deep.note == "turned off for this project"
    assert "code" not in item_titled(lore, "Delete endpoint for users", project="shop").data


def test_a_later_commit_sends_items_on_its_files_to_review_and_archives_a_fixed_todo(
    lore: Lore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = shop_repo(tmp_path / "shop")
    lore.create_project("shop", repo=str(repo.root))
    lore.digest(repo.root, project="shop")
    enrich_now(lore, lore.sessions("shop", source="git")[0].id)
    enrich_now(lore, saved_session(lore, SAVE, project="shop"))
    payments = item_titled(
        lore, "Switch payments from requests to httpx async client", project="shop"
    )

    later(monkeypatch, 120)
    sha = repo.commit(
        "fix(auth): revoke tokens on password change",
        {
            "app/auth/tokens.py": "def revoke_all(user_id: int) -> None: ...\n",
            "app/payments.py": "# retries\n",
        },
    )
    lore.digest(repo.root, project="shop")
    job = enrich_now(lore, lore.sessions("shop", source="git")[0].id)

    assert "1 archived" in (job.stage("drift").note or "")
    (todo,) = items(lore, "shop", types=["todo"])
    assert todo.status == "archived" and todo.data["drift"]["commit"] == sha
    assert "fixed by" in todo.data["drift"]["reason"]
    reviewed = lore.store.graph.get(payments.id)
    assert reviewed.status == "review" and reviewed.data["drift"]["commit"] == sha
    assert reviewed.data["drift"]["reason"].startswith("app/payments.py changed in")
    untouched = item_titled(lore, "Email column too short for RFC 5321 addresses", project="shop")
    assert untouched.status == "draft"


def test_git_digests_trigger_auto_learn_at_most_once_per_interval(
    lore: Lore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = shop_repo(tmp_path / "shop")
    lore.create_project("shop", repo=str(repo.root))
    lore.digest(repo.root, project="shop")
    (first,) = lore.job_list("shop")
    assert first.trigger == "auto_learn" and first.run_after <= time.time()

    repo.commit("Document the API", {"docs/api.md": "# API\n"})
    lore.digest(repo.root, project="shop")
    assert [job.id for job in lore.job_list("shop")] == [first.id]  # joined the queued run

    enrich_now(lore, first.session_id)
    repo.commit("Add orders endpoint", {"app/api/orders.py": "def list_orders(): ...\n"})
    lore.digest(repo.root, project="shop")
    second = lore.job_list("shop")[0]
    assert second.id != first.id and second.status is JobStatus.QUEUED
    interval = lore.settings.pipeline.auto_learn_interval_s
    assert second.run_after == pytest.approx(first.run_after + interval)
    assert lore.pipeline.worker().run_once() is None  # not due before the interval has passed


def test_auto_learn_off_or_other_sources_wait_for_a_manual_trigger(
    lore: Lore, tmp_path: Path
) -> None:
    repo = shop_repo(tmp_path / "shop")
    lore.create_project("shop", repo=str(repo.root))
    lore.update_project("shop", auto_learn=False)
    lore.digest(repo.root, project="shop")
    lore.capture_event("mcp", "session_save", SAVE, project="shop")
    assert lore.job_list("shop") == []


def test_a_library_session_runs_its_extractions_as_jobs_of_the_in_process_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LORE_PIPELINE__IN_PROCESS_WORKER", "true")
    with Lore.open(settings=load_settings()) as lore:
        lore.create_project("demo")
        session_id = lore.start_session("Speed up the test suite", project="demo")
        lore.append(
            session_id,
            "The suite takes 4 minutes; most time is in database setup.",
            "Profiled the fixtures with pytest --durations=10.",
        )
        lore.append(
            session_id,
            "Each test creates a fresh PostgreSQL schema.",
            "Switched the fixtures to one schema per session, rolling back per test.",
        )
        lore.append(session_id, "The suite now takes 50 seconds.", "Committed the fixture change.")
        lore.close_async(session_id)  # queued while a trajectory is being extracted
        deadline = time.monotonic() + 60
        while not settled(lore, session_id):
            assert time.monotonic() < deadline, lore.job_list(session_id=session_id)
            time.sleep(0.05)

        jobs = lore.job_list(session_id=session_id)
        assert jobs and {job.trigger for job in jobs} == {"session"}
        assert {job.status for job in jobs} == {JobStatus.COMPLETED}
        # Trajectories may be extracted by several jobs; together they enrich the 3 events once.
        enriched = [int(job.stage("enrich").note.split()[0]) for job in jobs]
        assert sum(enriched) == 3, [job.stage("enrich").note for job in jobs]
        assert lore.store.events.unenriched(session_id) == []
        assert any(node.session_id == session_id for node in items(lore))


def settled(lore: Lore, session_id: int) -> bool:
    """Idle, every event enriched, and no job of the session left to run."""
    return (
        lore.session_state(session_id) == "idle"
        and not lore.store.events.unenriched(session_id)
        and all(job.finished for job in lore.job_list(session_id=session_id))
    )


def test_a_failed_stage_is_retried_from_where_it_failed(lore: Lore, project: object) -> None:
    real = lore.project("demo")
    lore.store.projects.set_embedding_model(real.id, "some-other-model", 768)
    session_id = saved_session(lore, SAVE)
    failed = enrich_now(lore, session_id)

    assert failed.status is JobStatus.FAILED and failed.error.startswith(
        "embed: EmbeddingMismatchError"
    )
    embed = failed.stage("embed")
    assert (
        embed.status is StageStatus.FAILED
        and "Traceback (most recent call last)" in embed.error_detail
    )
    assert failed.stage("enrich").status is StageStatus.COMPLETED
    assert failed.stage("dedup").status is StageStatus.PENDING
    assert lore.session(session_id).state is SessionState.FAILED
    assert lore.store.events.unenriched(session_id) != []

    lore.store.projects.set_embedding_model(real.id, "all-MiniLM-L6-v2", 384)
    retried = lore.retry_job(failed.id)
    assert retried.id == failed.id and retried.status is JobStatus.QUEUED
    done = enrich_now(lore, session_id)
    assert done.id == failed.id and done.status is JobStatus.COMPLETED
    assert done.stage("enrich").runs == 1 and done.stage("embed").runs == 2
    assert lore.session(session_id).state is SessionState.IDLE
    assert len(items(lore)) == 3


def test_a_failed_job_of_a_session_still_collecting_shows_failed_and_resumes_itself(
    lore: Lore, project: Project
) -> None:
    lore.store.projects.set_embedding_model(project.id, "some-other-model", 768)
    session_id = lore.capture_event("cli", "session_save", SAVE, project="demo").session_ids[0]
    failed = enrich_now(lore, session_id)  # the session keeps collecting: a trajectory run
    assert failed.status is JobStatus.FAILED
    session = lore.session(session_id)
    assert session.state is SessionState.COLLECTING  # still taking events
    assert session.status is SessionStatus.FAILED and session.error.startswith("embed:")
    assert [s.id for s in lore.sessions("demo", status="failed")] == [session_id]
    assert lore.sessions("demo", status="active") == []
    assert lore.store.sessions.facets(project.id)[1] == [SessionStatus.FAILED]

    lore.store.projects.set_embedding_model(project.id, "all-MiniLM-L6-v2", 384)
    again = lore.retry_job(failed.id)
    assert again.id == failed.id and again.status is JobStatus.QUEUED  # the job itself
    assert lore.session(session_id).status is SessionStatus.ACTIVE  # its run began again
    done = enrich_now(lore, session_id)
    assert done.id == failed.id and done.status is JobStatus.COMPLETED
    assert done.stage("enrich").runs == 1 and done.stage("embed").runs == 2  # resumed
    assert len(items(lore)) == 3 and lore.store.events.unenriched(session_id) == []
    assert [job.id for job in lore.job_list(session_id=session_id)] == [failed.id]
    assert lore.session(session_id).status is SessionStatus.ACTIVE


def test_a_captured_session_that_went_quiet_is_ended_and_enriched(lore: Lore) -> None:
    lore.create_project("demo")
    quiet = lore.capture_event("cli", "note", {"text": "We pin numpy below 3"}, project="demo")
    busy = lore.capture_event("vscode", "note", {"text": "Tabs, not spaces"}, project="demo")
    quiet_id, busy_id = quiet.session_ids[0], busy.session_ids[0]
    five_hours_ago = time.time() - 5 * 3600
    with lore.store.db.write() as conn:  # type: ignore[attr-defined]
        conn.execute(
            "UPDATE sessions SET last_event_at = ?, created_at = ? WHERE id = ?",
            (five_hours_ago, five_hours_ago, quiet_id),
        )
    before = {job.id for job in lore.job_list("demo")}

    closed = lore.close_inactive_sessions()
    assert [session.id for session in closed] == [quiet_id]
    assert lore.session(quiet_id).state is not SessionState.COLLECTING
    assert lore.session(busy_id).state is SessionState.COLLECTING
    jobs = [job for job in lore.job_list("demo") if job.session_id == quiet_id]
    assert jobs and jobs[0].trigger == "auto_learn" and jobs[0].run_after <= time.time()
    assert before <= {job.id for job in lore.job_list("demo")}
    assert lore.close_inactive_sessions() == []


def test_a_project_can_limit_auto_learn_to_some_sources(lore: Lore, tmp_path: Path) -> None:
    repo = shop_repo(tmp_path / "shop")
    lore.create_project("shop", repo=str(repo.root))
    lore.update_project("shop", auto_enrich_sources=["git"])
    saved = lore.capture_event("mcp", "session_save", SAVE, project="shop")
    lore.close(saved.session_ids[0])
    assert lore.job_list("shop") == []  # mcp is not one of the project's sources
    lore.digest(repo.root, project="shop")
    assert [job.trigger for job in lore.job_list("shop")] == ["auto_learn"]
    lore.update_project("shop", auto_enrich_sources=None)  # back to pipeline's: every source
    assert lore.project("shop").settings.auto_enrich_sources is None


def test_items_a_job_learns_twice_are_folded_into_one(lore: Lore) -> None:
    lore.create_project("demo")
    lore.update_project("demo", auto_learn=False)
    facts = [
        "Every outgoing HTTP call goes through httpx with a 10 s timeout.",
        "Every outgoing HTTP call goes through httpx with a 10 s timeout.",  # the same again
        "Every outgoing HTTP call goes through httpx, with a 10 s timeout!",  # near: one vector
        "Prices are stored as integer cents, never as floats.",
    ]
    result = lore.capture_events(
        [{"source": "cli", "type": "remember", "payload": {"text": text, "kind": "convention"}}
         for text in facts],
        project="demo",
    )  # fmt: skip
    session_id = result.session_ids[0]
    lore.close(session_id)
    job = enrich_now(lore, session_id)
    assert job.status is JobStatus.COMPLETED
    kept = [node for node in items(lore) if node.session_id == session_id]
    assert len(kept) == 2, [node.title for node in kept]  # the httpx convention, the cents
    http = next(node for node in kept if "httpx" in node.title)
    evidence = lore.item_detail(http.id).evidence
    assert {cited.event_id for cited in evidence} == set(result.event_ids[:3])
