"""The Projects page (projects with their counts, a form to add one) and each project's settings
form, which shows a validation error beside the field it is about."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, get_args

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from lore.domain import Project, ProjectSettings
from lore.domain.models import ModelTier
from lore.errors import ConflictError, ValidationError
from lore.server.deps import LoreDep
from lore.server.web.render import layout, respond
from lore.server.web.routing import page_router

router = page_router()

MAX_SESSION_START_TOKENS = 20_000
# What counts as a repository URL for Deep Enrich to clone.
GIT_URL = re.compile(r"^(https?://|ssh://|git://|file://|[\w.-]+@[\w.-]+:)\S+$")
FIELD_LABELS = {
    "name": "Name",
    "repo": "Linked repository",
    "model_tier": "AI model tier",
    "auto_learn": "Enrich every captured session by itself",
    "deep_enrich": "Deep enrichment",
    "auto_commit": "Auto-commit",
    "auto_approve_confidence": "Auto-approve confidence",
    "session_start_tokens": "Memory at session start",
}


class ProjectRow(BaseModel):
    name: str
    repo: str | None
    sessions: int
    events: int
    items: int
    created_at: float


class NewProjectForm(BaseModel):
    name: str = ""
    repo: str = ""
    errors: dict[str, str] = {}


class ProjectsPage(BaseModel):
    projects: list[ProjectRow]
    new_project: NewProjectForm


class SettingsValues(BaseModel):
    """The form as typed: text as entered, so a bad value is shown back for correction."""

    repo: str = ""
    model_tier: str = "small"
    auto_learn: bool = False
    deep_enrich: bool = False
    auto_commit: bool = False
    auto_approve_confidence: str = ""
    session_start_tokens: str = ""


class SettingsPage(BaseModel):
    project: str
    values: SettingsValues
    errors: dict[str, str] = {}
    saved: bool = False
    model_tiers: list[str] = list(get_args(ModelTier))


@router.get("/projects")
def projects_page(request: Request, lore: LoreDep) -> Response:
    return _projects(request, lore, NewProjectForm())


@router.post("/projects")
def create_project(
    request: Request,
    lore: LoreDep,
    name: Annotated[str, Form()] = "",
    repo: Annotated[str, Form()] = "",
) -> Response:
    form = NewProjectForm(name=name, repo=repo)
    try:
        _check_repo(repo)
        if lore.store.projects.by_name(name.strip()) is not None:
            raise ValidationError(f"a project named {name.strip()!r} already exists", "name")
        project = lore.create_project(name.strip(), repo=repo.strip() or None)
    except ValidationError as exc:
        form.errors = {exc.field or "name": _message(exc)}
        return _projects(request, lore, form, status_code=422)
    return RedirectResponse(f"/projects/{project.name}/settings?created=1", status_code=303)


@router.get("/projects/{ref}/settings")
def settings_page(request: Request, ref: str, lore: LoreDep) -> Response:
    project = lore.project(ref)
    page = SettingsPage(
        project=project.name,
        values=_values_of(project),
        saved=request.query_params.get("saved") == "1",
    )
    return _settings(request, lore, page)


@router.post("/projects/{ref}/settings")
def save_settings(
    request: Request,
    ref: str,
    lore: LoreDep,
    values: Annotated[SettingsValues, Form()],
) -> Response:
    project = lore.project(ref)
    errors = _form_errors(values)
    if not errors:
        try:
            lore.update_project(project, repo=values.repo.strip(), **_settings_of(values))
        except (ValidationError, ConflictError) as exc:
            errors = {getattr(exc, "field", None) or "form": _message(exc)}
    if errors:
        page = SettingsPage(project=project.name, values=values, errors=errors)
        return _settings(request, lore, page, status_code=422)
    return RedirectResponse(f"/projects/{project.name}/settings?saved=1", status_code=303)


def _projects(
    request: Request, lore: LoreDep, form: NewProjectForm, status_code: int = 200
) -> Response:
    items = lore.store.overview.item_counts()
    rows = [_row(lore, project, items.get(project.id, 0)) for project in lore.projects()]
    page = ProjectsPage(projects=rows, new_project=form)
    frame = layout(lore, "Projects", "projects")
    return respond(request, "projects.html", page, frame, status_code=status_code)


def _settings(
    request: Request, lore: LoreDep, page: SettingsPage, status_code: int = 200
) -> Response:
    frame = layout(lore, f"{page.project} · settings", "projects", page.project)
    return respond(request, "settings.html", page, frame, status_code=status_code)


def _row(lore: LoreDep, project: Project, items: int) -> ProjectRow:
    return ProjectRow(
        name=project.name,
        repo=project.repo,
        sessions=lore.store.sessions.count(project.id),
        events=lore.store.events.count(project.id),
        items=items,
        created_at=project.created_at,
    )


def _values_of(project: Project) -> SettingsValues:
    settings = project.settings
    confidence = settings.auto_approve_confidence
    return SettingsValues(
        repo=project.repo or "",
        model_tier=settings.model_tier,
        auto_learn=settings.auto_learn,
        deep_enrich=settings.deep_enrich,
        auto_commit=settings.auto_commit,
        auto_approve_confidence="" if confidence is None else f"{confidence:g}",
        session_start_tokens=str(settings.session_start_tokens),
    )


def _form_errors(values: SettingsValues) -> dict[str, str]:
    """Every problem of the form at once, by field, so one round trip shows them all."""
    errors: dict[str, str] = {}
    checks: list[tuple[Callable[[str], object], str]] = [
        (_check_repo, values.repo),
        (_confidence, values.auto_approve_confidence),
        (_tokens, values.session_start_tokens),
    ]
    for check, value in checks:
        try:
            check(value)
        except ValidationError as exc:
            errors[exc.field or "form"] = _message(exc)
    if errors.keys() & {"auto_approve_confidence", "session_start_tokens"}:
        return errors
    try:
        ProjectSettings.model_validate(_settings_of(values))
    except PydanticValidationError as exc:
        for problem in exc.errors():
            field = ".".join(str(part) for part in problem["loc"])
            errors.setdefault(field, _message(ValidationError(problem["msg"], field)))
    return errors


def _settings_of(values: SettingsValues) -> dict[str, Any]:
    return {
        "model_tier": values.model_tier,
        "auto_learn": values.auto_learn,
        "deep_enrich": values.deep_enrich,
        "auto_commit": values.auto_commit,
        "auto_approve_confidence": _confidence(values.auto_approve_confidence),
        "session_start_tokens": _tokens(values.session_start_tokens),
    }


def _confidence(text: str) -> float | None:
    """Empty means never auto-approve; anything else must be a number from 0 to 1."""
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ValidationError(
            f"must be a number from 0 to 1, or empty to approve by hand (got {text.strip()!r})",
            "auto_approve_confidence",
        )
    return value


def _tokens(text: str) -> int:
    """A whole number of tokens, from 0 (none) to 20,000; empty for the default."""
    stripped = text.strip()
    if not stripped:
        default: int = ProjectSettings.model_fields["session_start_tokens"].default
        return default
    if stripped.isascii() and stripped.isdigit() and int(stripped) <= MAX_SESSION_START_TOKENS:
        return int(stripped)
    raise ValidationError(
        f"must be a whole number of tokens from 0 to {MAX_SESSION_START_TOKENS:,}"
        f" (got {stripped!r})",
        "session_start_tokens",
    )


def _check_repo(repo: str) -> None:
    """A linked repository is an existing local directory or a git URL to clone."""
    text = repo.strip()
    if not text or GIT_URL.match(text) or Path(text).expanduser().is_dir():
        return
    raise ValidationError(
        f"must be a local directory or a git URL (https://, ssh:// or git@host:path);"
        f" {text!r} is neither",
        "repo",
    )


def _message(exc: Exception) -> str:
    """The error as the form shows it: the field's label, then what is wrong with it."""
    field = getattr(exc, "field", None)
    text = str(exc)
    if field and text.startswith(f"{field}: "):
        text = text[len(field) + 2 :]
    label = FIELD_LABELS.get(field or "")
    if not label or text.startswith(label):
        return text
    return f"{label} {text}" if text[:1].islower() else f"{label}: {text}"
