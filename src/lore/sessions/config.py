"""What one session runs with: the project's settings, with the session's own overrides (given to
``start_session`` and stored in ``sessions.overrides``) laid over them.

Overrides are ``{"llm": {...}, "embedding": {...}, "config": {...}}``: ``llm`` and ``embedding``
hold keys of those settings sections; ``config`` holds keys of the ``sessions`` section
(``boundary_threshold``, ``trajectory_idle_s``, ...) and the project settings ``auto_commit``,
``model_tier`` and ``auto_approve_confidence``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from lore.config import EmbeddingSettings, LLMSettings, SessionSettings, Settings
from lore.domain import Project, ProjectSettings, Session
from lore.errors import ValidationError

PROJECT_KEYS = ("auto_commit", "model_tier", "auto_approve_confidence")


@dataclass(frozen=True, slots=True)
class SessionConfig:
    auto_commit: bool
    model_tier: str
    auto_approve_confidence: float | None
    boundary_threshold: float
    append_timeout_s: float
    max_pending_ops: int
    trajectory_idle_s: float
    session_idle_s: float
    intent_merge_threshold: float
    intent_identical_threshold: float
    annotation_failure: str


def session_config(settings: Settings, project: Project, session: Session) -> SessionConfig:
    overrides = session.overrides.get("config", {})
    sessions = settings.sessions.model_copy(
        update={k: v for k, v in overrides.items() if k in SessionSettings.model_fields}
    )
    chosen = project.settings.model_copy(
        update={k: v for k, v in overrides.items() if k in PROJECT_KEYS}
    )
    approve = chosen.auto_approve_confidence
    if approve is None:
        approve = settings.pipeline.auto_approve_confidence
    return SessionConfig(
        auto_commit=chosen.auto_commit,
        model_tier=chosen.model_tier,
        auto_approve_confidence=approve,
        **sessions.model_dump(),
    )


def session_settings(settings: Settings, session: Session) -> Settings:
    """The settings with the session's embedding overrides applied (LLM overrides go to
    ``build_llm`` itself)."""
    embedding = session.overrides.get("embedding")
    if not embedding:
        return settings
    merged = EmbeddingSettings.model_validate(settings.embedding.model_dump() | embedding)
    return settings.model_copy(update={"embedding": merged})


def checked_overrides(
    llm: Mapping[str, Any] | BaseModel | None,
    embedding: Mapping[str, Any] | BaseModel | None,
    config: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The overrides to store, each checked against the settings it overrides."""
    overrides: dict[str, Any] = {}
    for name, given, model in (
        ("llm", llm, LLMSettings),
        ("embedding", embedding, EmbeddingSettings),
    ):
        values = _as_dict(given)
        if values:
            _refuse_keys(values, name)
            _validate(model, values, name)
            overrides[name] = values
    flat = _flat_config(config or {})
    if flat:
        _validate(
            SessionSettings, {k: v for k, v in flat.items() if k not in PROJECT_KEYS}, "config"
        )
        _validate(ProjectSettings, {k: v for k, v in flat.items() if k in PROJECT_KEYS}, "config")
        overrides["config"] = flat
    return overrides


def _as_dict(given: Mapping[str, Any] | BaseModel | None) -> dict[str, Any]:
    if given is None:
        return {}
    if isinstance(given, BaseModel):
        return given.model_dump(exclude_unset=True)
    return {key.split(".")[-1]: value for key, value in given.items()}


def _flat_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Accept ``{"sessions": {...}}`` as well as flat keys (``"sessions.x"`` or ``"x"``)."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if key == "sessions" and isinstance(value, Mapping):
            flat.update(value)
        else:
            flat[key.split(".")[-1]] = value
    unknown = set(flat) - set(SessionSettings.model_fields) - set(PROJECT_KEYS)
    if unknown:
        raise ValidationError(
            f"unknown session setting {sorted(unknown)[0]!r}", f"config.{sorted(unknown)[0]}"
        )
    return flat


def _refuse_keys(values: Mapping[str, Any], where: str) -> None:
    """Overrides are stored with the session: an API key among them is refused, named by the
    environment variable that holds it instead (``api_key_env``)."""
    fallbacks = values.get("fallbacks")
    endpoints = [values, *(fallbacks if isinstance(fallbacks, list) else [])]
    if any(isinstance(endpoint, Mapping) and endpoint.get("api_key") for endpoint in endpoints):
        raise ValidationError(
            f"{where}.api_key: a session stores its overrides, so it takes no API key; set"
            " api_key_env to the name of an environment variable that holds it",
            f"{where}.api_key",
        )


def _validate(model: type[BaseModel], values: dict[str, Any], where: str) -> None:
    unknown = set(values) - set(model.model_fields)
    if unknown:
        raise ValidationError(f"unknown {where} setting {sorted(unknown)[0]!r}", where)
    try:
        model.model_validate(values)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ValidationError(f"{where}.{field}: {first['msg']}", f"{where}.{field}") from None
