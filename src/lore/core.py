"""``Lore``: the one object that opens a store and wires the services every surface uses.

The CLI, the REST API, the MCP server and Python callers all go through it, so each operation
exists once.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lore.capture.ingest import Capture
from lore.config import LoadedSettings, Settings, load_settings, shown_database
from lore.domain import EventIn, IngestResult, Project, ProjectSettings, Session, SessionState
from lore.domain.jobs import JobStatus
from lore.domain.models import MAX_INT
from lore.errors import ConflictError, NotFoundError, ValidationError
from lore.pipeline.jobs import JobManager
from lore.private import private_dir
from lore.store import Store, open_store
from lore.store.base import ItemFilter

if TYPE_CHECKING:
    from lore.capture.git import DigestResult
    from lore.capture.scan import ScanResult
    from lore.domain.episodes import PendingOp, Step
    from lore.domain.graph import Node
    from lore.domain.jobs import Job
    from lore.items import ItemDetail, ItemPage, Items
    from lore.pipeline.service import Pipeline
    from lore.recall import Answer, Brain, ContextPack, Hit, Recall
    from lore.recall.timeline import TimelineEntry
    from lore.sessions import SessionEngine
    from lore.sessions.callbacks import Callback
    from lore.sessions.events import Observer

PROJECT_NAME_MAX = 100


class Lore:
    def __init__(self, store: Store, loaded: LoadedSettings) -> None:
        self.store = store
        self.loaded = loaded
        self.capture = Capture(store, loaded.settings.capture)
        # Enrichment jobs: queued here (auto-learn listens to capture), run by the pipeline.
        self.jobs = JobManager(store, loaded.settings)
        self.capture.listeners.append(self.jobs.on_events)
        self._pipeline: Pipeline | None = None
        self._engine: SessionEngine | None = None
        self._engine_lock = threading.Lock()

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        database_url: str | None = None,
        home: str | Path | None = None,
        settings: LoadedSettings | None = None,
    ) -> Lore:
        """Open the embedded default (``$LORE_HOME/lore.db``), a database file, or a URL."""
        overrides: dict[str, Any] = {}
        if path is not None or database_url is not None:
            overrides["database_url"] = str(database_url or path)
        if home is not None:
            overrides["home"] = str(home)
        loaded = settings or load_settings(overrides=overrides)
        private_dir(loaded.settings.home)
        return cls(open_store(loaded.settings), loaded)

    @property
    def settings(self) -> Settings:
        return self.loaded.settings

    def shutdown(self) -> None:
        """Shut lore down: stop the session engine, the pipeline's worker and recall, then close
        the store. ``with Lore.open() as mem:`` does it on leaving the block; ``close`` is a
        session's."""
        if self._engine is not None:
            self._engine.shutdown()
        if self._pipeline is not None:  # its worker, whoever runs the engine's extractions
            self._pipeline.close()
        if "recall_service" in self.__dict__:  # built on first use
            self.recall_service.close()
        self.store.close()

    def __enter__(self) -> Lore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # Projects

    def create_project(
        self, name: str, *, repo: str | None = None, settings: ProjectSettings | None = None
    ) -> Project:
        """Create a project, or return the one of that name (idempotent)."""
        _check_project_name(name)
        existing = self.store.projects.by_name(name)
        if existing is not None:
            return existing
        return self.store.projects.create(name, repo, settings or ProjectSettings())

    def project(self, ref: str | int | Project | None = None) -> Project:
        """A project by name or id; ``None`` means the one named by ``.lore.toml`` or config."""
        if isinstance(ref, Project):  # read it again: the caller's copy may hold old settings
            return self.store.projects.get(ref.id)
        if ref is None:
            ref = self.settings.project
            if not ref:
                raise NotFoundError(
                    "no project given and none configured: run `lore init` in the repository"
                    " or pass --project"
                )
        if isinstance(ref, str) and ref.isascii() and ref.isdigit():
            found = self.store.projects.by_name(ref)
            if found is not None:
                return found
            ref = int(ref) if len(ref) <= len(str(MAX_INT)) else 0
        if isinstance(ref, int):
            if not 0 < ref <= MAX_INT:
                raise NotFoundError(f"no project with id {ref}")
            return self.store.projects.get(ref)
        found = self.store.projects.by_name(ref)
        if found is None:
            raise NotFoundError(
                f"no project named {ref!r} in {shown_database(self.settings.database)}: run"
                " `lore init` in its"
                " repository, or point LORE_HOME (or LORE_DATABASE_URL) at the lore that has it"
            )
        return found

    def projects(self) -> list[Project]:
        return self.store.projects.all()

    def update_project(
        self,
        ref: str | int | Project,
        *,
        name: str | None = None,
        repo: str | None = None,
        **settings: Any,
    ) -> Project:
        """Change a project's name, linked repository or settings (validated as a whole)."""
        project = self.project(ref)
        if name is not None:
            _check_project_name(name)
        merged = project.settings.model_dump() | settings
        try:
            new_settings = ProjectSettings.model_validate(merged)
        except Exception as exc:  # pydantic's error: name the field for the caller
            raise _settings_error(exc) from None
        return self.store.projects.update(project.id, name=name, repo=repo, settings=new_settings)

    # Capture

    def capture_events(
        self,
        events: Sequence[EventIn | Mapping[str, Any]],
        *,
        project: str | int | Project | None = None,
    ) -> IngestResult:
        return self.capture.ingest(self.project(project), events)

    def capture_event(
        self,
        source: str,
        type: str,
        payload: dict[str, Any],
        *,
        project: str | int | Project | None = None,
        session_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> IngestResult:
        event = EventIn(
            source=source,
            type=type,
            payload=payload,
            session_id=session_id,
            idempotency_key=idempotency_key,
        )
        return self.capture_events([event], project=project)

    # Capture sessions

    def session(self, session_id: int, *, project: str | int | Project | None = None) -> Session:
        """A capture session; with ``project``, NotFoundError unless it is that project's."""
        session = self.store.sessions.get(session_id)
        _must_belong(session.project_id, self._project_id(project), f"session {session_id}")
        return session

    def sessions(
        self,
        project: str | int | Project | None = None,
        *,
        status: str | None = None,
        source: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Session]:
        from lore.domain.models import parse_status

        project_id = self.project(project).id if project is not None else None
        return self.store.sessions.find(
            project_id, status=parse_status(status), source=source, limit=limit, offset=offset
        )

    def close(self, session_id: int) -> Session:
        """End what the session collects and make memory of it. A session of the session API
        closes its episode and its extraction starts (``SessionError`` while it is busy: see
        ``session_busy``); a captured session takes no more events, and auto-learn (when the
        project has it on) enriches what is left of it at once. Returns the session after."""
        if self.store.episodes.is_managed(session_id):
            self.engine.close(session_id)
            return self.store.sessions.get(session_id)
        session = self.store.sessions.close(session_id)
        self.jobs.on_session_closed(self.store.projects.get(session.project_id), session)
        return session

    def close_inactive_sessions(self, now: float | None = None) -> list[Session]:
        """End the captured sessions that had no event for ``capture.session_window_hours``
        (capture starts a new session after that long anyway), so auto-learn enriches what is
        left of them; the local service calls it now and then. Returns the sessions closed."""
        window_s = self.settings.capture.session_window_hours * 3600
        closed = []
        for session in self.store.sessions.inactive((now or time.time()) - window_s):
            try:
                closed.append(self.close(session.id))
            except ConflictError:  # closed by someone else meanwhile
                continue
        return closed

    # Sources: git digest and repository scan

    def digest(
        self,
        path: str | Path | None = None,
        *,
        project: str | int | Project | None = None,
        since: str | None = None,
        max_commits: int | None = None,
        everything: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> DigestResult:
        """Capture the commits since the last digest (``git_digest`` events, source ``git``):
        the whole history the first time, up to ``capture.digest_first_run`` commits. ``since``
        (a revision or a date), ``max_commits`` and ``everything`` choose the commits instead;
        what is stored already is skipped. ``path`` defaults to the project's linked local
        repository, then the current folder."""
        from lore.capture.git import digest

        return digest(
            self,
            self.project(project),
            path,
            since=since,
            max_commits=max_commits,
            everything=everything,
            progress=progress,
        )

    def scan(
        self, path: str | Path | None = None, *, project: str | int | Project | None = None
    ) -> ScanResult:
        """Describe a repository and capture it (source ``scan``): one ``scan_result`` event and a
        ``code_map`` event per folder of its own code."""
        from lore.capture.scan import scan

        return scan(self, self.project(project), path)

    # Recall

    @functools.cached_property
    def recall_service(self) -> Recall:
        """The recall service: embedder, query-vector cache and vector matrices, kept warm."""
        from lore.recall import Recall

        return Recall(self.store, self.settings)

    def recall(
        self,
        project: str | int | Project | None,
        query: str,
        *,
        mode: str | None = None,
        limit: int = 10,
        types: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        schema_key: str | None = None,
        tags: Sequence[str] | None = None,
        files: Sequence[str] | None = None,
        since: float | datetime | str | None = None,
        until: float | datetime | str | None = None,
        min_similarity: float | None = None,
        max_tokens: int | None = None,
        active_files: Sequence[str] | None = None,
        include_events: bool | None = None,
    ) -> list[Hit]:
        """Hybrid search of a project's memory (items, steps and raw-event windows), best first.

        ``mode`` is semantic, procedural, episodic or mixed (guessed from the query when None).
        Filters: item ``types`` and ``statuses`` (default: all but deprecated), a ``schema_key``
        prefix, ``tags``, ``files``, and a time range ``since``..``until``. ``min_similarity``
        drops results whose cosine to the query is lower; ``max_tokens`` returns what fits in
        that many tokens, best first, instead of ``limit`` results (each hit has ``tokens``);
        ``active_files`` boosts memories about those files; ``include_events`` True favours
        raw events, False leaves them out.
        Every returned memory gets one more access (frequency feeds the ranking).
        """
        from lore.recall import recall_request

        request = recall_request(
            query,
            mode=mode,
            limit=limit,
            types=types,
            statuses=statuses,
            schema_key=schema_key,
            tags=tags,
            files=files,
            since=since,
            until=until,
            min_similarity=min_similarity,
            max_tokens=max_tokens,
            active_files=active_files,
            include_events=include_events,
        )
        return self.recall_service.search(self.project(project), request)

    def timeline(
        self,
        project: str | int | Project | None,
        *,
        item: int | None = None,
        session: int | None = None,
        around: float | datetime | str | None = None,
        size: int = 10,
    ) -> list[TimelineEntry]:
        """The captured events around an ``item``'s evidence, the last of a ``session``, or
        those nearest a time (``around``: UNIX seconds, a datetime or ISO 8601), one line each
        with its tokens; the item or session must be the project's."""
        from lore.recall.service import timestamp
        from lore.recall.timeline import timeline

        found = self.project(project)
        if item is not None:
            self.item(item, project=found)
        if session is not None:
            self.session(session, project=found)
        when = timestamp(around, "around")
        return timeline(
            self.store, found.id, item_id=item, session_id=session, around=when, size=size
        )

    def brain(
        self,
        project: str | int | Project | None = None,
        *,
        compact: bool = True,
        active_files: Sequence[str] | None = None,
    ) -> Brain:
        """The project's memory as one markdown document: L0 brief, L1 active knowledge and,
        unless ``compact``, L2 reference; ``etag`` changes only when the document does."""
        return self.recall_service.brain(
            self.project(project), compact=compact, active_files=active_files or ()
        )

    def context_pack(
        self,
        project: str | int | Project | None,
        task: str,
        *,
        budget: int = 4000,
        scope: str = "relevant",
    ) -> ContextPack:
        """What an agent starting ``task`` should read: the brief and the relevant memories,
        grouped by schema key, within ``budget`` tokens; ``scope`` relevant, full or minimal."""
        return self.recall_service.context_pack(
            self.project(project),
            task,
            budget=budget,
            scope=scope,  # type: ignore[arg-type]  # validated by the service
        )

    def ask(self, project: str | int | Project | None, question: str) -> Answer:
        """An LLM's answer from the memories recall finds, with numbered citations (needs an
        LLM configured: NotConfiguredError otherwise)."""
        return self.recall_service.ask(self.project(project), question)

    # Memory items: list, show, change (one service for the dashboard, REST, CLI and MCP)

    @functools.cached_property
    def item_service(self) -> Items:
        from lore.items import Items

        return Items(self.store)

    def items(
        self,
        project: str | int | Project | None = None,
        *,
        type: str | None = None,
        status: str | None = None,
        schema_key: str | None = None,
        tag: str | None = None,
        file: str | None = None,
        current: bool = True,
        limit: int = 50,
        offset: int = 0,
    ) -> ItemPage:
        """A page of the project's memory items, newest first, with the total matching.
        Filters: ``type``, ``status``, a ``schema_key`` prefix, a ``tag``, a ``file``; ``current``
        leaves out superseded items."""
        from lore.items import item_filter

        where = item_filter(
            type=type, status=status, schema_key=schema_key, tag=tag, file=file, current=current
        )
        return self.item_service.find(self.project(project).id, where, limit=limit, offset=offset)

    def item(self, item_id: int, *, project: str | int | Project | None = None) -> Node:
        """A memory item; with ``project``, NotFoundError unless it is that project's."""
        return self.item_service.get(item_id, self._project_id(project))

    def item_detail(
        self, item_id: int, *, project: str | int | Project | None = None
    ) -> ItemDetail:
        """A memory item with its evidence (the events it came from), history and related
        items."""
        return self.item_service.detail(self.item(item_id, project=project))

    def set_item_status(
        self,
        item_ids: Sequence[int],
        status: str,
        *,
        project: str | int | Project | None,
        reason: str | None = None,
    ) -> list[Node]:
        """Approve, deprecate, archive... every listed item of ``project`` (None: the configured
        one); an id of another project is NotFoundError and nothing changes."""
        project_id = self.project(project).id
        return self.item_service.set_status(project_id, item_ids, status, reason=reason)

    def edit_item(
        self, item_id: int, *, project: str | int | Project | None = None, **fields: Any
    ) -> Node:
        """Change an item's title, body, type, status, schema_key, confidence, importance, files
        or tags; ValidationError names the first wrong field."""
        return self.item_service.edit(self.item(item_id, project=project), fields)

    def supersede_item(
        self,
        item_id: int,
        *,
        project: str | int | Project | None = None,
        written_by: str = "library",
        **fields: Any,
    ) -> Node:
        """Write what holds now: a new item (the old one's fields changed by ``fields``)
        replaces the old one, whose validity ends. Returns the new item."""
        old = self.item(item_id, project=project)
        return self.item_service.supersede(old, fields, written_by=written_by)

    def delete_items(self, item_ids: Sequence[int], *, project: str | int | Project | None) -> int:
        """Delete every listed item of ``project`` (None: the configured one) with its links,
        evidence and vectors; an id of another project is NotFoundError and nothing changes."""
        return self.item_service.delete(self.project(project).id, item_ids)

    def _project_id(self, project: str | int | Project | None) -> int | None:
        return None if project is None else self.project(project).id

    # Sessions: the session engine (episodes, steps, extraction, commit)

    @property
    def engine(self) -> SessionEngine:
        """The session engine, started on first use: it resumes what a previous process left
        (extraction runs, unannotated steps, queued operations)."""
        with self._engine_lock:
            if self._engine is None:
                from lore.pipeline.service import Pipeline
                from lore.sessions import SessionEngine

                engine = SessionEngine(self.store, self.settings, self.capture)
                self._pipeline = Pipeline(
                    self.store, self.settings, engine, engine.providers, jobs=self.jobs
                )
                engine.use_runner(self._pipeline)  # extractions run as durable pipeline jobs
                engine.observers.subscribe(self._pipeline.on_session_event)
                self._engine = engine.start()
            return self._engine

    # Enrichment jobs: the pipeline (Enrich, Deep Enrich, Embed, Dedup, Drift Check)

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline that runs enrichment jobs; it is the session engine's runner."""
        self.engine  # noqa: B018  # creating the engine creates the pipeline it runs with
        assert self._pipeline is not None
        return self._pipeline

    def enrich(self, session_id: int, trigger: str = "manual") -> Job:
        """Generate Memory: queue an enrichment job for the session's events not yet enriched
        (a failed session retries its failed job from the stage that failed). The job runs in
        this process when ``pipeline.in_process_worker`` is on, else in ``lore serve`` or
        ``lore worker``."""
        session = self.session(session_id)
        if self.settings.pipeline.in_process_worker:
            self.pipeline.start_worker()
        if session.state is SessionState.FAILED:
            self.engine.commit(session_id)  # the engine retries the failed extraction
            return self.jobs.find(session_id=session_id, limit=1)[0]
        return self.jobs.enqueue(session_id, trigger)

    def job(self, job_id: int, *, project: str | int | Project | None = None) -> Job:
        """An enrichment job; with ``project``, NotFoundError unless it is that project's."""
        job = self.jobs.get(job_id)
        _must_belong(job.project_id, self._project_id(project), f"job {job_id}")
        return job

    def job_list(
        self,
        project: str | int | Project | None = None,
        *,
        session_id: int | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Job]:
        """Jobs, newest first, of a project or a session, optionally of one status."""
        project_id = self.project(project).id if project is not None else None
        return self.jobs.find(
            project_id=project_id, session_id=session_id, status=status, limit=limit, offset=offset
        )

    def retry_job(self, job_id: int) -> Job:
        """Run a failed job again from the stage that failed (earlier stages' results kept),
        whatever the session's state. A failed session is retried through the session engine,
        which resumes its failed job; for one that went on collecting, the engine binds the job
        to a new run holding the steps the failed run gave back."""
        job = self.jobs.get(job_id)
        if job.status is not JobStatus.FAILED:
            return self.jobs.retry(job_id)  # ConflictError: only a failed job retries
        latest = self.jobs.find(session_id=job.session_id, limit=1)[0]
        if latest.id != job.id:  # retried already (or overtaken): a second press adds nothing
            raise ConflictError(
                f"job {job.id} was followed by job {latest.id} ({latest.status.value});"
                f" retry that one if it failed"
            )
        if self.settings.pipeline.in_process_worker:
            self.pipeline.start_worker()
        if self.session(job.session_id).state is SessionState.FAILED:
            self.engine.commit(job.session_id)  # the engine's retry resumes the failed job
            return self.jobs.find(session_id=job.session_id, limit=1)[0]
        run = self.store.extractions.for_job(job.session_id, job.id)
        if run is not None and run.status != "running":
            self.engine.rerun(job.session_id, job.id)
        return self.jobs.retry(job_id)

    def start_session(
        self,
        goal: str = "",
        *,
        project: str | int | Project | None = None,
        source: str = "library",
        llm: Mapping[str, Any] | None = None,
        embedding: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> int:
        """Start a session collecting its first episode; returns its id. ``llm``, ``embedding``
        and ``config`` override the project's settings for this session only."""
        from lore.sessions.config import checked_overrides

        overrides = checked_overrides(llm, embedding, config)
        found = self.project(project)
        return self.engine.start_session(found, goal, source=source, overrides=overrides).id

    def append(
        self, session_id: int, observation: str, action: str, *, timeout: float | None = None
    ) -> Step:
        """Add a step to the open episode and wait until it is annotated (60 s by default)."""
        return self.engine.append(session_id, observation, action, timeout)

    def append_async(
        self,
        session_id: int,
        observation: str,
        action: str,
        callback: Callback | None = None,
    ) -> int:
        """Add a step without waiting; ``callback`` gets the annotated step or the error.
        Returns the step's id."""
        return self.engine.append_async(session_id, observation, action, callback)

    def commit(self, session_id: int) -> None:
        """Apply a ready changeset to the graph (or, after a failure, retry extraction)."""
        self.engine.commit(session_id)

    def discard(self, session_id: int) -> None:
        """Drop a ready changeset, or a failed episode."""
        self.engine.discard(session_id)

    def start_episode(self, session_id: int, goal: str) -> None:
        self.engine.start_episode(session_id, goal)

    def close_and_commit(
        self,
        session_id: int,
        max_retries: int = 2,
        max_polls: int = 200,
        poll_interval: float = 0.05,
    ) -> None:
        """Close, wait for extraction, commit. A failed extraction is retried ``max_retries``
        times before ``SessionError(extraction_failed)``; waiting longer than ``max_polls`` polls
        raises ``SessionTimeoutError(extraction_timeout)``."""
        from lore.sessions.waiting import close_and_commit

        close_and_commit(
            self.engine,
            session_id,
            max_retries=max_retries,
            max_polls=max_polls,
            poll_interval=poll_interval,
        )

    def commit_async(self, session_id: int, callback: Callback | None = None) -> int:
        """Commit now, or queue the commit while the session is busy. Returns the operation id;
        ``callback`` gets the result (``"committed"``) or the ``SessionError``."""
        return self.engine.queue.submit(session_id, "commit", {}, callback)

    def discard_async(self, session_id: int, callback: Callback | None = None) -> int:
        return self.engine.queue.submit(session_id, "discard", {}, callback)

    def start_episode_async(
        self, session_id: int, goal: str, callback: Callback | None = None
    ) -> int:
        return self.engine.queue.submit(session_id, "start_episode", {"goal": goal}, callback)

    def close_async(self, session_id: int, callback: Callback | None = None) -> int:
        """Close the session's episode now, or queue the close while the session is busy; its
        extraction starts either way (a captured session's too, whatever auto-learn says).
        Returns the operation id; ``callback`` gets ``"closed"`` or the ``SessionError``."""
        return self.engine.queue.submit(session_id, "close", {}, callback)

    def session_state(self, session_id: int) -> SessionState:
        """``idle``, ``collecting``, ``extracting``, ``ready`` or ``failed``."""
        return self.engine.state(session_id)

    def session_busy(self, session_id: int) -> str | None:
        """Why a synchronous ``close`` of the session would be refused now: work under
        way (``append_in_progress``, ``extraction_in_progress``) or its state (``not_idle``,
        ``session_failed``, ...); None when it would be accepted. ``close_async``
        queues behind the work instead."""
        return self.engine.refusal(session_id)

    def session_steps(self, session_id: int, *, limit: int = 100, offset: int = 0) -> list[Step]:
        return self.store.steps.for_session(session_id, limit=limit, offset=offset)

    def session_operations(self, session_id: int, *, limit: int = 50) -> list[PendingOp]:
        """The session's async operations, newest first, with their recorded outcomes."""
        return self.store.ops.for_session(session_id, limit=limit)

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer`` with every session event; returns the function that stops it."""
        return self.engine.observers.subscribe(observer)

    def query_in_context(self, session_id: int, query: str) -> str:
        """``query`` prefixed with the session's goal and its last 3 steps."""
        goal, steps = self.engine.context(session_id)
        lines = [goal, *(f"{step.observation} -> {step.action}" for step in steps), query]
        return "\n".join(line for line in lines if line)

    def recall_in_context(
        self, project: str | int | Project | None, session_id: int, query: str, **options: Any
    ) -> Any:
        """``recall`` of the query prefixed with the session's goal and its last 3 steps."""
        return self.recall(project, self.query_in_context(session_id, query), **options)

    def latest(self, project: str | int | Project | None = None, top_k: int = 10) -> list[Node]:
        """The most recently committed items and steps (semantic, procedural, episodic nodes)."""
        where = ItemFilter(kinds=("semantic", "procedural", "episodic"))
        return self.store.graph.items(self.project(project).id, where, limit=top_k)


def _check_project_name(name: str) -> None:
    if not name or not name.strip() or len(name) > PROJECT_NAME_MAX or "/" in name:
        raise ValidationError(
            f"a project name is 1 to {PROJECT_NAME_MAX} characters without '/' (got {name!r})",
            "name",
        )


def _settings_error(exc: Exception) -> ValidationError:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        return ValidationError(f"{field}: {first['msg']}", field)
    return ValidationError(str(exc))


def _must_belong(owner_id: int, project_id: int | None, what: str) -> None:
    """Another project's record is not found: ids are guessable, project scope is not."""
    if project_id is not None and owner_id != project_id:
        raise NotFoundError(f"no {what} in this project")
