"""``lore bench``: the benchmarks, one subcommand each (``ingest`` here; others add theirs to
``bench_app``)."""

from __future__ import annotations

import typer

from lore.cli.app import app, console, print_json

bench_app = typer.Typer(help="Measure lore on this machine.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("ingest")
def ingest(
    events: int = typer.Option(20_000, help="Events through the Python API."),
    http_events: int = typer.Option(10_000, help="Events over HTTP, in batches of 100."),
    single: int = typer.Option(1_000, help="Requests of one event, for the latency."),
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
