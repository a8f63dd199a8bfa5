"""Commands that capture events and show capture sessions: ``capture``, ``save``, ``sessions``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from lore.capture.git import repo_or_folder
from lore.cli.app import app, console, handles_errors, open_lore, print_json, when
from lore.domain import Session
from lore.errors import ValidationError

sessions_app = typer.Typer(help="List, show and close sessions.", no_args_is_help=False)
app.add_typer(sessions_app, name="sessions")


@app.command()
@handles_errors
def capture(
    type: str = typer.Argument(..., help="Event type, e.g. note, step, decision."),
    payload: str = typer.Argument("-", help="JSON object, or - to read it from stdin."),
    source: str = typer.Option("cli", help="Event source."),
    project: str = typer.Option(None, help="Project name (default: this repository's)."),
    session: int = typer.Option(None, help="Session id (default: the active cli session)."),
) -> None:
    """Capture one event.

    Example: lore capture note '{"text": "we pin numpy below 3"}'
    """
    raw = sys.stdin.read() if payload == "-" else payload
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"payload is not valid JSON: {exc}", "payload") from None
    if not isinstance(data, dict):
        raise ValidationError("payload must be a JSON object", "payload")
    with open_lore() as lore:
        result = lore.capture_event(source, type, data, project=project, session_id=session)
    print_json(
        {
            "event_ids": result.event_ids,
            "session_id": result.session_ids[0],
            "duplicates": result.duplicates,
        }
    )


@app.command()
@handles_errors
def save(
    summary: str = typer.Argument(..., help="What was done in this session."),
    decision: list[str] = typer.Option(
        [], "--decision", "-d", help="A decision taken (repeatable)."
    ),
    change: list[str] = typer.Option([], "--change", "-c", help="A change made (repeatable)."),
    bug: list[str] = typer.Option([], "--bug", help="A bug found or fixed (repeatable)."),
    todo: list[str] = typer.Option([], "--todo", help="Something left to do (repeatable)."),
    convention: list[str] = typer.Option([], "--convention", help="A convention (repeatable)."),
    file: list[str] = typer.Option([], "--file", "-f", help="A file touched (repeatable)."),
    project: str = typer.Option(None, help="Project name (default: this repository's)."),
) -> None:
    """Save a session summary with categorised changes.

    Example: lore save "Moved auth to JWT" -d "JWT over sessions: stateless API" -f src/auth.py
    """
    changes = {
        "decisions": decision,
        "changes": change,
        "bugs": bug,
        "todos": todo,
        "conventions": convention,
    }
    missing = [path for path in file if not _exists_here_or_in_repo(path)]
    if missing:
        raise ValidationError(
            f"no such file: {', '.join(missing)} (give paths from here or from the repository's"
            " root)",
            "file",
        )
    payload = {"summary": summary, "files": file, **{k: v for k, v in changes.items() if v}}
    with open_lore() as lore:
        result = lore.capture_event("cli", "session_save", payload, project=project)
    console.print(f"Saved as event {result.event_ids[0]} in session {result.session_ids[0]}.")


def _exists_here_or_in_repo(path: str) -> bool:
    return Path(path).exists() or (repo_or_folder(Path.cwd()) / path).exists()


@sessions_app.callback(invoke_without_command=True)
@handles_errors
def list_sessions(
    ctx: typer.Context,
    project: str = typer.Option(None, help="Project name (default: all projects)."),
    status: str = typer.Option(None, help="active, completed, enriching or failed."),
    source: str = typer.Option(None, help="mcp, cli, vscode, scan, git, claude-code, ..."),
    limit: int = typer.Option(30, min=1),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """List sessions, newest first. Example: lore sessions --status active"""
    if ctx.invoked_subcommand is not None:
        return
    with open_lore() as lore:
        sessions = lore.sessions(project, status=status, source=source, limit=limit)
    if json_out:
        print_json([s.model_dump() | {"status": s.status.value} for s in sessions])
        return
    table = Table("id", "source", "status", "events", "items", "created", "completed", "goal")
    for s in sessions:
        table.add_row(
            str(s.id),
            s.source,
            s.status.value,
            str(s.event_count),
            str(s.items_extracted),
            when(s.created_at),
            when(s.completed_at),
            s.goal[:40],
        )
    console.print(table)


@sessions_app.command("show")
@handles_errors
def show_session(
    session_id: int, events: int = typer.Option(50, min=1, help="Events to show.")
) -> None:
    """Show one session with its events. Example: lore sessions show 3"""
    with open_lore() as lore:
        session = lore.session(session_id)
        shown = lore.store.events.for_session(session_id, limit=events)
    print_session(session)
    table = Table("id", "time", "source", "type", "payload")
    for event in shown:
        summary = json.dumps(event.payload, ensure_ascii=False)
        table.add_row(str(event.id), when(event.created_at), event.source, event.type, summary[:90])
    console.print(table)


@sessions_app.command("close")
@handles_errors
def close_session(session_id: int) -> None:
    """Close a session: it takes no more events. Example: lore sessions close 3"""
    with open_lore() as lore:
        print_session(lore.close(session_id))


def print_session(s: Session) -> None:
    console.print(
        f"[bold]Session {s.id}[/] · {s.source} · {s.status.value} ({s.state.value}) · "
        f"{s.event_count} events · {s.items_extracted} items · created {when(s.created_at)}"
        + (f" · completed {when(s.completed_at)}" if s.completed_at else "")
    )
