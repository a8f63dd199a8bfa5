"""Embedding benchmark (the same as ``lore bench embed``): cold load, texts/s, one-text latency.

Usage: python benchmarks/embed.py [--texts 2000] [--batch-size 32] [--json]
"""

from __future__ import annotations

import argparse
import json

from lore.bench.embed import as_dict, report, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(texts=args.texts, batch_size=args.batch_size)
    print(json.dumps(as_dict(figures), indent=2) if args.json else report(figures))


if __name__ == "__main__":
    main()
