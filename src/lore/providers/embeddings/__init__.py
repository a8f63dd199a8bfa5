"""Embedders: ``build_embedder(settings)`` gives the configured one (the bundled local model by
default); a project's vectors all come from one model (``ensure_project_embedding``, ``reembed``)."""

from lore.providers.embeddings.base import Embedder, embedding_text, normalised
from lore.providers.embeddings.cache import CachedEmbedder
from lore.providers.embeddings.factory import build_embedder
from lore.providers.embeddings.project import ReembedResult, ensure_project_embedding, reembed

__all__ = [
    "CachedEmbedder",
    "Embedder",
    "ReembedResult",
    "build_embedder",
    "embedding_text",
    "ensure_project_embedding",
    "normalised",
    "reembed",
]
