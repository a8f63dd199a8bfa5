"""The ``lore`` executable. ``lore hook claude-code EVENT`` runs on every tool call of an agent,
so it goes straight to the hook handler, which imports only the standard library; every other
command loads the full CLI."""

from __future__ import annotations

import sys

HOOK_PREFIX = ["hook", "claude-code"]


def main() -> None:
    args = sys.argv[1:]
    if len(args) == 3 and args[:2] == HOOK_PREFIX and not args[2].startswith("-"):
        from lore.integrations.claude_code.hook import main as run_hook

        sys.exit(run_hook(args[2]))
    from lore.cli.main import app

    app(prog_name="lore")
