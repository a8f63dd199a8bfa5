"""``lore hook``: hooks that feed lore. ``install`` / ``uninstall`` manage the git post-commit
hook; other hook kinds (agent hooks) add their subcommands to ``hook_app`` here."""

from __future__ import annotations

from pathlib import Path

import typer

from lore.capture.githook import install_hook, uninstall_hook
from lore.cli.app import app, console, err_console, handles_errors, open_lore
from lore.errors import NotFoundError

hook_app = typer.Typer(help="Install the hooks that feed lore.", no_args_is_help=True)
app.add_typer(hook_app, name="hook")

REPO_HELP = "A folder in the git repository."


@hook_app.command("install")
@handles_errors
def install(path: Path = typer.Argument(Path("."), help=REPO_HELP)) -> None:
    """Install the git post-commit hook: every commit is digested in the background.

    Example: lore hook install
    """
    with open_lore(path) as lore:
        home, database_url = lore.settings.home, lore.settings.database_url
        try:
            project = lore.project().name
        except NotFoundError:
            project = None
    change = install_hook(path, home, database_url)
    console.print(f"{change.action.capitalize()} {change.path} (log: {home}/logs/git-hook.log)")
    if change.chained:
        console.print(f"The previous hook runs first, from {change.chained}.")
    if project is None:
        err_console.print("warning: no project is linked here yet: run `lore init` first")


@hook_app.command("uninstall")
@handles_errors
def uninstall(path: Path = typer.Argument(Path("."), help=REPO_HELP)) -> None:
    """Remove lore's post-commit hook, putting back the hook it chained.

    Example: lore hook uninstall
    """
    change = uninstall_hook(path)
    if change.action == "absent":
        console.print(f"No lore hook at {change.path}: nothing to do.")
        return
    restored = " (the previous hook is back)" if change.chained else ""
    console.print(f"Removed the lore hook from {change.path}{restored}.")
