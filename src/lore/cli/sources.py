"""Commands that capture a repository: ``digest`` (git commits) and ``scan`` (its layout)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from lore.capture.git import DigestResult, rebase_in_progress, resolve_repo_path
from lore.capture.scan import ScanResult
from lore.cli.app import app, console, handles_errors, open_lore, print_json
from lore.domain import Project

PATH_HELP = "A folder in the repository (default: the project's linked repository)."


@app.command()
@handles_errors
def digest(
    path: Path = typer.Argument(None, help=PATH_HELP),
    project: str = typer.Option(None, help="Project name (default: this repository's)."),
    hook: bool = typer.Option(
        False, "--hook", help="Run as the post-commit hook does: skip when auto-learn is off."
    ),
    since: str = typer.Option(
        None, help="Commits after this revision or date (v1.2, 2024-01-01, '3 months ago')."
    ),
    max_commits: int = typer.Option(
        None, "--max", min=1, help="At most this many commits, latest first."
    ),
    everything: bool = typer.Option(False, "--all", help="The whole history."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Capture the git commits made since the last digest: the whole history the first time
    (up to capture.digest_first_run, 5,000). Commits stored already are skipped.

    Example: lore digest; lore digest --all; lore digest --since v2.0 --max 500
    """
    with open_lore(path) as lore:
        target = lore.project(project)
        skip = _hook_skip_reason(target, path) if hook else None
        if skip:
            console.print(f"{_stamp(hook)}{skip}: nothing digested", soft_wrap=True)
            return
        with Progress(
            TextColumn("storing commits"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=json_out or hook,
        ) as bar:
            task = bar.add_task("digest", total=None)
            result = lore.digest(
                path,
                project=target,
                since=since,
                max_commits=max_commits,
                everything=everything,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    if json_out:
        print_json(result.as_dict())
        return
    console.print(f"{_stamp(hook)}{_digest_line(result)}", soft_wrap=True)


@app.command()
@handles_errors
def scan(
    path: Path = typer.Argument(None, help=PATH_HELP),
    project: str = typer.Option(None, help="Project name (default: this repository's)."),
    json_out: bool = typer.Option(False, "--json", help="Print the whole description."),
) -> None:
    """Describe a repository (languages, dependencies, scripts, CI, structure) and capture it.

    Example: lore scan .
    """
    with open_lore(path) as lore:
        result = lore.scan(path, project=project)
    if json_out:
        print_json(result.as_dict(full=True))
        return
    print_scan(result)


def _digest_line(result: DigestResult) -> str:
    where = f"{result.repo} ({result.branch})"
    if result.captured:
        return f"{where}: {result.message}; session {result.session_id}."
    return f"{where}: {result.message}; nothing stored."


def _hook_skip_reason(project: Project, path: Path | None) -> str | None:
    """Why the post-commit hook should not digest now. During a rebase it fires for every
    replayed commit; the next digest after the rebase reads them all."""
    if not project.settings.auto_learn:
        return f"auto-learn is off for {project.name}"
    if rebase_in_progress(resolve_repo_path(project, path)):
        return "a rebase is in progress"
    return None


def _stamp(hook: bool) -> str:
    """The hook writes to a log file: each line says when."""
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S ") if hook else ""


def print_scan(result: ScanResult) -> None:
    payload = result.payload
    languages = ", ".join(
        f"{name} {stats['files']} files/{stats['lines']} lines"
        for name, stats in list(payload["languages"].items())[:5]
    )
    jobs = sum(len(ci.get("jobs") or {}) for ci in payload["ci"])
    console.print(f"[bold]{result.root}[/]: {payload['files']} files")
    console.print(f"  languages   {languages or '-'}")
    console.print(f"  manifests   {', '.join(m['path'] for m in payload['manifests']) or '-'}")
    console.print(f"  frameworks  {', '.join(f['name'] for f in payload['frameworks']) or '-'}")
    console.print(
        f"  scripts     {sum(len(s) for s in payload['scripts'].values())}"
        f" in {', '.join(payload['scripts']) or '-'}"
    )
    console.print(f"  CI          {len(payload['ci'])} files, {jobs} jobs")
    console.print(f"  modules     {result.modules} in {len(result.code_map)} folders")
    console.print(f"  documents   {len(result.docs)}")
    if result.duplicate:
        console.print(f"Unchanged since the last scan (event {result.event_id}): nothing stored.")
    else:
        console.print(f"Captured as event {result.event_id} in session {result.session_id}.")
