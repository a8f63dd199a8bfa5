"""A project's vectors all come from one model: it is recorded on first use and a different one
is refused (``lore.recall.reembed`` moves a project to a new model)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lore.errors import EmbeddingMismatchError
from lore.providers.embeddings.base import Embedder

if TYPE_CHECKING:
    from lore.domain import Project
    from lore.store.base import Store


def ensure_project_embedding(store: Store, project: Project, embedder: Embedder) -> Project:
    """The project, with ``embedder``'s model recorded if none was; a project embedded with
    another model (or dimension) raises ``EmbeddingMismatchError`` naming both."""
    if project.embedding_model is None:
        return store.projects.set_embedding_model(project.id, embedder.model, embedder.dim)
    if (project.embedding_model, project.embedding_dim) != (embedder.model, embedder.dim):
        raise EmbeddingMismatchError(
            f"project {project.name!r} is embedded with {project.embedding_model}"
            f" ({project.embedding_dim} dims) but the configured embedding model is"
            f" {embedder.model} ({embedder.dim} dims): run `lore reembed --project"
            f" {project.name}` to re-embed it, or configure {project.embedding_model} again"
        )
    return project
