"""CLI latency benchmark (the same as ``lore bench cli``).

Usage: python benchmarks/cli_latency.py [--items 1000] [--runs 20] [--json]
"""

from __future__ import annotations

import argparse
import json

from lore.bench.cli import report, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.items, args.runs)
    print(json.dumps(figures.as_dict(), indent=2) if args.json else report(figures))


if __name__ == "__main__":
    main()
