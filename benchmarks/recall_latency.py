"""Recall latency benchmark (the same as ``lore bench recall``).

Usage: python benchmarks/recall_latency.py [--items 1000,10000,100000] [--plot curve.png] [--json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lore.bench.recall_latency import curve, plot, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", default="10000", help="Sizes, comma-separated.")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = curve([int(size) for size in args.items.split(",")], args.queries)
    if args.plot:
        plot(figures, args.plot)
    if args.json:
        print(json.dumps([f.as_dict() for f in figures], indent=2))
    else:
        print("\n\n".join(report(f) for f in figures))


if __name__ == "__main__":
    main()
