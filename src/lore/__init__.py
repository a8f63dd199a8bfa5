"""lore: long-term memory for AI coding agents.

from lore import Lore
mem = Lore.open()
"""

from lore.core import Lore
from lore.domain import SessionState
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
