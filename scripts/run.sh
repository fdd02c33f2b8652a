#!/usr/bin/env bash
# Install everything and serve the product on SQLite with the processes deployed and
# the demo county loaded, on http://127.0.0.1:5000 (override with HOST/PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
# Official documents are PDFs with Chinese text: WeasyPrint needs Pango (in Debian's
# base desktop libraries) and a CJK font from fontconfig.
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing system package: fonts-noto-cjk (run as root or install it)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 >/dev/null
fi
source scripts/setup.sh
xinfang db upgrade
xinfang demo --if-empty
exec xinfang serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
