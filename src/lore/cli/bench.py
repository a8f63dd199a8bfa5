"""``lore bench``: the benchmarks, one subcommand each (``ingest`` here; others add theirs to
``bench_app``)."""

from __future__ import annotations

from pathlib import Path

import typer

from lore.cli.app import app, console, handles_errors, print_json
from lore.errors import ValidationError

bench_app = typer.Typer(help="Measure lore on this machine.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("ingest")
def ingest(
    events: int = typer.Option(20_000, min=1, help="Events through the Python API."),
    http_events: int = typer.Option(10_000, min=1, help="Events over HTTP, in batches of 100."),
    single: int = typer.Option(1_000, min=1, help="Requests of one event, for the latency."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Events/s through the API and over HTTP, and the latency of one event over HTTP.

    Example: lore bench ingest --events 5000
    """
    from lore.bench.ingest import as_dict, report, run

    figures = run(api_events=events, http_events=http_events, single_events=single)
    if json_out:
        print_json(as_dict(figures))
    else:
        console.print(report(figures))


@bench_app.command("pipeline")
def pipeline(
    events: int = typer.Option(3000, min=1, help="Events to enrich."),
    session_size: int = typer.Option(100, min=1, help="Events per session (one job each)."),
    llm: bool = typer.Option(False, "--llm", help="Use the configured LLM instead of the rules."),
    windows: bool = typer.Option(True, help="Index raw-event windows for recall in Embed."),
    runs: int = typer.Option(3, min=1, help="Measurements, each in a fresh home; the median."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Events/s through all five pipeline stages; with --llm, LLM calls and tokens per 100 events.

    Example: lore bench pipeline --events 1000 --no-windows
    """
    from lore.bench.pipeline import as_dict, report, run

    figures = run(events=events, session_size=session_size, use_llm=llm, windows=windows, runs=runs)
    if json_out:
        print_json(as_dict(figures))
    else:
        console.print(report(figures))


@bench_app.command("retrieval")
@handles_errors
def retrieval(
    dataset: Path = typer.Argument(..., help="A data set in the format of bench/FORMAT.md."),
    k: str = typer.Option("1,5,10,20", "--k", help="Cut-offs of recall@k, comma-separated."),
    conversation: list[str] = typer.Option(
        None, "--conversation", help="Only this conversation (repeatable)."
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Recall@k by provenance: each conversation built as a user's memory, then every question
    recalled against it.

    Example: lore bench retrieval ../shared/bench/locomo-dev.json --k 1,5,10,20 --json
    """
    from lore.bench.retrieval import report, run

    figures = run(dataset, _cutoffs(k), conversations=conversation or None)
    if json_out:
        print_json(figures.as_dict())
    else:
        console.print(report(figures))


@bench_app.command("recall")
@handles_errors
def recall_latency(
    items: str = typer.Option(
        "10000", help="Items in the project; several, comma-separated, for a curve."
    ),
    queries: int = typer.Option(300, min=1, help="Distinct queries (each asked twice)."),
    plot: Path | None = typer.Option(
        None, help="Draw latency and size against items into this PNG (needs matplotlib)."
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """p50/p95 latency of recall over a project of N items (queries embedded by the model), with
    build time, first recall, database size, memory and the approximate index's recall@10.

    Example: lore bench recall --items 1000,10000,100000 --plot curve.png
    """
    from lore.bench.recall_latency import curve, report
    from lore.bench.recall_latency import plot as draw

    sizes = _sizes(items)
    figures = curve(sizes, queries)
    if plot is not None:
        draw(figures, plot)
    if json_out:
        print_json([f.as_dict() for f in figures] if len(figures) > 1 else figures[0].as_dict())
    else:
        console.print("\n\n".join(report(f) for f in figures))


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"--items takes whole numbers, comma-separated: {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise typer.BadParameter(f"--items takes numbers of 1 or more: {text!r}")
    return sizes


@bench_app.command("digest")
@handles_errors
def digest_history(
    commits: int = typer.Option(3000, min=1, help="Commits in the generated repository."),
    runs: int = typer.Option(3, min=1, help="Digests timed, each into a fresh home; the median."),
    enrich: bool = typer.Option(True, help="Also time Generate Memory of every commit."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Time the first `lore digest` of a whole history, and Generate Memory of it.

    Example: lore bench digest --commits 3000
    """
    from lore.bench.digest import report, run

    figures = run(commits, runs, enrich=enrich)
    if json_out:
        print_json(figures.as_dict())
    else:
        console.print(report(figures))


@bench_app.command("cli")
@handles_errors
def cli_latency(
    items: int = typer.Option(1000, min=1, help="Items in the project searched."),
    runs: int = typer.Option(20, min=1, help="Commands timed, warm and cold each."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Wall time of `lore search` as a user runs it, with the local service (warm) and without.

    Example: lore bench cli --runs 50
    """
    from lore.bench.cli import report, run

    figures = run(items, runs)
    if json_out:
        print_json(figures.as_dict())
    else:
        console.print(report(figures))


@bench_app.command("memory")
@handles_errors
def memory_quality(
    question_set: Path = typer.Option(
        Path("benchmarks/memory/first-hour.json"), "--set", help="The question set (JSON)."
    ),
    repo: list[str] = typer.Option([], "--repo", help="Only this repository of the set."),
    cache: Path = typer.Option(None, help="Where fetched archives are kept."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Build the memory of real repositories as a new user does (init, scan, digest, enrich)
    and count the first-hour questions answered in the top 5 of `lore search`.

    Example: lore bench memory --repo click
    """
    from lore.bench.memory import DEFAULT_CACHE, report, run

    figures = run(question_set, repositories=repo or None, cache=cache or DEFAULT_CACHE)
    if json_out:
        print_json(figures.as_dict())
    else:
        console.print(report(figures), markup=False, highlight=False)


def _cutoffs(text: str) -> list[int]:
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValidationError(f"--k takes whole numbers, like 1,5,10 (got {text!r})", "k") from None
    if not ks or ks[0] < 1:
        raise ValidationError("--k takes numbers of 1 or more", "k")
    return ks
