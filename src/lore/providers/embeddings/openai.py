"""OpenAI-compatible embeddings (``POST {base_url}/embeddings``): OpenAI, Mistral, Ollama, vLLM...

The dimension is whatever the model returns; it is learnt from the first answer (or one probe).
Vectors are normalised here too: not every server returns unit vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lore.errors import ProviderError
from lore.providers.embeddings.base import normalised
from lore.providers.http import JSONClient


class OpenAIEmbedder:
    def __init__(self, http: JSONClient, model: str, *, batch_size: int = 32) -> None:
        self.http = http
        self.model = model
        self.batch_size = batch_size
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        batches = [
            self._embed_batch(texts[start : start + self.batch_size])
            for start in range(0, len(texts), self.batch_size)
        ]
        if not batches:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        return normalised(np.concatenate(batches))

    def close(self) -> None:
        self.http.close()

    def _embed_batch(self, texts: Sequence[str]) -> NDArray[np.float32]:
        # Some servers refuse empty input strings; a space embeds as "nothing" just as well.
        answer = self.http.post(
            "/embeddings", {"model": self.model, "input": [text or " " for text in texts]}
        )
        matrix = _matrix(answer, len(texts), self.http.base_url)
        if self._dim is None:
            self._dim = matrix.shape[1]
        elif matrix.shape[1] != self._dim:
            raise ProviderError(f"{self.model} changed dimension: {matrix.shape[1]} != {self._dim}")
        return matrix


def _matrix(answer: dict[str, Any], expected: int, where: str) -> NDArray[np.float32]:
    data = answer.get("data")
    if not isinstance(data, list) or len(data) != expected:
        count = len(data) if isinstance(data, list) else "no"
        raise ProviderError(f"embeddings at {where} returned {count} vectors for {expected} texts")
    rows = sorted(data, key=lambda item: int(item.get("index", 0)))
    try:
        matrix = np.array([row["embedding"] for row in rows], dtype=np.float32)
    except (KeyError, TypeError, ValueError):
        raise ProviderError(f"embeddings at {where} returned malformed vectors") from None
    if matrix.ndim != 2 or matrix.shape[1] == 0:
        raise ProviderError(f"embeddings at {where} returned vectors of uneven or zero length")
    return matrix
