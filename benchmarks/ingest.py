"""Ingest benchmark (the same as ``lore bench ingest``).

Usage: python benchmarks/ingest.py [--events 20000] [--http-events 10000] [--single 1000] [--json]
"""

from __future__ import annotations

import argparse
import json

from lore.bench.ingest import as_dict, report, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--http-events", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=1_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(api_events=args.events, http_events=args.http_events, single_events=args.single)
    print(json.dumps(as_dict(figures), indent=2) if args.json else report(figures))


if __name__ == "__main__":
    main()
