#!/usr/bin/env bash
# Install what the test suite needs (system packages, Python and npm dependencies)
# and run the whole suite: SQLite and a throw-away PostgreSQL server, Chromium for the
# browser tests, bpmnlint for the process files, and print the coverage.  Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
# A CJK font for the official documents' PDFs (WeasyPrint draws with fontconfig's fonts).
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing system packages: ${need[*]} (run as root or install them)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

source scripts/setup.sh test
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
# Coverage of the product packages is measured and printed at the end (pyproject's
# [tool.coverage] says which); a run of a few tests can pass --no-cov.
exec python -m pytest --cov --cov-report=term "$@"
