"""Commands for memory items: ``items``, ``items show``, ``items set``."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from lore.cli.app import app, console, handles_errors, open_lore, print_json, when
from lore.items import ItemDetail

items_app = typer.Typer(help="List, show and change memory items.", no_args_is_help=False)
app.add_typer(items_app, name="items")

PROJECT_HELP = "Project name or id (default: this repository's)."


@items_app.callback(invoke_without_command=True)
@handles_errors
def list_items(
    ctx: typer.Context,
    project: str = typer.Option(None, help=PROJECT_HELP),
    type: str = typer.Option(None, help="decision, convention, bug, todo, architecture..."),
    status: str = typer.Option(None, help="draft, approved, review, deprecated or archived."),
    schema_key: str = typer.Option(None, "--key", help="Schema key prefix (root/backend)."),
    tag: str = typer.Option(None, help="Items with this tag."),
    file: str = typer.Option(None, help="Items about this file (or a file inside it)."),
    limit: int = typer.Option(30, min=1),
    offset: int = typer.Option(0, min=0),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """List the project's memory items, newest first. Example: lore items --status draft"""
    if ctx.invoked_subcommand is not None:
        return
    with open_lore() as lore:
        page = lore.items(
            project,
            type=type,
            status=status,
            schema_key=schema_key,
            tag=tag,
            file=file,
            limit=limit,
            offset=offset,
        )
    if json_out:
        print_json(page.model_dump())
        return
    table = Table("id", "type", "status", "conf", "key", "title", "updated")
    for node in page.items:
        confidence = "" if node.confidence is None else f"{node.confidence:.2f}"
        table.add_row(
            str(node.id),
            node.type or node.kind,
            node.status or "",
            confidence,
            node.schema_key or "",
            escape(node.title),
            when(node.updated_at),
        )
    console.print(table)
    console.print(f"{offset + len(page.items)} of {page.total}")


@items_app.command("show")
@handles_errors
def show_item(
    item_id: int = typer.Argument(...),
    project: str = typer.Option(None, help="Only if it is this project's item."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Show an item: its fields, evidence and history. Example: lore items show 42"""
    with open_lore() as lore:
        detail = lore.item_detail(item_id, project=project)
    if json_out:
        print_json(detail.model_dump())
        return
    print_detail(detail)


@items_app.command("set")
@handles_errors
def set_item(
    item_id: int = typer.Argument(...),
    project: str = typer.Option(None, help="Only if it is this project's item."),
    status: str = typer.Option(None, help="draft, approved, review, deprecated or archived."),
    title: str = typer.Option(None),
    type: str = typer.Option(None),
    schema_key: str = typer.Option(None, "--key", help="Schema key (root/backend/auth)."),
    confidence: float = typer.Option(None),
    importance: float = typer.Option(None),
    tags: str = typer.Option(None, help="Comma-separated tags (replace the item's)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Change an item's fields. Example: lore items set 42 --status approved"""
    given: dict[str, Any] = {
        "status": status,
        "title": title,
        "type": type,
        "schema_key": schema_key,
        "confidence": confidence,
        "importance": importance,
        "tags": None if tags is None else [tag.strip() for tag in tags.split(",") if tag.strip()],
    }
    fields = {name: value for name, value in given.items() if value is not None}
    with open_lore() as lore:
        node = lore.edit_item(item_id, project=project, **fields)
    if json_out:
        print_json(node.model_dump())
        return
    console.print(f"Item {node.id}: {node.status} · {escape(node.title)}")


def print_detail(detail: ItemDetail) -> None:
    node = detail.item
    console.print(f"[bold]{escape(node.title)}[/] (item {node.id}, {node.kind})")
    for name in ("type", "status", "schema_key", "confidence", "importance"):
        console.print(f"  {name}: {getattr(node, name)}")
    console.print(f"  files: {', '.join(node.files)}\n  tags: {', '.join(node.tags)}", markup=False)
    console.print(node.body, markup=False)
    if detail.evidence:
        console.print("[bold]Evidence[/]")
    for cited in detail.evidence:
        kind = cited.event.type if cited.event else "deleted event"
        console.print(f"  event {cited.event_id} ({kind}): {cited.quote}", markup=False)
    console.print("[bold]History[/]")
    for entry in detail.history:
        console.print(f"  {when(entry.at)} {entry.what}", markup=False)
