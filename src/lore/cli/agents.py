"""Commands that connect coding agents to lore: ``mcp``, ``setup``, ``rules``,
``import claude-code`` and ``hook claude-code``."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import typer

from lore.capture.git import repo_or_folder
from lore.cli.app import app, console, handles_errors, open_lore, options
from lore.cli.hooks import hook_app
from lore.config import DEFAULT_HOME, Settings
from lore.integrations import rules, setup

import_app = typer.Typer(help="Import history from coding agents.", no_args_is_help=True)
app.add_typer(import_app, name="import")

PROJECT_HELP = "Project name (default: this repository's, from .lore.toml)."


@app.command("mcp")
@handles_errors
def mcp_stdio(project: str = typer.Option(None, help=PROJECT_HELP)) -> None:
    """Serve lore's MCP tools over stdio for one project (what agents' MCP configs run).

    Example: lore mcp --project my-repo
    """
    from lore.mcp import build_server

    lore = open_lore()
    # A project named or configured must exist: fail here, on stderr, not on the first call.
    # With none (a server shared by every project, as Windsurf's), each call finds its
    # project from the client's workspace.
    named = project or lore.settings.project
    name = lore.project(named).name if named else None
    lore.jobs.ensure_runner()  # what an earlier agent session queued and left
    try:
        build_server(lore, name, roots=True).run("stdio")
    finally:
        lore.shutdown()


@app.command("setup")
@handles_errors
def setup_tool(
    tool: str = typer.Argument(..., help="claude-code, cursor, codex, vscode or windsurf."),
    project: str = typer.Option(None, help=PROJECT_HELP),
    command: str = typer.Option(
        None, help="The lore executable the tool runs (default: `lore` when PATH finds this one)."
    ),
    remove: bool = typer.Option(False, "--remove", help="Take out what setup wrote, only that."),
) -> None:
    """Register lore's MCP server in a coding tool's config (and Claude Code's hooks), merging
    with what is there. Committed files run `lore` from PATH; what belongs to this machine goes
    to the tool's user scope.

    Example: lore setup claude-code; lore setup cursor --remove
    """
    with open_lore() as lore:
        name = lore.project(project).name
        launch = setup.Launch(name, command or this_lore(), machine_environment(lore.settings))
    for change in setup.setup(tool, repo_or_folder(Path.cwd()), launch, remove=remove):
        console.print(f"{change.action:<9} {change.path} ({change.what})")
    if remove:
        return
    if not launch.portable and tool in ("cursor", "vscode", "codex"):
        console.print(
            f"{tool} runs `lore` from PATH with the default home; on this machine lore is"
            f" {launch.command} {dict(launch.env) or ''}: put it on PATH"
            f" (ln -s {launch.command} ~/.local/bin/lore) or set the variables for {tool}."
        )
    if tool == "codex":
        console.print("Codex reads .codex/config.toml only in projects you marked as trusted.")


@app.command("rules")
@handles_errors
def write_rules(
    project: str = typer.Option(None, help=PROJECT_HELP),
    file: list[str] = typer.Option(
        [], "--file", help="Write only this file (repeatable; default: all four)."
    ),
) -> None:
    """Write the memory protocol and the project brief between <!-- lore:start --> and
    <!-- lore:end --> in CLAUDE.md, AGENTS.md, .cursorrules and .github/copilot-instructions.md.

    Example: lore rules
    """
    from lore.integrations.claude_code import context

    with open_lore() as lore:
        brief = context.project_brief(lore, lore.project(project))
    block = rules.rules_block(brief)
    for change in rules.write_rules(repo_or_folder(Path.cwd()), block, tuple(file) or rules.FILES):
        console.print(f"{change.action:<9} {change.path}")


@import_app.command("claude-code")
@handles_errors
def import_claude_code(
    path: Path = typer.Argument(
        None, help="A transcript (.jsonl) or a folder of them (default: this repository's)."
    ),
    project: str = typer.Option(None, help=PROJECT_HELP),
) -> None:
    """Import Claude Code transcripts, one session per transcript, resuming where the last
    import stopped.

    Example: lore import claude-code ~/.claude/projects/-home-me-my-repo
    """
    from lore.integrations.claude_code.transcripts import import_transcripts, transcript_dir

    with open_lore() as lore:
        target = lore.project(project)
        source = path or transcript_dir(
            Path(target.repo) if target.repo else repo_or_folder(Path.cwd())
        )
        report = import_transcripts(lore, target, source)
    console.print(
        f"Read {report.records} records from {report.files} transcripts: {report.events} new"
        f" events in sessions {', '.join(map(str, report.sessions)) or '-'}."
    )


@hook_app.command("claude-code")
def claude_code_hook(
    event: str = typer.Argument(
        ...,
        help="SessionStart, UserPromptSubmit, PostToolUse, PostToolUseFailure, Stop or SessionEnd.",
    ),
) -> None:
    """Handle one Claude Code hook call (its JSON on stdin); always exits 0, quickly.
    `lore setup claude-code` installs it.

    Example: echo '{"session_id": "s1", "cwd": "."}' | lore hook claude-code SessionStart
    """
    from lore.integrations.claude_code.hook import main as run_hook

    if options.db:  # the background drain reads the database from the environment
        os.environ["LORE_DATABASE_URL"] = options.db
    raise typer.Exit(run_hook(event))


def this_lore() -> str:
    """``lore`` when PATH finds the running executable (what a committed file can name), else
    the running one's absolute path (agents' tools rarely share the shell's PATH)."""
    argv0 = Path(sys.argv[0])
    running = argv0.absolute() if argv0.name == "lore" and argv0.exists() else None
    found = shutil.which(setup.PORTABLE)
    if running is None or (found is not None and Path(found).resolve() == running.resolve()):
        return setup.PORTABLE
    return str(running)


def machine_environment(settings: Settings) -> dict[str, str]:
    """The variables a tool must pass for lore to open this database: a non-default home or
    database."""
    variables = {}
    if settings.home.expanduser().resolve() != DEFAULT_HOME.expanduser().resolve():
        variables["LORE_HOME"] = str(settings.home.expanduser())
    if settings.database_url:
        variables["LORE_DATABASE_URL"] = settings.database_url
    return variables
