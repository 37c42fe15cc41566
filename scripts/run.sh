#!/usr/bin/env bash
# Run Slotline: ./scripts/run.sh [--host H] [--port P]
# Migrates, then serves the web app, worker and scheduler (see `slotline run --help`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/bootstrap.sh
source scripts/bootstrap.sh

echo "==> slotline run $*"
exec "$SLOTLINE_VENV/bin/slotline" run "$@"
