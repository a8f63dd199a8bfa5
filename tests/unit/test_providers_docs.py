"""docs/providers.md keeps up with the provider settings and commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from lore.config import EmbeddingSettings, LLMEndpoint, LLMSettings
from lore.providers.llm import STEPS

DOC = (Path(__file__).parents[2] / "docs" / "providers.md").read_text()


@pytest.mark.parametrize("section", [LLMSettings, LLMEndpoint, EmbeddingSettings])
def test_every_provider_setting_is_documented(section: type) -> None:
    missing = [
        name
        for name in section.model_fields
        if f"\n{name} = " not in DOC and f".{name}]" not in DOC  # a key, or a [table]
    ]
    assert missing == []


def test_every_step_and_command_is_documented() -> None:
    missing = [step for step in STEPS if f"`{step}`" not in DOC]
    missing += [cmd for cmd in ("lore config", "lore doctor", "lore reembed", "lore bench embed")
                if f"`{cmd}" not in DOC]  # fmt: skip
    assert missing == []
