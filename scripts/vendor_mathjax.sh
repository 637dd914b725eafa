#!/usr/bin/env bash
# Vendor MathJax so formulas render in the static book with no network.
#
# Sphinx loads MathJax 3 from a CDN by default; offline (or from file://) every formula then
# stays raw LaTeX. We copy one file from npm's `mathjax` 3 package into
# _vendor/vendor/mathjax/ (served as _static/vendor/mathjax/ through html_static_path) and
# point Sphinx's `mathjax_path` at it in _config.yml.
#
# tex-svg-full.js is the combined component with every TeX extension built in and SVG
# output: it needs no web fonts and never loads another file on demand (the CHTML output
# and the autoloaded TeX extensions of the smaller components would fetch more files).
# Run from anywhere: bash scripts/vendor_mathjax.sh
set -euo pipefail

MATHJAX_VERSION=3.2.2
COMPONENT=tex-svg-full.js

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/_vendor/vendor/mathjax"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "mathjax@$MATHJAX_VERSION" >/dev/null
tar xzf "mathjax-$MATHJAX_VERSION.tgz"

mkdir -p "$dest"
cp "package/es5/$COMPONENT" "$dest/$COMPONENT"
cp package/LICENSE "$dest/LICENSE"
license=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["license"])' package/package.json)
cat > "$dest/VERSION" <<VERS
mathjax $MATHJAX_VERSION es5/$COMPONENT ($license license, text in LICENSE)
reproduce with: bash scripts/vendor_mathjax.sh
VERS
du -ab "$dest" | sort -n
