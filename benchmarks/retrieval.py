"""Retrieval benchmark (the same as ``lore bench retrieval``).

Usage: python benchmarks/retrieval.py ../shared/bench/locomo-dev.json [--k 1,5,10,20]
       [--conversation conv-26] [--json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lore.bench.retrieval import report, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--k", default="1,5,10,20")
    parser.add_argument("--conversation", action="append")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ks = sorted({int(part) for part in args.k.split(",")})
    figures = run(args.dataset, ks, conversations=args.conversation)
    print(json.dumps(figures.as_dict(), indent=2) if args.json else report(figures))


if __name__ == "__main__":
    main()
