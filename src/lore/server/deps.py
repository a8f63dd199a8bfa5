"""What route functions receive: the ``Lore`` of the app, and the project a request acts in."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request

from lore.core import Lore
from lore.domain import Project
from lore.domain.models import MAX_INT
from lore.errors import ValidationError

# Ids in paths and pages in queries, bounded where they are read (422 beyond).
Id = Annotated[int, Path(ge=1, le=MAX_INT)]
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]


def page_size(default: int, most: int) -> Any:
    """A page size query parameter from 1 to ``most``."""
    return Query(default, ge=1, le=most)


def get_lore(request: Request) -> Lore:
    lore: Lore = request.app.state.lore
    return lore


LoreDep = Annotated[Lore, Depends(get_lore)]


def scoped_project(
    lore: LoreDep,
    project: Annotated[
        str | None,
        Query(description="Project name or id; default: the project the server was started for."),
    ] = None,
) -> Project:
    """The project a route by id acts in: the one the request names, else the server's own.
    A session, job or item of any other project is 404, so an id alone reaches nothing."""
    if project is None and not lore.settings.project:
        raise ValidationError(
            "name the project (?project=NAME): this server has no default project", "project"
        )
    return lore.project(project)


ProjectDep = Annotated[Project, Depends(scoped_project)]


def scoped_session(session_id: Id, lore: LoreDep, project: ProjectDep) -> None:
    """404 unless the session of the path is the request's project's."""
    lore.session(session_id, project=project)


# For the routes under /sessions/{session_id}: the session must be the project's.
SESSION_SCOPE = [Depends(scoped_session)]


# A dashboard page by id may name its project (``?project=``): another project's record is then
# 404, as over REST. Without it, the page is the person's view across the home's projects.
PageScope = Annotated[str | None, Query(alias="project")]
