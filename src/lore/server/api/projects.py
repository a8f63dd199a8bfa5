from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from lore.server.api.schemas import ProjectOut
from lore.server.deps import LoreDep

router = APIRouter(tags=["projects"])


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    repo: str | None = None


class ProjectPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    repo: str | None = None
    settings: dict[str, Any] = {}


@router.get("/projects")
def list_projects(lore: LoreDep) -> list[ProjectOut]:
    return [ProjectOut.of(project) for project in lore.projects()]


@router.post("/projects", status_code=201)
def create_project(body: ProjectIn, lore: LoreDep) -> ProjectOut:
    return ProjectOut.of(lore.create_project(body.name, repo=body.repo))


@router.get("/projects/{ref}")
def show_project(ref: str, lore: LoreDep) -> ProjectOut:
    return ProjectOut.of(lore.project(ref))


@router.patch("/projects/{ref}")
def update_project(ref: str, body: ProjectPatch, lore: LoreDep) -> ProjectOut:
    project = lore.update_project(ref, name=body.name, repo=body.repo, **body.settings)
    return ProjectOut.of(project)
