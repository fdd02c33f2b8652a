#!/usr/bin/env sh
# Copy the browser assets the UI serves from npm packages into web/static/vendor/.
# The copies are committed, so a server never needs node_modules or a CDN at runtime;
# run this after `npm install` whenever package.json moves bpmn-js to a new version.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/node_modules/bpmn-js"
dest="$root/web/static/vendor/bpmn-js"
if [ ! -f "$src/dist/bpmn-navigated-viewer.production.min.js" ]; then
    echo "bpmn-js is not installed: run 'npm install' in $root first" >&2
    exit 1
fi
mkdir -p "$dest"
cp "$src/dist/bpmn-navigated-viewer.production.min.js" "$dest/"
cp "$src/dist/assets/diagram-js.css" "$src/dist/assets/bpmn-js.css" "$dest/"
cp "$src/LICENSE" "$dest/LICENSE"
version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$src/package.json" | head -n 1)
echo "$version" > "$dest/VERSION"
echo "vendored bpmn-js $version into ${dest#"$root"/}"
