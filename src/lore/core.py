"""``Lore``: the one object that opens a store and wires the services every surface uses.

The CLI, the REST API, the MCP server and Python callers all go through it, so each operation
exists once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lore.capture.ingest import Capture
from lore.config import LoadedSettings, Settings, load_settings
from lore.domain import EventIn, IngestResult, Project, ProjectSettings, Session
from lore.errors import NotFoundError, ValidationError
from lore.store import Store, open_store

if TYPE_CHECKING:
    from lore.capture.git import DigestResult
    from lore.capture.scan import ScanResult

PROJECT_NAME_MAX = 100


class Lore:
    def __init__(self, store: Store, loaded: LoadedSettings) -> None:
        self.store = store
        self.loaded = loaded
        self.capture = Capture(store, loaded.settings.capture)

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
        return cls(open_store(loaded.settings), loaded)

    @property
    def settings(self) -> Settings:
        return self.loaded.settings

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Lore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        if isinstance(ref, Project):
            return ref
        if ref is None:
            ref = self.settings.project
            if not ref:
                raise NotFoundError(
                    "no project given and none configured: run `lore init` in the repository"
                    " or pass --project"
                )
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            found = self.store.projects.by_name(str(ref))
            return found or self.store.projects.get(int(ref))
        found = self.store.projects.by_name(ref)
        if found is None:
            raise NotFoundError(f"no project named {ref!r}")
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

    def session(self, session_id: int) -> Session:
        return self.store.sessions.get(session_id)

    def sessions(
        self,
        project: str | int | Project | None = None,
        *,
        status: str | None = None,
        source: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Session]:
        from lore.domain.models import states_of_status

        project_id = self.project(project).id if project is not None else None
        return self.store.sessions.find(
            project_id, states=states_of_status(status), source=source, limit=limit, offset=offset
        )

    def close_session(self, session_id: int) -> Session:
        """End a capture session: it takes no more events and waits for enrichment."""
        return self.store.sessions.close(session_id)

    # Sources: git digest and repository scan

    def digest(
        self, path: str | Path | None = None, *, project: str | int | Project | None = None
    ) -> DigestResult:
        """Capture the commits since the last digest (``git_digest`` events, source ``git``).
        ``path`` defaults to the project's linked local repository, then the current folder."""
        from lore.capture.git import digest

        return digest(self, self.project(project), path)

    def scan(
        self, path: str | Path | None = None, *, project: str | int | Project | None = None
    ) -> ScanResult:
        """Describe a repository and capture it as one ``scan_result`` event (source ``scan``)."""
        from lore.capture.scan import scan

        return scan(self, self.project(project), path)


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
