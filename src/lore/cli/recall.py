"""Commands for recall: ``search``, ``brain``, ``context`` and ``ask``."""

from __future__ import annotations

import typer
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from lore.cli.app import app, console, err_console, handles_errors, open_lore, print_json, when
from lore.recall import Hit
from lore.recall.models import matched_by
from lore.recall.tokens import clip

PROJECT_HELP = "Project name or id (default: this repository's)."


@app.command()
@handles_errors
def search(
    query: str = typer.Argument(..., help="What to look for, in plain words or identifiers."),
    project: str = typer.Option(None, "--project", "-p", help=PROJECT_HELP),
    mode: str = typer.Option(None, help="semantic, procedural, episodic or mixed (guessed)."),
    limit: int = typer.Option(
        None, "--limit", "-n", min=1, help="How many results (recall.limit)."
    ),
    type: list[str] = typer.Option(None, "--type", "-t", help="Item type (repeatable)."),
    status: list[str] = typer.Option(None, "--status", help="Item status (repeatable)."),
    schema_key: str = typer.Option(None, "--schema-key", help="Schema key prefix."),
    tag: list[str] = typer.Option(None, "--tag", help="Tag (repeatable)."),
    file: list[str] = typer.Option(None, "--file", "-f", help="File or folder (repeatable)."),
    since: str = typer.Option(None, help="Only memories from this date or time (ISO 8601)."),
    until: str = typer.Option(None, help="Only memories before this date or time."),
    min_similarity: float = typer.Option(None, help="Drop results less similar than this."),
    active_file: list[str] = typer.Option(None, "--active-file", help="Boost memories about it."),
    events: bool = typer.Option(
        None, "--events/--no-events", help="Favour or leave out raw events."
    ),
    budget: int = typer.Option(
        None, "--budget", help="Fill this many tokens best first instead of --limit results."
    ),
    compact: bool = typer.Option(
        False, "--compact", help="One line a hit: an index to pick from (then lore timeline)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the hits as JSON."),
) -> None:
    """Search the project's memory (hybrid: meaning, words, exact identifiers, the graph).

    Example: lore search "how do we run the migrations" --type convention --budget 800
    """
    with open_lore() as lore:
        hits = lore.recall(
            project,
            query,
            mode=mode,
            limit=limit or lore.settings.recall.limit,
            types=type or None,
            statuses=status or None,
            schema_key=schema_key,
            tags=tag or None,
            files=file or None,
            since=since,
            until=until,
            min_similarity=min_similarity,
            active_files=active_file or None,
            include_events=events,
            max_tokens=budget,
        )
        good = lore.recall_service.good_match(hits)
    if compact:
        hits = [hit.indexed() for hit in hits]
    if json_out:
        print_json([hit.model_dump() for hit in hits])
        return
    if not hits:
        console.print("No memories match.")
        return
    if not good:  # on stderr: stdout stays the hits (a compact index reads a hit a line)
        err_console.print(
            "[yellow]No good match:[/] nothing holds these words, and nothing is close in"
            " meaning. The nearest, for what they are worth:"
        )
    if compact:
        for hit in hits:
            line = f"#{hit.id} {hit.type or hit.kind} ({hit.tokens} tokens) {escape(hit.text)}"
            console.print(line, soft_wrap=True)  # one line a hit, whatever the terminal's width
    else:
        console.print(_hits_table(hits))


@app.command()
@handles_errors
def timeline(
    item: int = typer.Option(None, "--item", help="The events around this item's evidence."),
    session: int = typer.Option(None, "--session", help="The last events of this session."),
    around: str = typer.Option(None, "--around", help="The events nearest this time (ISO 8601)."),
    size: int = typer.Option(10, "--size", "-n", help="How many events."),
    project: str = typer.Option(None, "--project", "-p", help=PROJECT_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print the events as JSON."),
) -> None:
    """Show the captured events around an item, a session or a time, one line each.

    Example: lore timeline --item 42
    """
    with open_lore() as lore:
        entries = lore.timeline(project, item=item, session=session, around=around, size=size)
    if json_out:
        print_json([entry.model_dump() for entry in entries])
        return
    for entry in entries:
        mark = ">" if entry.anchor else " "
        console.print(f"{mark} {when(entry.at)}  #{entry.event_id}  {escape(entry.line)}")


@app.command()
@handles_errors
def brain(
    project: str = typer.Option(None, "--project", "-p", help=PROJECT_HELP),
    full: bool = typer.Option(False, "--full", help="Add the L2 reference layer."),
    active_file: list[str] = typer.Option(None, "--active-file", help="Put these files first."),
    json_out: bool = typer.Option(False, "--json", help="Print layers, tokens and ETag as JSON."),
) -> None:
    """Print the project's brain: a brief, active knowledge and (with --full) reference.

    Example: lore brain --full > BRAIN.md
    """
    with open_lore() as lore:
        built = lore.brain(project, compact=not full, active_files=active_file or None)
    if json_out:
        print_json(built.model_dump())
    else:
        print(built.markdown, end="")


@app.command()
@handles_errors
def context(
    task: str = typer.Argument(..., help="The task the context is for."),
    project: str = typer.Option(None, "--project", "-p", help=PROJECT_HELP),
    budget: int = typer.Option(4000, help="Token budget of the pack."),
    scope: str = typer.Option("relevant", help="relevant, full or minimal."),
    json_out: bool = typer.Option(False, "--json", help="Print the pack as JSON."),
) -> None:
    """Print a context pack for a task: the brief and the relevant memories, within a budget.

    Example: lore context "add rate limiting to the login endpoint" --budget 2000
    """
    with open_lore() as lore:
        pack = lore.context_pack(project, task, budget=budget, scope=scope)
    if json_out:
        print_json(pack.model_dump())
    else:
        print(pack.markdown, end="")


@app.command()
@handles_errors
def ask(
    question: str = typer.Argument(..., help="A question about the project."),
    project: str = typer.Option(None, "--project", "-p", help=PROJECT_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
) -> None:
    """Answer a question from the project's memory, with numbered citations (needs an LLM).

    Example: lore ask "why did we pick SQLite over Postgres?"
    """
    with open_lore() as lore:
        answer = lore.ask(project, question)
    if json_out:
        print_json(answer.model_dump())
        return
    console.print(Markdown(answer.text))
    for number, hit in enumerate(answer.citations, start=1):
        console.print(f"[dim][{number}] #{hit.id} {clip(hit.title, 100)}[/]")


def _hits_table(hits: list[Hit]) -> Table:
    table = Table("#", "id", "kind", "score", "tokens", "memory", show_lines=False)
    for rank, hit in enumerate(hits, start=1):
        kind = hit.type or hit.kind
        why = ", ".join(matched_by(hit))  # what found it
        text = f"[bold]{clip(hit.title, 80)}[/]\n{clip(hit.text, 240)}\n[dim]by {why}[/]"
        table.add_row(str(rank), str(hit.id), kind, f"{hit.score:.3f}", str(hit.tokens), text)
    return table
