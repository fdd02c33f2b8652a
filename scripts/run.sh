#!/usr/bin/env bash
# Install everything and serve the product on SQLite with the processes deployed and
# the demo county loaded, on http://127.0.0.1:5000 (override with HOST/PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
xinfang db upgrade
xinfang demo --if-empty
exec xinfang serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
