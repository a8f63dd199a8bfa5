"""How ``pipeline.dedup_near_threshold`` was chosen: cosines of item pairs that state the same
knowledge in other words (should merge) and of pairs on the same subject that state different
knowledge (must not merge), embedded the way the Embed stage embeds items (title and facts)
with the local model. The threshold is the lowest cosine that merges no distinct pair.

Usage: python benchmarks/dedup_threshold.py [--json]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from lore.config import Settings
from lore.providers.embeddings import build_embedder, embedding_text

# (title, facts) pairs that repeat one piece of knowledge.
SAME = [
    (("JWT over server sessions", "JWT over server sessions: the API must stay stateless"),
     ("JWT over server sessions", "JWT over server sessions, so the API stays stateless")),
    (("Run the tests: `make test`", "`make test` runs `pytest -q` (defined in Makefile)."),
     ("Run the tests: `make test`", "`make test` runs `pytest -q -x` (defined in Makefile).")),
    (("Use httpx instead of requests", "Use httpx instead of requests in the payment client."),
     ("Use httpx instead of requests", "Use httpx instead of requests in the payments client")),
    (("Never commit to main directly", "Please never commit to main directly."),
     ("Never commit to main directly", "Never commit to main directly")),
    (("Moved authentication to JWT", "Moved authentication to JWT.\nRefresh tokens rotate on every use."),
     ("Moved authentication to JWT", "Moved authentication to JWT.\nRefresh tokens rotate on each use.")),
    (("Email column too short for RFC 5321 addresses", "Emails up to 320 characters were cut at 200."),
     ("Email column too short for RFC 5321 addresses", "Emails of up to 320 characters were cut at 200 characters.")),
    (("Handlers return problem+json errors", "Handlers return problem+json errors"),
     ("Handlers return problem+json errors", "API handlers return errors as problem+json.")),
    (("We use UTC timestamps everywhere", "We use UTC timestamps everywhere, don't store local times."),
     ("We use UTC timestamps everywhere", "We use UTC timestamps everywhere; local times are never stored.")),
    (("Add an index on orders.created_at", "Add an index on orders.created_at"),
     ("Add an index on orders.created_at", "Add an index on the orders.created_at column")),
    (("Lint the code: `make lint`", "`make lint` runs `ruff check .` (defined in Makefile)."),
     ("Lint the code: `make lint`", "`make lint` runs `ruff check src tests` (defined in Makefile).")),
]  # fmt: skip
# Pairs on one subject that say different things.
DIFFERENT = [
    (("JWT over server sessions", "JWT over server sessions: the API must stay stateless"),
     ("Refresh tokens rotate on every use", "Refresh tokens rotate on every use; old ones are revoked.")),
    (("Run the tests: `make test`", "`make test` runs `pytest -q` (defined in Makefile)."),
     ("Lint the code: `make lint`", "`make lint` runs `ruff check .` (defined in Makefile).")),
    (("Use httpx instead of requests", "Use httpx instead of requests in the payment client."),
     ("Payment client timeout is 10 s", "The payment client uses httpx.AsyncClient with a 10 s timeout.")),
    (("Add an index on orders.created_at", "Add an index on orders.created_at"),
     ("Add an index on users.email", "Add an index on users.email")),
    (("Access tokens expire after 15 minutes", "Access tokens expire after 15 minutes."),
     ("Refresh tokens expire after 30 days", "Refresh tokens expire after 30 days.")),
    (("Paginate orders with cursors", "Paginate orders lists with cursors, not offsets."),
     ("Paginate users with cursors", "Paginate users lists with cursors, not offsets.")),
    (("Dependencies declared in pyproject.toml (python)", "Runtime dependencies: fastapi >=0.110, sqlalchemy >=2.0."),
     ("Dependencies declared in web/package.json (npm)", "Runtime dependencies: react ^18, next ^14.")),
    (("Fixed: KeyError 'email' in create_user", "pytest tests/test_users.py failed with KeyError: 'email'."),
     ("Fixed: KeyError 'name' in update_user", "pytest tests/test_users.py failed with KeyError: 'name'.")),
    (("Delete endpoint for users", "Delete endpoint for users.\nRoutes in app/api/users.py: DELETE /users/{user_id}."),
     ("Create endpoint for orders", "Create endpoint for orders.\nRoutes in app/api/orders.py: POST /orders.")),
    (("Switch payments from requests to httpx", "Blocking requests calls stalled the event loop."),
     ("Switch caching from pickle to JSON", "Pickled cache entries broke across Python versions.")),
]  # fmt: skip


def cosines(pairs: list[tuple[tuple[str, str], tuple[str, str]]]) -> list[float]:
    embedder = build_embedder(Settings())
    left = embedder.embed([embedding_text(*a) for a, _ in pairs])
    right = embedder.embed([embedding_text(*b) for _, b in pairs])
    return [round(float(score), 4) for score in np.sum(left * right, axis=1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    same, different = cosines(SAME), cosines(DIFFERENT)
    threshold = round(max(different) + 0.005, 3)
    figures = {
        "same_min": min(same),
        "same_median": float(np.median(same)),
        "different_max": max(different),
        "different_median": float(np.median(different)),
        "threshold_lowest_safe": threshold,
        "same_merged_at_0.92": sum(score >= 0.92 for score in same) / len(same),
        "different_merged_at_0.92": sum(score >= 0.92 for score in different) / len(different),
        "same": same,
        "different": different,
    }
    print(
        json.dumps(figures, indent=2)
        if args.json
        else "\n".join(f"{k}: {v}" for k, v in figures.items())
    )


if __name__ == "__main__":
    main()
