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
# embed-amd.js is all the page needs for the built-in controls (slider, Stack, Image, Play),
# with the Font Awesome 5 fonts its CSS names (file names are webpack content hashes). Only
# the woff2 files: every browser that runs the widget manager reads woff2 and never asks for
# the older formats further down the @font-face's src list. Source maps are left out.
cp hm/package/dist/embed-amd.js "$dest/html-manager/embed-amd.js"
fonts=$(grep -o '[0-9a-f]\{20\}\.woff2' hm/package/dist/embed-amd.js | sort -u)
test -n "$fonts" || { echo "no woff2 font named in embed-amd.js" >&2; exit 1; }
for f in $fonts; do cp "hm/package/dist/$f" "$dest/html-manager/$f"; done

# Each AMD module in embed-amd.js (base, controls, html-manager, ...) asks for those fonts
# beside the URL require.js gives the module itself. Unconfigured, require.js places a module
# beside the page (book/@jupyter-widgets/base.js: the fonts are then not found); this maps
# every one of them into the folder embed-amd.js is served from, where the fonts are. Only
# URLs change: the modules are all defined in embed-amd.js, nothing more is fetched.
# It also gives MathJax 3 the one MathJax 2 call the widgets make: typeset(), for every label,
# runs MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]) whenever window.MathJax exists;
# MathJax 3 (the book's, on any page with math) has no Hub, so each widget on such a page threw
# "Cannot read properties of undefined (reading 'Queue')". MathJax 3 runs (deferred) before
# DOMContentLoaded, the widgets render after it. Loaded after require.js, before embed-amd.js.
modules=$(grep -o 'define("@jupyter-widgets/[^"]*"' hm/package/dist/embed-amd.js | cut -d'"' -f2 | sort -u)
test -n "$modules" || { echo "no AMD module defined in embed-amd.js" >&2; exit 1; }
names=$(printf '"%s", ' $modules)
cat > "$dest/widgets-config.js" <<JS
(function () {
  var src = document.currentScript.src, dir = src.slice(0, src.lastIndexOf("/") + 1) + "html-manager/";
  var paths = {};
  [${names%, }].forEach(function (id) { paths[id] = dir + id.split("/").pop(); });
  require.config({paths: paths});
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (mj && !mj.Hub && mj.typesetPromise) {
      mj.Hub = {Queue: function (job) {
        var el = job && job[2];
        mj.typesetPromise(el ? [el] : undefined).catch(function (e) { console.warn(e); });
      }};
    }
  });
})();
JS

# Loaded before the theme's Font Awesome script: without it that script swaps a widget's
# <i class="fa fa-play"> for an <svg>, which breaks the Play widget's button.
cat > "$dest/fa-config.js" <<'JS'
window.FontAwesomeConfig = Object.assign(window.FontAwesomeConfig || {}, {autoReplaceSvg: "nest"});
JS

license() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["license"])' "$1"; }
cat > "$dest/VERSIONS" <<VERS
@jupyter-widgets/html-manager $HTML_MANAGER_VERSION dist/embed-amd.js and its woff2 fonts: $(echo $fonts) ($(license hm/package/package.json) license; the fonts: Font Awesome Free 5, SIL OFL 1.1)
requirejs $REQUIREJS_VERSION require.js ($(license rj/package/package.json) license)
reproduce with: bash scripts/vendor_widgets.sh
VERS
du -ab "$dest" | sort -n
