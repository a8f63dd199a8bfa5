"""Recall: hybrid search over a project's memory, the brain, context packs and ask.

``Recall`` (``lore.recall.service``) is the service ``Lore`` exposes as ``recall``, ``brain``,
``context_pack`` and ``ask``; ``index_events`` and ``index_nodes`` build what it searches and are
called by the pipeline's Embed stage.
"""

from lore.recall.index import IndexResult, index_events, index_nodes
from lore.recall.models import Answer, Brain, BrainLayer, ContextPack, Hit, Mode, RecallRequest
from lore.recall.service import Recall, recall_request

__all__ = [
    "Answer",
    "Brain",
    "BrainLayer",
    "ContextPack",
    "Hit",
    "IndexResult",
    "Mode",
    "Recall",
    "RecallRequest",
    "index_events",
    "index_nodes",
    "recall_request",
]
