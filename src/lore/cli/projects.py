"""Commands for projects: ``init``, ``trust``, ``projects``, ``token``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from lore.capture.git import repo_root
from lore.cli.app import app, console, handles_errors, open_lore, print_json, settings, when
from lore.config import PROJECT_FILE, find_project_file, guarded_keys, trust
from lore.domain import Project
from lore.errors import ValidationError
from lore.token import ensure_token

projects_app = typer.Typer(help="List, show and change projects.", no_args_is_help=True)
app.add_typer(projects_app, name="projects")


@app.command()
@handles_errors
def init(
    name: str = typer.Option(None, help="Project name (default: the repository folder's name)."),
    path: Path = typer.Argument(Path("."), help="A folder inside the repository."),
    no_git: bool = typer.Option(
        False, "--no-git", help="Link a folder that is not a git repository (no history, no hook)."
    ),
) -> None:
    """Create the project for this repository and link them with .lore.toml.

    Example: cd my-repo && lore init
    """
    if not path.is_dir():
        raise ValidationError(f"{path} is not a folder", "path")
    try:
        root = repo_root(path)
    except ValidationError:
        if not no_git:
            raise ValidationError(
                f"{path.resolve()} is not in a git repository: run `git init` first, or pass"
                " --no-git to link the folder as it is",
                "path",
            ) from None
        root = path.resolve()
    with open_lore() as lore:
        project = lore.create_project(name or root.name, repo=str(root))
        token_path = lore.settings.token_path
        ensure_token(token_path)
    write_project_file(root, project.name)
    console.print(f"Project [bold]{project.name}[/] (id {project.id}) linked to {root}")
    console.print(f"Wrote {root / PROJECT_FILE}; API token in {token_path} (`lore token`).")


@app.command("trust")
@handles_errors
def trust_file(
    path: Path = typer.Argument(Path("."), help="The .lore.toml, or a folder under it."),
    remove: bool = typer.Option(False, "--remove", help="Stop trusting it."),
) -> None:
    """Let a repository's .lore.toml set where data goes, as the file is now.

    Until then lore ignores what it sets of home, database_url, server.host, llm.*,
    embedding.* and capture.exclude_paths. An edit of the file needs trusting again.

    Example: lore trust
    """
    project_file = path if path.is_file() else find_project_file(path.resolve())
    if project_file is None:
        raise ValidationError(f"no {PROJECT_FILE} in {path} or above it", "path")
    home = settings().settings.home
    trust(home, project_file, trusted=not remove)
    if remove:
        console.print(f"No longer trusted: {project_file}")
        return
    keys = guarded_keys(project_file)
    console.print(f"Trusted {project_file}; it sets {', '.join(keys) if keys else 'none of them'}.")


@app.command()
@handles_errors
def token() -> None:
    """Print the API token (creating it if needed).

    Example: curl -H "Authorization: Bearer $(lore token)" http://127.0.0.1:8765/api/v1/projects
    """
    with open_lore() as lore:
        print(ensure_token(lore.settings.token_path))


@projects_app.command("list")
@handles_errors
def list_projects(json_out: bool = typer.Option(False, "--json")) -> None:
    """List projects. Example: lore projects list"""
    with open_lore() as lore:
        projects = lore.projects()
    if json_out:
        print_json([p.model_dump() for p in projects])
        return
    table = Table("id", "name", "repo", "tier", "created")
    for project in projects:
        table.add_row(
            str(project.id),
            project.name,
            project.repo or "",
            project.settings.model_tier,
            when(project.created_at),
        )
    console.print(table)


@projects_app.command("show")
@handles_errors
def show_project(
    ref: str = typer.Argument(None, help="Name or id (default: this repository's)."),
) -> None:
    """Show a project and its settings. Example: lore projects show my-repo"""
    with open_lore() as lore:
        print_project(lore.project(ref))


@projects_app.command("set")
@handles_errors
def set_project(
    ref: str = typer.Argument(None, help="Name or id (default: this repository's)."),
    name: str = typer.Option(None, help="New name."),
    repo: str = typer.Option(None, help="Linked repository: a local path or a git URL."),
    tier: str = typer.Option(None, help="AI model tier: small or medium."),
    auto_learn: bool = typer.Option(
        None, "--auto-learn/--no-auto-learn", help="Enrich every captured session by itself."
    ),
    auto_enrich_sources: str = typer.Option(
        None,
        help="Sources auto-learn enriches, comma-separated (git,claude-code; * for all;"
        " 'default' for pipeline.auto_enrich_sources).",
    ),
    deep_enrich: bool = typer.Option(None, "--deep-enrich/--no-deep-enrich"),
    auto_commit: bool = typer.Option(None, "--auto-commit/--no-auto-commit"),
    session_start_tokens: int = typer.Option(
        None, help="Tokens of memory an agent gets when its session starts (0: none)."
    ),
) -> None:
    """Change a project's settings. Example: lore projects set --tier medium --no-auto-learn"""
    changes = {
        key: value
        for key, value in {
            "model_tier": tier,
            "auto_learn": auto_learn,
            "deep_enrich": deep_enrich,
            "auto_commit": auto_commit,
            "session_start_tokens": session_start_tokens,
        }.items()
        if value is not None
    }
    if auto_enrich_sources is not None:
        sources = [part.strip() for part in auto_enrich_sources.split(",") if part.strip()]
        changes["auto_enrich_sources"] = None if sources == ["default"] else sources
    with open_lore() as lore:
        print_project(lore.update_project(lore.project(ref), name=name, repo=repo, **changes))


def print_project(project: Project) -> None:
    console.print(f"[bold]{project.name}[/] (id {project.id})")
    console.print(f"  repository       {project.repo or '-'}")
    for key, value in project.settings.model_dump().items():
        console.print(f"  {key:<16} {value}")
    console.print(f"  embedding model  {project.embedding_model or '-'}")


def write_project_file(root: Path, name: str) -> None:
    """Write ``project = name`` into .lore.toml, keeping any other content."""
    path = root / PROJECT_FILE
    lines = path.read_text().splitlines() if path.exists() else []
    lines = [line for line in lines if not line.strip().startswith("project =")]
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    path.write_text("\n".join([f'project = "{escaped}"', *lines]) + "\n")
