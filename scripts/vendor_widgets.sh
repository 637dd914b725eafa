#!/usr/bin/env bash
# Vendor the ipywidgets JavaScript so widgets render in the static book with no network.
#
# Jupyter Book 1 (myst-nb) loads require.js and the widget manager from CDNs by default;
# offline those never load and every widget shows nothing. We copy the two files from npm
# into _vendor/vendor/ (served as _static/vendor/ through html_static_path in _config.yml).
#
# html-manager 1.0.15 bundles @jupyter-widgets/controls ^5.0.13, the same controls that
# ipywidgets 8.1.9's own JupyterLab extension ships. Run from anywhere: bash scripts/vendor_widgets.sh
set -euo pipefail

HTML_MANAGER_VERSION=1.0.15
REQUIREJS_VERSION=2.3.8

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/_vendor/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "@jupyter-widgets/html-manager@$HTML_MANAGER_VERSION" "requirejs@$REQUIREJS_VERSION" >/dev/null
mkdir hm rj
tar xzf "jupyter-widgets-html-manager-$HTML_MANAGER_VERSION.tgz" -C hm
tar xzf "requirejs-$REQUIREJS_VERSION.tgz" -C rj

mkdir -p "$dest/html-manager"
cp rj/package/require.js "$dest/require.js"
# embed-amd.js is all the page needs for the built-in controls (slider, Stack, Image, Play).
# The Font Awesome font files beside it are left out: the theme's own Font Awesome draws
# icons (see fa-config.js), and the source maps only help debugging.
cp hm/package/dist/embed-amd.js "$dest/html-manager/embed-amd.js"

# Loaded before the theme's Font Awesome script: without it that script swaps a widget's
# <i class="fa fa-play"> for an <svg>, which breaks the Play widget's button.
cat > "$dest/fa-config.js" <<'JS'
window.FontAwesomeConfig = Object.assign(window.FontAwesomeConfig || {}, {autoReplaceSvg: "nest"});
JS

license() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["license"])' "$1"; }
cat > "$dest/VERSIONS" <<VERS
@jupyter-widgets/html-manager $HTML_MANAGER_VERSION dist/embed-amd.js ($(license hm/package/package.json) license)
requirejs $REQUIREJS_VERSION require.js ($(license rj/package/package.json) license)
reproduce with: bash scripts/vendor_widgets.sh
VERS
du -ab "$dest" | sort -n
