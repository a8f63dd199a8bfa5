"""Recall latency benchmark (the same as ``lore bench recall``).

Usage: python benchmarks/recall_latency.py [--items 10000] [--queries 300] [--json]
"""

from __future__ import annotations

import argparse
import json

from lore.bench.recall_latency import report, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.items, args.queries)
    print(json.dumps(figures.as_dict(), indent=2) if args.json else report(figures))


if __name__ == "__main__":
    main()
