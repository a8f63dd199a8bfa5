"""Chat models: ``build_llm(settings)`` gives the configured ``LLM``, or None when lore runs
offline (the rule-based extractor in ``lore.extraction`` then does every step)."""

from lore.providers.llm.base import STEPS, LLMResult, StructuredResult
from lore.providers.llm.factory import build_llm
from lore.providers.llm.llm import LLM, Probe

__all__ = ["LLM", "STEPS", "LLMResult", "Probe", "StructuredResult", "build_llm"]
