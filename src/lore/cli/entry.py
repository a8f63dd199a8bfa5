"""The ``lore`` executable. ``lore hook claude-code EVENT`` runs on every tool call of an agent,
so it goes straight to the hook handler, which imports only the standard library. The commands
that read memory are answered by the local service when it runs (lore is loaded there: a few
milliseconds instead of a second of imports); every other command, or any command when no
service runs, loads the full CLI."""

from __future__ import annotations

import os
import sys

HOOK_PREFIX = ["hook", "claude-code"]
# Commands worth answering from the service: the ones people run often, to read memory.
SERVED = frozenset({"search", "brain", "context", "status", "items", "sessions", "jobs"})


def main() -> None:
    args = sys.argv[1:]
    if len(args) == 3 and args[:2] == HOOK_PREFIX and not args[2].startswith("-"):
        from lore.integrations.claude_code.hook import main as run_hook

        sys.exit(run_hook(args[2]))
    if args and args[0] in SERVED and not {"--help", "--db"} & set(args):
        from lore.service import autostart, client, lore_home

        code = client.run_command(lore_home(), args)
        if code is not None:
            sys.exit(code)
        if autostart() and not client.running(lore_home()):
            client.spawn(lore_home(), os.getcwd())  # warm for the next command
    from lore.cli.main import app

    app(prog_name="lore")
