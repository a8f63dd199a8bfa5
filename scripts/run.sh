#!/usr/bin/env bash
# Set up lore and run its main job on the embedded default, for the git repository you are in
# (default: this checkout): init the project, scan it, digest its git history, generate memory,
# then serve the API and dashboard on http://127.0.0.1:8765.
# Usage: scripts/run.sh [REPO]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "${1:-$PWD}" && pwd)"
"$here/scripts/setup.sh"
lore="$here/.venv/bin/lore"

cd "$repo"
"$lore" init
"$lore" scan
"$lore" digest
"$lore" enrich --all --wait
echo "Dashboard token: $("$lore" token)"
exec "$lore" serve
