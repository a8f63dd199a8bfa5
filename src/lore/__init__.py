"""lore: long-term memory for AI coding agents.

from lore import Lore
mem = Lore.open()
"""

from typing import TYPE_CHECKING, Any

from lore.errors import (
    ConfigError,
    ConflictError,
    LoreError,
    NotFoundError,
    ProviderError,
    SessionError,
    ValidationError,
)

__all__ = [
    "ConfigError",
    "ConflictError",
    "Lore",
    "LoreError",
    "NotFoundError",
    "ProviderError",
    "SessionError",
    "SessionState",
    "ValidationError",
]

if TYPE_CHECKING:
    from lore.core import Lore
    from lore.domain import SessionState


def __getattr__(name: str) -> Any:
    """``Lore`` and ``SessionState`` load on first use: importing any ``lore`` module (as the
    agent hooks do on every tool call) must not pull in the store, numpy and pydantic."""
    if name == "Lore":
        from lore.core import Lore

        return Lore
    if name == "SessionState":
        from lore.domain import SessionState

        return SessionState
    raise AttributeError(f"module 'lore' has no attribute {name!r}")
