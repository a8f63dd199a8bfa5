"""What every embedder is: a model name, a dimension and ``embed``, giving unit-length rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray


class Embedder(Protocol):
    """``embed`` returns float32 of shape (len(texts), dim), each row L2-normalised, so a dot
    product is the cosine similarity. Batching is the embedder's business."""

    @property
    def model(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]: ...

    def close(self) -> None:
        """Release connections (a no-op for the shared local model)."""
        ...


def normalised(matrix: NDArray[np.float32]) -> NDArray[np.float32]:
    """Rows scaled to unit length; an all-zero row stays zero instead of becoming NaN."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: NDArray[np.float32] = (matrix / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
    return unit


def embedding_text(title: str, body: str = "") -> str:
    """The text a node is embedded from: the one rule for the embed stage and ``reembed``."""
    return "\n".join(part for part in (title.strip(), body.strip()) if part)
