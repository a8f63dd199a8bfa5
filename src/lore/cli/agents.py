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
    name = lore.project(project).name  # fail here, on stderr, not on the first tool call
    lore.jobs.ensure_runner()  # what an earlier agent session queued and left
    try:
        build_server(lore, name).run("stdio")
    finally:
        lore.close()


@app.command("setup")
@handles_errors
def setup_tool(
    tool: str = typer.Argument(..., help="claude-code, cursor, codex, vscode or windsurf."),
    project: str = typer.Option(None, help=PROJECT_HELP),
    command: str = typer.Option(
        None, help="The lore executable the tool runs (default: this one, by absolute path)."
    ),
) -> None:
    """Register lore's MCP server in a coding tool's config (and Claude Code's hooks), merging
    with what is there.

    Example: lore setup claude-code
    """
    with open_lore() as lore:
        name = lore.project(project).name
    launch = setup.Launch(command or lore_executable(), name)
    for change in setup.setup(tool, repo_or_folder(Path.cwd()), launch):
        console.print(f"{change.action:<9} {change.path} ({change.what})")
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


def lore_executable() -> str:
    """The absolute path of the running ``lore`` (agents' tools rarely share the shell's
    PATH), else ``lore`` from PATH."""
    argv0 = Path(sys.argv[0])
    if argv0.name == "lore" and argv0.exists():
        return str(argv0.absolute())
    return shutil.which("lore") or "lore"
