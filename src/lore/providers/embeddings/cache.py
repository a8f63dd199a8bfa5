"""``CachedEmbedder``: an embedder that remembers the texts it embedded most recently.

The pipeline embeds the same texts again and again: a window is rebuilt when an event is
appended next to it, a failed stage is retried, an agent runs the same command in every
session. Each distinct text among the last ``size`` is embedded once per process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from lore.providers.embeddings.base import Embedder

Vector = NDArray[np.float32]


class CachedEmbedder:
    def __init__(self, embedder: Embedder, size: int = 8192) -> None:
        self.embedder = embedder
        self._size = size
        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        return self.embedder.model

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Rows for ``texts``, in order; only texts not in the cache reach the model, each
        once however often it repeats."""
        if not texts:
            return self.embedder.embed(texts)
        found = self._cached(texts)
        missing = [text for text in dict.fromkeys(texts) if text not in found]
        if missing:
            fresh = self.embedder.embed(missing)
            found.update(zip(missing, fresh, strict=True))
            self._remember(missing, fresh)
        return np.stack([found[text] for text in texts])

    def close(self) -> None:
        self.embedder.close()

    def _cached(self, texts: Sequence[str]) -> dict[str, Vector]:
        with self._lock:
            found = {text: self._cache[text] for text in texts if text in self._cache}
            for text in found:
                self._cache.move_to_end(text)
        return found

    def _remember(self, texts: Sequence[str], vectors: NDArray[np.float32]) -> None:
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._cache[text] = vector
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
