"""Embedders: ``build_embedder(settings)`` gives the configured one (the bundled local model by
default); a project's vectors all come from one model (``ensure_project_embedding``;
``lore.recall.reembed`` moves a project to another)."""

from lore.providers.embeddings.base import Embedder, embedding_text, normalised
from lore.providers.embeddings.cache import CachedEmbedder
from lore.providers.embeddings.factory import build_embedder
from lore.providers.embeddings.project import ensure_project_embedding

__all__ = [
    "CachedEmbedder",
    "Embedder",
    "build_embedder",
    "embedding_text",
    "ensure_project_embedding",
    "normalised",
]
