"""Capture from a repository over REST: ``POST /projects/{ref}/digest`` and ``/scan``.

The folder is the body's ``path`` or else the project's linked local repository; the work runs
in the server's thread pool (git and file reads block).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from lore.capture.git import linked_repo
from lore.domain import Project
from lore.errors import ValidationError
from lore.server.deps import LoreDep

router = APIRouter(tags=["sources"])


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str | None = None


@router.post("/projects/{ref}/digest", status_code=202)
def digest(ref: str, lore: LoreDep, body: SourceIn | None = None) -> dict[str, Any]:
    """Capture the git commits since the last digest, one ``git_digest`` event each."""
    project = lore.project(ref)
    return lore.digest(_folder(project, body), project=project).as_dict()


@router.post("/projects/{ref}/scan", status_code=202)
def scan(
    ref: str, lore: LoreDep, body: SourceIn | None = None, full: bool = False
) -> dict[str, Any]:
    """Describe the repository and capture it as one ``scan_result`` event; ``?full=true`` also
    returns the description."""
    project = lore.project(ref)
    return lore.scan(_folder(project, body), project=project).as_dict(full=full)


def _folder(project: Project, body: SourceIn | None) -> Path:
    """The server's own working folder means nothing to a client: a path is needed."""
    if body is not None and body.path:
        return Path(body.path)
    linked = linked_repo(project)
    if linked is not None:
        return linked
    raise ValidationError(
        f'project {project.name!r} has no local repository: send {{"path": ...}}', "path"
    )
