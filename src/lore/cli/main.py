"""Entry point of the ``lore`` command: imports every command module, then exposes ``app``."""

import click
import typer

import lore.cli.agents
import lore.cli.bench
import lore.cli.capture
import lore.cli.hooks
import lore.cli.items
import lore.cli.pipeline
import lore.cli.projects
import lore.cli.providers
import lore.cli.recall
import lore.cli.serve
import lore.cli.service
import lore.cli.sources
import lore.cli.store  # noqa: F401
from lore.cli.app import app

__all__ = ["app", "run"]


def run(argv: list[str]) -> int:
    """Run one command as ``lore ARGV...`` would, in this process; returns its exit code
    (the local service answers commands this way)."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="lore", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        return 1
    return code if isinstance(code, int) else 0
