"""``build_embedder``: the configured embedder; the local model unless config names another."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lore.errors import ConfigError
from lore.providers.embeddings.base import Embedder
from lore.providers.embeddings.local import MODEL, local_embedder

if TYPE_CHECKING:
    from lore.config import Settings

DEFAULT_OPENAI_URL = "https://api.openai.com/v1"


def build_embedder(settings: Settings, *, threads: int | None = None) -> Embedder:
    """The local embedder is shared by the whole process; an OpenAI-compatible one is a new
    client (keep it for the life of the caller). ``threads``: how many threads one local
    embedding runs on (default 2; recall's query embedder uses 1)."""
    config = settings.embedding
    if config.provider == "local":
        if config.model != MODEL:
            raise ConfigError(
                f"the local embedder runs only {MODEL}, not {config.model!r}:"
                " set embedding.provider to openai to use another model"
            )
        if threads is None:
            return local_embedder(config.batch_size)
        return local_embedder(config.batch_size, threads)
    # Imported here: the local embedder's cold start should not pay for httpx.
    from lore.providers.embeddings.openai import OpenAIEmbedder
    from lore.providers.http import JSONClient, RetryPolicy

    key = config.resolved_key()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    policy = RetryPolicy(config.max_retries, config.backoff_base_s, config.backoff_max_s)
    http = JSONClient(
        "embeddings",
        config.base_url or DEFAULT_OPENAI_URL,
        headers=headers,
        timeout_s=config.timeout_s,
        policy=policy,
    )
    return OpenAIEmbedder(http, config.model, batch_size=config.batch_size)
