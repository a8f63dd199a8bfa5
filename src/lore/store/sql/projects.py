"""Projects and their small state (last digested commit, transcript offsets, ...)."""

from __future__ import annotations

import time

from lore.domain import Project, ProjectSettings
from lore.errors import ConflictError, NotFoundError
from lore.store.sql import Database
from lore.store.sql.rows import project_from_row


class SQLProjects:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str, repo: str | None, settings: ProjectSettings) -> Project:
        now = time.time()
        try:
            with self.db.write() as conn:
                row = conn.execute(
                    "INSERT INTO projects (name, repo, settings, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?) RETURNING id",
                    (name, repo, settings.model_dump_json(), now, now),
                ).fetchone()
        except self.db.IntegrityError:
            raise ConflictError(f"a project named {name!r} already exists") from None
        return self.get(row[0])

    def get(self, project_id: int) -> Project:
        row = self.db.conn.execute("SELECT * FROM projects WHERE id = ?", (project_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no project with id {project_id}")
        return project_from_row(row)

    def by_name(self, name: str) -> Project | None:
        row = self.db.conn.execute("SELECT * FROM projects WHERE name = ?", (name,)).fetchone()
        return project_from_row(row) if row else None

    def all(self) -> list[Project]:
        rows = self.db.conn.execute("SELECT * FROM projects ORDER BY name").fetchall()
        return [project_from_row(row) for row in rows]

    def update(
        self,
        project_id: int,
        *,
        name: str | None = None,
        repo: str | None = None,
        settings: ProjectSettings | None = None,
    ) -> Project:
        current = self.get(project_id)
        try:
            with self.db.write() as conn:
                conn.execute(
                    "UPDATE projects SET name = ?, repo = ?, settings = ?, updated_at = ? WHERE id = ?",
                    (
                        name or current.name,
                        repo if repo is not None else current.repo,
                        (settings or current.settings).model_dump_json(),
                        time.time(),
                        project_id,
                    ),
                )
        except self.db.IntegrityError:
            raise ConflictError(f"a project named {name!r} already exists") from None
        return self.get(project_id)

    def set_embedding_model(self, project_id: int, model: str, dim: int) -> Project:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE projects SET embedding_model = ?, embedding_dim = ?, updated_at = ?"
                " WHERE id = ?",
                (model, dim, time.time(), project_id),
            )
        return self.get(project_id)

    def get_state(self, project_id: int, key: str) -> str | None:
        row = self.db.conn.execute(
            "SELECT value FROM project_state WHERE project_id = ? AND key = ?", (project_id, key)
        ).fetchone()
        return row[0] if row else None

    def set_state(self, project_id: int, key: str, value: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO project_state (project_id, key, value, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (project_id, key) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at",
                (project_id, key, value, time.time()),
            )
