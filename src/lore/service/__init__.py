"""The local service: one process per lore home that keeps lore loaded, runs enrichment jobs and
answers the hooks, the stdio MCP server and the CLI over a Unix socket.

``client`` is what callers use (standard library only: a hook imports it); ``daemon`` is the
service itself. Only what a hook or the ``lore`` executable needs before loading lore lives
here, so importing it costs nothing.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path


def lore_home() -> Path:
    """``$LORE_HOME`` or ``~/.lore``, as ``lore.config`` resolves it."""
    return Path(os.environ.get("LORE_HOME") or "~/.lore").expanduser()


def autostart() -> bool:
    """``service.autostart`` as the environment or ``$LORE_HOME/config.toml`` set it, read
    without loading lore's settings (a project's ``.lore.toml`` is not consulted)."""
    value = os.environ.get("LORE_SERVICE__AUTOSTART")
    if value is None:
        try:
            with (lore_home() / "config.toml").open("rb") as handle:
                value = str(tomllib.load(handle).get("service", {}).get("autostart", True))
        except (OSError, tomllib.TOMLDecodeError):
            return True
    return value.strip().lower() not in ("0", "false", "no", "off")
