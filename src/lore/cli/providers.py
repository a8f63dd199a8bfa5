"""Commands for configuration and providers: ``config``, ``doctor``, ``reembed``, ``bench embed``."""

from __future__ import annotations

import time
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from lore.cli.app import app, console, handles_errors, open_lore, print_json, settings
from lore.cli.bench import bench_app
from lore.config import LoadedSettings, describe, is_postgres, shown_database
from lore.errors import LoreError

if TYPE_CHECKING:
    from lore.providers.embeddings import Embedder
    from lore.recall.reembed import ReembedResult
    from lore.store import Store

OFFLINE = "LLM: offline (rule-based extraction; no model configured)"


@app.command("config")
@handles_errors
def show_config(json_out: bool = typer.Option(False, "--json")) -> None:
    """Show every effective setting and where it came from (API keys are masked).

    Example: LORE_LLM_MODEL=gpt-4o-mini lore config
    """
    loaded = settings()
    rows = describe(loaded) + _fallback_rows(loaded)
    if json_out:
        print_json([{"key": k, "value": v, "source": s} for k, v, s in rows])
        return
    table = Table("setting", "value", "source")
    for key, value, source in rows:
        table.add_row(escape(key), escape(value), escape(source))
    console.print(table)
    console.print(f"project file: {loaded.project_file or 'none (no .lore.toml found)'}")


@app.command()
@handles_errors
def doctor() -> None:
    """Check the database, the embedder and each configured LLM with one real call each.

    Example: lore doctor
    """
    loaded = settings()
    verdicts = [_check_database(loaded), _check_embedder(loaded), *_check_llms(loaded)]
    for ok, line in verdicts:
        console.print(("[green]ok[/]    " if ok else "[red]FAIL[/]  ") + escape(line))
    if not all(ok for ok, _ in verdicts):
        raise typer.Exit(1)


@app.command()
@handles_errors
def reembed(
    project: str = typer.Option(
        None, "--project", "-p", help="Project name or id (default: this repository's)."
    ),
    all_projects: bool = typer.Option(False, "--all", help="Every project."),
) -> None:
    """Embed a project's memory again with the configured embedding model.

    Needed after changing embedding.provider or embedding.model; it also embeds what has no
    vector (what a process killed before this version's Embed could leave). Example:
    lore reembed --all
    """
    from lore.providers.embeddings import build_embedder
    from lore.recall import index_nodes

    with open_lore() as lore:
        targets = lore.projects() if all_projects else [lore.project(project)]
        with closing(build_embedder(lore.settings)) as embedder:
            for target in targets:
                result = _reembed_with_bar(lore.store, target.id, target.name, embedder)
                missing = index_nodes(lore.store, embedder, lore.project(target.id))
                console.print(
                    f"{target.name}: {result.nodes} nodes, {result.windows} event windows and"
                    f" {result.subgoals} subgoals embedded with {result.model} ({result.dim}"
                    f" dims); {missing} without a vector mended"
                )


@bench_app.command("embed")
@handles_errors
def bench_embed(
    texts: int = typer.Option(2000, min=1, help="Short texts to embed for the throughput."),
    batch_size: int = typer.Option(32, min=1, help="Texts per model call."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Cold load, texts/s and one-text latency of the bundled local embedding model.

    Example: lore bench embed --texts 1000
    """
    from lore.bench.embed import as_dict, report, run

    figures = run(texts=texts, batch_size=batch_size)
    if json_out:
        print_json(as_dict(figures))
    else:
        console.print(report(figures))


def _fallback_rows(loaded: LoadedSettings) -> list[tuple[str, str, str]]:
    """``describe`` counts fallback endpoints; show each one's provider, URL and model too."""
    source = loaded.source_of("llm.fallbacks")
    rows = []
    for index, endpoint in enumerate(loaded.settings.llm.fallbacks):
        shown = f"{endpoint.provider} {endpoint.model} at {endpoint.base_url or 'default URL'}"
        rows.append((f"llm.fallbacks[{index}]", shown, source))
    return rows


def _check_database(loaded: LoadedSettings) -> tuple[bool, str]:
    database = loaded.settings.database
    shown = shown_database(database)
    if not is_postgres(database) and not Path(database).exists():
        return True, f"Database: not created yet at {shown} (created on first use)"
    try:
        with open_lore() as lore:
            count = len(lore.projects())
    except LoreError as exc:
        return False, f"Database: {shown}: {exc}"
    return True, f"Database: {shown} ({count} projects)"


def _check_embedder(loaded: LoadedSettings) -> tuple[bool, str]:
    from lore.providers.embeddings import build_embedder

    config = loaded.settings.embedding
    started = time.perf_counter()
    try:
        with closing(build_embedder(loaded.settings)) as embedder:
            vectors = embedder.embed(["lore doctor checks the embedder"])
    except LoreError as exc:
        return False, f"Embeddings: {config.provider} {config.model}: {exc}"
    seconds = time.perf_counter() - started
    return True, (
        f"Embeddings: {config.provider} {config.model}, {vectors.shape[1]} dims"
        f" ({seconds:.2f} s including load)"
    )


def _check_llms(loaded: LoadedSettings) -> list[tuple[bool, str]]:
    from lore.providers.llm import build_llm

    try:
        llm = build_llm(loaded.settings, overrides={"max_retries": 0})
    except LoreError as exc:
        return [(False, f"LLM: {exc}")]
    if llm is None:
        return [(True, OFFLINE)]
    with llm:
        probes = llm.probe()
    return [
        (
            probe.ok,
            f"LLM {'primary' if index == 0 else f'fallback {index}'}: {probe.provider}"
            f" {probe.model} at {probe.base_url}: {probe.detail} ({probe.duration_ms:.0f} ms)",
        )
        for index, probe in enumerate(probes)
    ]


def _reembed_with_bar(
    store: Store, project_id: int, name: str, embedder: Embedder
) -> ReembedResult:
    from lore.recall.reembed import reembed as reembed_project

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(name, total=None)
        return reembed_project(
            store,
            project_id,
            embedder,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
